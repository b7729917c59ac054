// First, before anything below loads @nestjs/config, @nestjs/jwt or @nestjs/passport: a NestJS 11 app with their
// NestJS 12 releases is named as such, not as Jest's "Must use import to load ES Module".
import './peer-versions.guard.js';
export type { Rs256AuthConfig, SessionsConfig } from './options/rs256-auth-config.js';
export { Claims } from './decorators/claims.decorator.js';
export { OptionalAuth } from './decorators/optional-auth.decorator.js';
export { Public } from './decorators/public.decorator.js';
export { RequireClaims } from './decorators/require-claims.decorator.js';
export { Rs256AuthError, type Rs256AuthErrorCode } from './errors/rs256-auth.error.js';
export type { ClaimList, ClaimRequirement } from './guard/claim-requirements.js';
export { JwtAuthGuard } from './guard/jwt-auth.guard.js';
export { Rs256Strategy, type AuthOutcome } from './guard/rs256.strategy.js';
export type { AuthenticatedRequest } from './interfaces/authenticated-request.interface.js';
export type { JwtClaims } from './interfaces/jwt-claims.interface.js';
export type {
  JwksOptions,
  IssuerResolver,
  ResourceMetadataOptions,
  TrustedIssuerOptions,
  Rs256AuthModuleOptions,
  TokenExtractor,
} from './options/rs256-auth-options.interface.js';
export { toJwkSet, type RsaPublicJwk } from './jwks/jwk-set.js';
export { IssuerRegistry } from './issuers/issuer-registry.js';
export { RemoteJwks } from './issuers/remote-jwks.js';
export { KeyReloader } from './issuers/key-reloader.js';
export { KeyStore } from './keys/key-store.js';
export { KeySet, type SigningKey, type VerificationKey } from './keys/key-set.js';
export type { ProtectedResourceMetadata } from './resource-metadata/resource-metadata.route.js';
export { Rs256AuthModule } from './rs256-auth.module.js';
export { ASYNC_OPTIONS_TYPE, OPTIONS_TYPE, type Rs256AuthModuleExtras } from './rs256-auth.module-definition.js';
export {
  IS_PUBLIC_KEY,
  OPTIONAL_AUTH_KEY,
  REQUIRED_CLAIMS_KEY,
  RS256_AUTH_CONFIG,
  RS256_STRATEGY,
  SESSION_STORE,
} from './rs256-auth.constants.js';
export { RevocationList } from './sessions/revocation-list.js';
export { SessionService, type SessionTokens } from './sessions/session.service.js';
export { SessionErrorFilter } from './guard/session-error.filter.js';
export { toTokenResponse, type OAuthTokenResponse } from './sessions/token-response.js';
export type { RedisClientFactory, RedisClientLike } from './options/redis-client.interface.js';
export type {
  NewSession,
  Revocation,
  RevocationRequest,
  RevocationSink,
  RotateResult,
  RotationRequest,
  SessionLifetimes,
  SessionState,
  SessionStore,
} from './sessions/session-store.interface.js';
export { bearerTokenExtractor, firstOf, fromAuthHeader, fromCookie, fromQuery } from './transports/token-extractors.js';
export { StrictJwtService } from './strict-jwt.service.js';
export { TokenVerifier } from './token/token-verifier.js';
export {
  ConnectionAuthenticator,
  GRAPHQL_WS_ENDED_CLOSE_CODE,
  GRAPHQL_WS_REFUSED_CLOSE_CODE,
  TRY_AGAIN_LATER_CLOSE_CODE,
  type GraphqlWsConnection,
} from './guard/connection-authenticator.js';
export { EXPIRED_CLOSE_CODE } from './transports/ws.transport.js';
export { METER_NAME } from './observability/auth-metrics.js';
export type { Rs256AuthAuditEvent } from './observability/audit-events.js';
