import {
  ForbiddenException,
  Inject,
  Injectable,
  ServiceUnavailableException,
  UnauthorizedException,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { Rs256AuthConfig } from '../options/rs256-auth-config.js';
import { Rs256AuthError, type Rs256AuthErrorCode } from '../errors/rs256-auth.error.js';
import { IS_PUBLIC_KEY, OPTIONAL_AUTH_KEY, REQUIRED_CLAIMS_KEY, RS256_AUTH_CONFIG, RS256_STRATEGY } from '../rs256-auth.constants.js';
import type { JwtClaims } from '../interfaces/jwt-claims.interface.js';
import { RETRY_AFTER_SECONDS } from '../transports/auth-refusal.js';
import type { AuthCarrier } from '../transports/transport-adapter.js';
import { transportOf } from '../transports/transports.js';
import { findUnmetRequirement, type ClaimRequirement } from './claim-requirements.js';
import type { AuthOutcome, Rs256Strategy } from './rs256.strategy.js';
import { StrategyHost } from './strategy-host.js';
import { logRefusal } from './refusal-log.js';
import { bearerChallenge } from './www-authenticate.js';

/**
 * The JSON body of a 401 or 403: Nest's usual `statusCode`, `message` and `error`, plus the library's `code`
 * (`RS256_TOKEN_EXPIRED`, …), so that a client or a test tells refusals apart without parsing the message. The
 * message, and so the exception's own `message`, stays the challenge's `error_description`.
 */
function refusalJson(statusCode: 401 | 403, message: string, code: Rs256AuthErrorCode | undefined): Record<string, unknown> {
  return { statusCode, message, error: statusCode === 401 ? 'Unauthorized' : 'Forbidden', ...(code !== undefined && { code }) };
}

interface RoutePolicy {
  isPublic: boolean;
  isOptional: boolean;
  requirements: readonly ClaimRequirement[];
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

  /** `@Public()`, `@OptionalAuth()` and `@RequireClaims()` of each route, read once: decorator metadata does not change after start-up. */
  private readonly policies = new WeakMap<object, WeakMap<object, RoutePolicy>>();

  /**
   * Synchronous unless the strategy's `validate` is asynchronous (Nest awaits only what is a promise), or a refusal
   * on a transport whose exception class is being loaded for the first time.
   */
  override canActivate(context: ExecutionContext): boolean | Promise<boolean> {
    const policy = this.policy(context);
    if (policy.isPublic) {
      return true;
    }
    const transport = transportOf(context);
    const carrier = this.getRequest(context);
    let outcome: AuthOutcome | Promise<AuthOutcome>;
    let token: string | null | undefined;
    try {
      token = transport.token(context, carrier, this.config.jwtFromRequest);
      if (!token && policy.isOptional) {
        return true;
      }
      outcome = this.strategy.authenticateToken(token);
    } catch (error) {
      outcome = { error };
    }
    if (outcome instanceof Promise) {
      return outcome.then((settled) => this.admit(context, carrier, settled, token)).catch((error: unknown) => transport.refuse(error, context));
    }
    try {
      return this.admit(context, carrier, outcome, token);
    } catch (error) {
      return transport.refuse(error, context);
    }
  }

  /** Where the claims go: the HTTP request, or its counterpart in the context's transport (see `src/transports/`). */
  override getRequest(context: ExecutionContext): AuthCarrier {
    return transportOf(context).carrier(context);
  }

  private admit(context: ExecutionContext, carrier: AuthCarrier, outcome: AuthOutcome, token: string | null | undefined): true {
    if (outcome.refused && this.config.logRefusals) {
      logRefusal(this.config, token, outcome.refused);
    }
    const info = outcome.refused ?? outcome.claims;
    carrier.authInfo = info;
    carrier.user = this.handleRequest(outcome.error, outcome.user, info, context);
    return true;
  }

  /** Turns passport's outcome into `request.user` or the right HTTP error; see the class description. */
  override handleRequest<TUser = unknown>(err: unknown, user: unknown, info: unknown, context: ExecutionContext): TUser {
    if (err) {
      throw err;
    }
    if (!user) {
      throw info instanceof Rs256AuthError && info.code === 'RS256_TOKEN_REVOCATION_STALE' ? this.unavailable(context, info) : this.unauthorized(context, info);
    }
    const { requirements } = this.policy(context);
    const unmet = requirements.length > 0 ? findUnmetRequirement(info as JwtClaims, requirements, this.config.claimPaths) : null;
    if (unmet) {
      this.setChallenge(
        context,
        bearerChallenge(
          this.config.authScheme,
          this.config.realm,
          { code: 'insufficient_scope', description: unmet.description, scope: unmet.scope },
          this.config.resourceMetadata?.url,
        ),
      );
      throw new ForbiddenException(refusalJson(403, unmet.description, 'RS256_INSUFFICIENT_CLAIMS'));
    }
    return user as TUser;
  }

  private policy(context: ExecutionContext): RoutePolicy {
    const controller = context.getClass();
    const handler = context.getHandler();
    let byHandler = this.policies.get(controller);
    if (!byHandler) {
      byHandler = new WeakMap();
      this.policies.set(controller, byHandler);
    }
    let policy = byHandler.get(handler);
    if (!policy) {
      policy = {
        isPublic: this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, [handler, controller]) === true,
        isOptional: this.reflector.getAllAndOverride<boolean | undefined>(OPTIONAL_AUTH_KEY, [handler, controller]) === true,
        requirements: this.reflector
          .getAll<(ClaimRequirement | undefined)[]>(REQUIRED_CLAIMS_KEY, [controller, handler])
          .filter((requirement): requirement is ClaimRequirement => requirement !== undefined),
      };
      byHandler.set(handler, policy);
    }
    return policy;
  }

  /** Puts the challenge where the transport has a place for one: the `WWW-Authenticate` header of an HTTP response. */
  protected setChallenge(context: ExecutionContext, challenge: string): void {
    transportOf(context).challenge(context, challenge);
  }

  /** The revocation list cannot be trusted: the token may be good, so the client is told to come back, not to sign in. */
  private unavailable(context: ExecutionContext, info: Rs256AuthError): ServiceUnavailableException {
    transportOf(context).retryAfter(context, RETRY_AFTER_SECONDS);
    return new ServiceUnavailableException(info.message, { cause: info });
  }

  private unauthorized(context: ExecutionContext, info: unknown): UnauthorizedException {
    if (info instanceof Rs256AuthError && info.code === 'RS256_TOKEN_MISSING') {
      this.setChallenge(context, bearerChallenge(this.config.authScheme, this.config.realm, undefined, this.config.resourceMetadata?.url));
      return new UnauthorizedException(refusalJson(401, 'missing bearer token', info.code), { cause: info });
    }
    const description = info instanceof Rs256AuthError ? info.message : 'invalid token';
    this.setChallenge(
      context,
      bearerChallenge(this.config.authScheme, this.config.realm, { code: 'invalid_token', description }, this.config.resourceMetadata?.url),
    );
    // The cause tells transports which refusal this is (an expired token closes a WebSocket connection).
    return new UnauthorizedException(refusalJson(401, description, info instanceof Rs256AuthError ? info.code : undefined), { cause: info });
  }
}
