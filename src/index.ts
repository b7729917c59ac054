// First, before anything below loads @nestjs/config, @nestjs/jwt or @nestjs/passport: a NestJS 11 app with their
// NestJS 12 releases is named as such, not as Jest's "Must use import to load ES Module".
import './peer-versions.guard.js';

// The public API, pinned by test/public-api.spec.ts (and test/public-api.txt): a name added or removed here is a
// change to that list. Internals are imported by tests from their own files.

// Module, options and settings
export { Rs256AuthModule } from './rs256-auth.module.js';
export type { Rs256AuthModuleExtras } from './rs256-auth.module-definition.js';
export type { Rs256AuthModuleOptions, TokenExtractor, TrustedIssuerOptions } from './options/rs256-auth-options.interface.js';
export type { Rs256Signer } from './custody/signer.interface.js';
export { InjectRs256AuthSettings, type Rs256AuthSettings } from './rs256-auth.settings.js';
export type { RedisClientFactory, RedisClientLike } from './options/redis-client.interface.js';

// Guard, strategy and decorators
export { JwtAuthGuard } from './guard/jwt-auth.guard.js';
export { Rs256Strategy, type AuthOutcome } from './guard/rs256.strategy.js';
export { Claims } from './decorators/claims.decorator.js';
export { OptionalAuth } from './decorators/optional-auth.decorator.js';
export { Public } from './decorators/public.decorator.js';
export { RequireClaims } from './decorators/require-claims.decorator.js';
export { Dpop } from './dpop/dpop.decorator.js';
export { DpopService } from './dpop/dpop.service.js';
export { RequireCertificateBound } from './mtls/require-certificate-bound.decorator.js';
export type { ClaimRequirement } from './guard/claim-requirements.js';
export type { AuthenticatedRequest } from './interfaces/authenticated-request.interface.js';
export type { JwtClaims } from './interfaces/jwt-claims.interface.js';

// Token transports
export { firstOf, fromAuthHeader, fromCookie, fromQuery } from './transports/token-extractors.js';
export { ConnectionAuthenticator, type GraphqlWsConnection } from './guard/connection-authenticator.js';

// Issuing tokens and sessions
export { StrictJwtService } from './strict-jwt.service.js';
export { SessionService, type SessionRequestOptions, type SessionTokens } from './sessions/session.service.js';
export { SessionErrorFilter } from './guard/session-error.filter.js';
export { toTokenResponse, type OAuthTokenResponse } from './sessions/token-response.js';

// Keys at run time
export { KeyReloader } from './issuers/key-reloader.js';
export { RemoteJwks } from './issuers/remote-jwks.js';

// Errors and observability
export { Rs256AuthError, type Rs256AuthErrorCode } from './errors/rs256-auth.error.js';
export type { Rs256AuthAuditEvent } from './observability/audit-events.js';
