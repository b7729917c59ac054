import {
  ForbiddenException,
  Inject,
  Injectable,
  Optional,
  ServiceUnavailableException,
  UnauthorizedException,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Rs256AuthConfig } from '../options/rs256-auth-config.js';
import { Rs256AuthError, type Rs256AuthErrorCode } from '../errors/rs256-auth.error.js';
import { RS256_AUTH_CONFIG, RS256_STRATEGY } from '../rs256-auth.constants.js';
import type { JwtClaims } from '../interfaces/jwt-claims.interface.js';
import { DpopService } from '../dpop/dpop.service.js';
import { AuthMetrics } from '../observability/auth-metrics.js';
import { routeMtls } from '../mtls/route-binding.js';
import { KeyStore } from '../keys/key-store.js';
import { RETRY_AFTER_SECONDS } from '../transports/auth-refusal.js';
import type { AuthCarrier } from '../transports/transport-adapter.js';
import { transportOf } from '../transports/transports.js';
import { findUnmetRequirement } from './claim-requirements.js';
import type { AuthOutcome, Rs256Strategy } from './rs256.strategy.js';
import { StrategyHost } from './strategy-host.js';
import { logRefusal } from './refusal-log.js';
import { routePolicy, type RoutePolicy } from './route-policy.js';
import { wwwAuthenticate, type ChallengeReason } from './www-authenticate.js';
import { dpopChallenge } from './dpop-challenge.js';
import { confirmBinding, refuseUnproven, type BindingRules } from './token-binding.js';

/**
 * The JSON body of a 401, 403 or 503: Nest's usual `statusCode`, `message` and `error`, plus the library's `code`
 * (`RS256_TOKEN_EXPIRED`, …), so that a client or a test tells refusals apart without parsing the message. The
 * message, and so the exception's own `message`, stays the challenge's `error_description`.
 */
const TITLES = { 401: 'Unauthorized', 403: 'Forbidden', 503: 'Service Unavailable' } as const;

function refusalJson(statusCode: keyof typeof TITLES, message: string, code: Rs256AuthErrorCode | undefined): Record<string, unknown> {
  return { statusCode, message, error: TITLES[statusCode], ...(code !== undefined && { code }) };
}

/**
 * Protects routes with RS256 bearer tokens: per route with `@UseGuards(JwtAuthGuard)`, or app-wide with
 * `{ provide: APP_GUARD, useClass: JwtAuthGuard }` plus `@Public()` on the open routes.
 *
 * The same guard, unchanged, protects GraphQL resolvers (Apollo and Mercurius, subscriptions over `graphql-ws`
 * included), WebSocket gateways (`ws` and socket.io) and microservice message handlers (TCP, Redis): it picks
 * the transport by `context.getType()` and lets that transport's adapter (`src/transports/`) say where the token
 * is, where the claims go and what a refusal looks like. No subclass, no `getRequest` override.
 *
 * Over HTTP, failures become a 401 with an RFC 6750 `WWW-Authenticate` header naming the reason, and unmet
 * `@RequireClaims()` a 403 `insufficient_scope`. A revocation list that cannot be trusted (the session store
 * unreachable past the staleness bound) is not the token's fault: a 503 with `Retry-After`. Elsewhere the same
 * reason text arrives in the transport's own form: a GraphQL error with `extensions.code` `UNAUTHENTICATED`,
 * `FORBIDDEN` or `SERVICE_UNAVAILABLE`, a WebSocket `exception` event, an `RpcException`;
 * `{ status: 'error', code, message }` in the last two (and `retryAfter`, in seconds, with the third code).
 *
 * It keeps `AuthGuard`'s hooks but asks its own module's `Rs256Strategy` directly instead of going through
 * `passport.authenticate`: passport looks strategies up by name in one registry per process, so two applications in
 * one process would share whichever registered last, and it allocates a set of closures on every request.
 */
@Injectable()
export class JwtAuthGuard extends AuthGuard(RS256_STRATEGY) {
  // A property, so subclasses' constructors stay as they are.
  @Optional() @Inject(AuthMetrics) private readonly metrics?: AuthMetrics;
  @Optional() @Inject(DpopService) private readonly dpop?: DpopService;
  /** The module's own keys, whose kids a refusal's log line names. */
  @Inject(KeyStore) private readonly ownKeys!: KeyStore;

  constructor(
    protected readonly reflector: Reflector,
    @Inject(RS256_AUTH_CONFIG) protected readonly config: Rs256AuthConfig,
    protected readonly strategyHost: StrategyHost,
  ) {
    super();
  }

  /** The module's strategy: `Rs256Strategy`, or the subclass given as the `strategy` option. */
  protected get strategy(): Rs256Strategy {
    return this.strategyHost.strategy;
  }

