import { Inject, Injectable, Optional } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-strategy';
import type { Rs256AuthConfig } from '../options/rs256-auth-config.js';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import type { JwtClaims } from '../interfaces/jwt-claims.interface.js';
import type { KeySource } from '../keys/key-source.js';
import { RS256_AUTH_CONFIG, RS256_KEY_SOURCE, RS256_STRATEGY } from '../rs256-auth.constants.js';
import { RevocationList } from '../sessions/revocation-list.js';
import { checkTokenWithRecovery } from '../token/token-checks.js';
import { TokenVerifier } from '../token/token-verifier.js';
import { DpopService, type ResponseHeaderSetter } from '../dpop/dpop.service.js';
import { confirmBinding, refuseUnproven, type BindingRules } from './token-binding.js';

/** The methods passport adds to a strategy for the duration of one `authenticate` call. */
interface PassportActions {
  success(user: unknown, info?: unknown): void;
  fail(challenge: unknown, status?: number): void;
  error(error: unknown): void;
}

/**
 * What authenticating one request came to: the user and the verified claims, or the reason the token was refused.
 * An `error` is anything else that went wrong (a `validate` that threw): not the client's fault.
 */
export type AuthOutcome =
  | { user: unknown; claims: JwtClaims; refused?: undefined; error?: undefined }
  | { refused: Rs256AuthError; user?: undefined; claims?: undefined; error?: undefined }
  | { error: unknown; user?: undefined; claims?: undefined; refused?: undefined };

/** A verification failure: the client's token refused, or anything else gone wrong. */
function refusedOrError(error: unknown): AuthOutcome {
  return error instanceof Rs256AuthError ? { refused: error } : { error };
}

/** What `validate` returned, as an outcome: a falsy user refuses the token. */
function accepted(user: unknown, claims: JwtClaims): AuthOutcome {
  return user ? { user, claims } : { refused: new Rs256AuthError('RS256_TOKEN_REJECTED', 'token not accepted') };
}

/**
 * The passport strategy behind `JwtAuthGuard`, registered with passport as `'rs256-jwt'` (so
 * `AuthGuard('rs256-jwt')` works too). It takes the token with the configured extractor, verifies it with
 * `TokenVerifier` and hands the claims to `validate`, whose result becomes `request.user`; the claims themselves
 * always reach `request.authInfo`.
 *
 * Override `validate` in a subclass to turn claims into your own user object (return a falsy value to refuse
 * the token with a 401). A subclass may inject the application's own services through its constructor; list it
 * in the providers of the module that owns them and pass it as the `strategy` option.
 */
@Injectable()
export class Rs256Strategy extends PassportStrategy(Strategy, RS256_STRATEGY) {
  // Injected as properties, not through the constructor: a subclass then declares only its own dependencies
  // (`constructor(private readonly users: UsersRepository) { super(); }`) and Nest fills these in after it.
  @Inject(TokenVerifier) protected readonly verifier!: TokenVerifier;
  @Inject(RS256_AUTH_CONFIG) protected readonly config!: Rs256AuthConfig;
  @Inject(RS256_KEY_SOURCE) protected readonly keySource!: KeySource;
  @Inject(RevocationList) protected readonly revocations!: RevocationList;
  @Optional() @Inject(DpopService) private readonly dpop?: DpopService;

  /** Maps verified claims to `request.user`; by default the claims themselves. */
  validate(claims: JwtClaims): unknown {
    return claims;
  }

  /**
   * Authenticates one request. Synchronous unless `validate` returns a promise, so the common case costs no
   * microtask. `JwtAuthGuard` calls this directly; passport reaches it through `authenticate`.
   */
  authenticateRequest(request: unknown): AuthOutcome | Promise<AuthOutcome> {
    let token: string | null | undefined;
    try {
      token = this.config.jwtFromRequest(request);
    } catch (error) {
      return { error };
    }
    return this.authenticateToken(token);
  }

  /**
   * Authenticates a token taken from wherever its transport carries it (an HTTP header, a WebSocket handshake, a
   * message payload); `null` or `undefined` when the client sent none. Synchronous unless `validate` is not.
   */
  authenticateToken(token: string | null | undefined): AuthOutcome | Promise<AuthOutcome> {
    if (!token) {
      return { refused: new Rs256AuthError('RS256_TOKEN_MISSING', 'no bearer token') };
    }
    let claims: JwtClaims | Promise<JwtClaims>;
    try {
      claims = checkTokenWithRecovery(this.verifier, this.revocations, this.keySource, token, 'verifyRequestToken');
    } catch (error) {
      return refusedOrError(error);
    }
    return claims instanceof Promise ? claims.then((verified) => this.validated(verified), refusedOrError) : this.validated(claims);
  }

  private validated(claims: JwtClaims): AuthOutcome | Promise<AuthOutcome> {
    let user: unknown;
    try {
      user = this.validate(claims);
    } catch (error) {
      return { error };
    }
    // Closures only for an asynchronous `validate`: the common, synchronous one allocates none per request.
    return user instanceof Promise
      ? user.then(
          (settled) => accepted(settled, claims),
          (error: unknown) => ({ error }),
        )
      : accepted(user, claims);
  }

  /**
   * Passport's entry point (`AuthGuard('rs256-jwt')`): the same outcome, reported through passport's callbacks, with
   * the module's sender-constraint rules applied as `JwtAuthGuard` applies them: JWT_MTLS_BOUND (RFC 8705) and
   * JWT_DPOP (RFC 9449, the token of an `Authorization: DPoP` header with its proof). Route decorators
   * (`@Dpop()`, `@RequireCertificateBound()`) are `JwtAuthGuard`'s: passport does not hand a strategy the route.
   */
  override authenticate(this: Rs256Strategy & PassportActions, request: unknown): void {
    const report = (outcome: AuthOutcome): void => {
      if (outcome.refused) this.fail(outcome.refused, 401);
      else if (outcome.claims) this.success(outcome.user, outcome.claims);
      else this.error(outcome.error);
    };
    let outcome: AuthOutcome | Promise<AuthOutcome>;
    try {
      outcome = this.authenticateBound(request);
    } catch (error) {
      outcome = { error };
    }
    if (outcome instanceof Promise) {
      void outcome.then(report, (error: unknown) => this.error(error));
    } else {
      report(outcome);
    }
  }

  private authenticateBound(request: unknown): AuthOutcome | Promise<AuthOutcome> {
    const dpop = this.dpop;
    const dpopMode = dpop ? this.config.dpop.mode : 'off';
    const dpopToken = dpop && dpopMode !== 'off' ? dpop.tokenOf(request) : undefined;
    const outcome = dpopToken === undefined ? this.authenticateRequest(request) : this.authenticateToken(dpopToken);
    const { mtls } = this.config;
    if (!mtls && dpopMode === 'off') {
      // No binding rule here, but a DPoP-bound token is still no bearer token (RFC 9449 §7.2).
      return outcome instanceof Promise ? outcome.then(refuseUnproven) : refuseUnproven(outcome);
    }
    // Express hangs the response on the request (`res`), where a `DPoP-Nonce` can go; Fastify's request has none.
    const response = (request as { res?: { setHeader?: (name: string, value: string) => unknown } } | undefined)?.res;
    const setter = response?.setHeader;
    const setHeader: ResponseHeaderSetter | undefined = setter && ((name, value) => setter.call(response, name, value));
    const rules: BindingRules = { mtls, dpop, dpopMode, dpopToken, setHeader };
    return outcome instanceof Promise ? outcome.then((settled) => confirmBinding(settled, request, rules)) : confirmBinding(outcome, request, rules);
  }
}
