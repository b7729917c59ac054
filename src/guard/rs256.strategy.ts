import { Inject, Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { Strategy } from 'passport-strategy';
import type { Rs256AuthConfig } from '../config/rs256-auth.config.js';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import { RS256_AUTH_CONFIG, RS256_STRATEGY } from '../rs256-auth.constants.js';
import { TokenVerifier, type JwtClaims } from '../token/token-verifier.js';

/** The methods passport adds to a strategy for the duration of one `authenticate` call. */
interface PassportActions {
  success(user: unknown, info?: unknown): void;
  fail(challenge: unknown, status?: number): void;
  error(error: unknown): void;
}

/**
 * The passport strategy behind `JwtAuthGuard`, registered as `'rs256-jwt'`. It takes the token with the
 * configured extractor, verifies it with `TokenVerifier` and hands the claims to `validate`, whose result becomes
 * `request.user`; the claims themselves always reach `request.authInfo`.
 *
 * Override `validate` in a subclass to turn claims into your own user object (return a falsy value to refuse
 * the token with a 401).
 */
@Injectable()
export class Rs256Strategy extends PassportStrategy(Strategy, RS256_STRATEGY) {
  constructor(
    protected readonly verifier: TokenVerifier,
    @Inject(RS256_AUTH_CONFIG) protected readonly config: Rs256AuthConfig,
  ) {
    super();
  }

  /** Maps verified claims to `request.user`; by default the claims themselves. */
  validate(claims: JwtClaims): unknown {
    return claims;
  }

  override authenticate(this: Rs256Strategy & PassportActions, request: unknown): void {
    const token = this.config.jwtFromRequest(request);
    if (!token) {
      return this.fail(new Rs256AuthError('RS256_TOKEN_MISSING', 'no bearer token'), 401);
    }
    let claims: JwtClaims;
    try {
      claims = this.verifier.verify(token);
    } catch (error) {
      return error instanceof Rs256AuthError ? this.fail(error, 401) : this.error(error);
    }
    const done = (user: unknown): void =>
      user
        ? this.success(user, claims)
        : this.fail(new Rs256AuthError('RS256_TOKEN_REJECTED', 'token not accepted'), 401);
    // Stay synchronous when validate is: no microtask per request for the common case.
    let user: unknown;
    try {
      user = this.validate(claims);
    } catch (error) {
      return this.error(error);
    }
    if (user instanceof Promise) {
      user.then(done, (error: unknown) => this.error(error));
    } else {
      done(user);
    }
  }
}