  /**
   * Synchronous unless the strategy's `validate` is asynchronous (Nest awaits only what is a promise), or a refusal
   * on a transport whose exception class is being loaded for the first time.
   */
  override canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const policy = this.policy(context);
    if (policy.isPublic) {
      return true;
    }
    const started = this.metrics?.start() ?? 0;
    const transport = transportOf(context);
    const carrier = this.getRequest(context);
    let outcome: AuthOutcome | Promise<AuthOutcome>;
    let token: string | null | undefined;
    // DPoP (src/dpop/): a token under the `DPoP` scheme where the route has it on; then the token's binding.
    const dpop = this.dpop;
    const dpopMode = dpop?.modeFor(context) ?? 'off';
    const dpopToken = dpop && dpopMode !== 'off' ? dpop.tokenOf(carrier) : undefined;
    try {
      token = dpopToken ?? transport.token(context, carrier, this.config.jwtFromRequest);
      if (!token && policy.isOptional) {
        return true;
      }
      outcome = this.strategy.authenticateToken(token);
      // RFC 8705 §3 (JWT_MTLS_BOUND, @RequireCertificateBound()) and RFC 9449 (JWT_DPOP, @Dpop()): src/mtls/, src/dpop/.
      const mtls = routeMtls(this.config.mtls, policy.certificateBound);
      if (mtls || dpopMode !== 'off') {
        const setHeader = dpop && dpopMode !== 'off' ? dpop.headerSetter(context) : undefined;
        const rules: BindingRules = { mtls, dpop, dpopMode, dpopToken, setHeader };
        // A gateway message's certificate is its connection's: the one presented at the upgrade.
        const request = transport.connectionRequest ? (transport.connectionRequest(carrier) ?? {}) : carrier;
        outcome =
          outcome instanceof Promise ? outcome.then((settled) => confirmBinding(settled, request, rules)) : confirmBinding(outcome, request, rules);
      } else {
        // No binding rule here, but a DPoP-bound token is still no bearer token (RFC 9449 §7.2).
        outcome = outcome instanceof Promise ? outcome.then(refuseUnproven) : refuseUnproven(outcome);
      }
    } catch (error) {
      outcome = { error };
    }
    if (outcome instanceof Promise) {
      return outcome
        .then((settled) => this.admit(context, carrier, settled, token, started))
        .catch((error: unknown) => transport.refuse(error, context));
    }
    try {
      return this.admit(context, carrier, outcome, token, started);
    } catch (error) {
      return transport.refuse(error, context);
    }
  }

  /** Where the claims go: the HTTP request, or its counterpart in the context's transport (see `src/transports/`). */
  override getRequest(context: ExecutionContext): AuthCarrier {
    return transportOf(context).carrier(context);
  }

  private admit(context: ExecutionContext, carrier: AuthCarrier, outcome: AuthOutcome, token: string | null | undefined, started: number): true {
    if (outcome.refused && this.config.logRefusals) {
      logRefusal(this.config, this.ownKeys.keys, token, outcome.refused);
    }
    const info = outcome.refused ?? outcome.claims;
    carrier.authInfo = info;
    try {
      carrier.user = this.handleRequest(outcome.error, outcome.user, info, context);
    } catch (refusal) {
      this.metrics?.verified(context.getType(), started, refusal);
      throw refusal;
    }
    this.metrics?.verified(context.getType(), started, undefined);
    return true;
  }

  /** Turns passport's outcome into `request.user` or the right HTTP error; see the class description. */
  override handleRequest<TUser = unknown>(err: unknown, user: unknown, info: unknown, context: ExecutionContext): TUser {
    if (err) {
      throw err;
    }
    if (!user) {
      // A store that cannot say whether a DPoP proof was seen before is no more the token's fault.
      throw info instanceof Rs256AuthError && (info.code === 'RS256_TOKEN_REVOCATION_STALE' || info.code === 'RS256_SESSION_STORE_UNAVAILABLE')
        ? this.unavailable(context, info)
        : this.unauthorized(context, info);
    }
    const { requirements } = this.policy(context);
    const unmet = requirements.length > 0 ? findUnmetRequirement(info as JwtClaims, requirements, this.config.claimPaths) : null;
    if (unmet) {
      this.refuseWith(context, { reason: 'insufficient_scope', description: unmet.description, scope: unmet.scope });
      throw new ForbiddenException(refusalJson(403, unmet.description, 'RS256_INSUFFICIENT_CLAIMS'));
    }
    return user as TUser;
  }

  /** `@Public()`, `@OptionalAuth()` and `@RequireClaims()` of the route, read once (see routePolicy). */
  private policy(context: ExecutionContext): RoutePolicy {
    return routePolicy(context.getClass(), context.getHandler());
  }

  /** Puts the challenge where the transport has a place for one: the `WWW-Authenticate` header of an HTTP response. */
  protected setChallenge(context: ExecutionContext, challenge: string): void {
    transportOf(context).challenge(context, challenge);
  }

  /** The revocation list cannot be trusted: the token may be good, so the client is told to come back, not to sign in. */
  private unavailable(context: ExecutionContext, info: Rs256AuthError): ServiceUnavailableException {
    transportOf(context).retryAfter(context, RETRY_AFTER_SECONDS);
    return new ServiceUnavailableException(refusalJson(503, info.message, info.code), { cause: info });
  }

  private refuseWith(context: ExecutionContext, reason: ChallengeReason, code?: Rs256AuthErrorCode): void {
    const challenge = this.dpop && dpopChallenge(this.dpop, this.config, context, reason, code);
    this.setChallenge(context, challenge ?? wwwAuthenticate(this.config, reason));
  }

  private unauthorized(context: ExecutionContext, info: unknown): UnauthorizedException {
    if (info instanceof Rs256AuthError && info.code === 'RS256_TOKEN_MISSING') {
      this.refuseWith(context, { reason: 'missing_token' }, info.code);
      return new UnauthorizedException(refusalJson(401, 'missing bearer token', info.code), { cause: info });
    }
    const description = info instanceof Rs256AuthError ? info.message : 'invalid token';
    this.refuseWith(context, { reason: 'invalid_token', description }, info instanceof Rs256AuthError ? info.code : undefined);
    // The cause tells transports which refusal this is (an expired token closes a WebSocket connection).
    return new UnauthorizedException(refusalJson(401, description, info instanceof Rs256AuthError ? info.code : undefined), { cause: info });
  }
}
