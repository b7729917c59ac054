import { Inject, Injectable } from '@nestjs/common';
import { JwtService, type JwtVerifyOptions } from '@nestjs/jwt';
import type { Rs256AuthConfig } from './config/rs256-auth.config.js';
import { Rs256AuthError } from './errors/rs256-auth.error.js';
import { RemoteJwks } from './jwks/remote-jwks.js';
import { RS256_AUTH_CONFIG } from './rs256-auth.constants.js';
import { RevocationList } from './sessions/revocation-list.js';
import { TokenVerifier, type JwtClaims } from './token/token-verifier.js';

/** A per-call option is accepted only when it says what the module's policy already says. */
type Restates = (value: unknown, config: Rs256AuthConfig) => boolean;

const sameList = (given: unknown, expected: readonly string[] | undefined): boolean => {
  const list = typeof given === 'string' ? [given] : given;
  return (
    expected !== undefined &&
    Array.isArray(list) &&
    list.length === expected.length &&
    list.every((item) => typeof item === 'string' && expected.includes(item))
  );
};

/**
 * Per-call verify options that may be passed because they restate the policy (code written for plain `@nestjs/jwt`
 * often passes `algorithms: ['RS256']` or the issuer); `false` for the switches that would turn a check off.
 * Every other option, and any other value, would change verification and is refused.
 */
const RESTATEMENTS: Partial<Record<keyof JwtVerifyOptions, Restates>> = {
  algorithms: (value) => sameList(value, ['RS256']),
  issuer: (value, config) => sameList(value, config.issuer === undefined ? undefined : [config.issuer]),
  audience: (value, config) => sameList(value, config.audience),
  clockTolerance: (value, config) => value === config.clockTolerance,
  ignoreExpiration: (value) => value === false,
  ignoreNotBefore: (value) => value === false,
  complete: (value) => value === false,
  allowInvalidAsymmetricKeyTypes: (value) => value === false,
};

/**
 * The `JwtService` this module provides (also injectable as `StrictJwtService`). `sign` is `@nestjs/jwt`'s, with
 * the private key, RS256, the `kid`, issuer, audience and lifetime from the configuration. `verify` and
 * `verifyAsync` are not jsonwebtoken's: they run the guard's `TokenVerifier` (the same instance, so the same
 * checks and the same cache), return the deeply frozen claims and throw `Rs256AuthError` with a `RS256_TOKEN_*`
 * code. `decode` stays a plain decode that checks nothing.
 */
@Injectable()
export class StrictJwtService extends JwtService {
  constructor(
    @Inject(RS256_AUTH_CONFIG) private readonly config: Rs256AuthConfig,
    private readonly verifier: TokenVerifier,
    private readonly remoteJwks: RemoteJwks,
    private readonly revocations: RevocationList,
  ) {
    const { keyStore } = config;
    super({
      // The signing key is read at every sign, so a key reload takes effect at once; in verify-only mode this is
      // where signing fails with RS256_NO_PRIVATE_KEY. It also wins over any `secret` a caller passes per call.
      secretOrKeyProvider: () => keyStore.keys.signingKey().key,
      // jsonwebtoken refuses sign options that are present but undefined, so unset ones are left out entirely.
      signOptions: {
        algorithm: 'RS256',
        expiresIn: config.expiresIn,
        ...(config.issuer !== undefined && { issuer: config.issuer }),
        ...(config.audience !== undefined && { audience: config.audience[0] }),
        // Read at every sign (@nestjs/jwt spreads these options per call): after a key reload, tokens carry the
        // new signing key's kid.
        get keyid(): string | undefined {
          return keyStore.keys.signingKid;
        },
      },
    });
  }

  /**
   * Verifies a token exactly as `JwtAuthGuard` does and returns its claims (deeply frozen: they may be shared
   * through the cache).
   * @param options refused unless each given option restates the module's policy (see the README)
   * @throws Rs256AuthError `RS256_TOKEN_*` for a refused token, `RS256_VERIFY_OPTION_REFUSED` for an option that
   *   would change verification
   */
  override verify<T extends object = JwtClaims>(token: string, options?: JwtVerifyOptions): T {
    this.refuseLooserOptions(options);
    return this.checked(token) as T;
  }

  /**
   * `verify`, as a promise that rejects rather than a call that throws. In resource-server mode a token naming an
   * unknown `kid` first makes the issuer's JWK Set be fetched again (at most once per cooldown), as the guard does.
   */
  override async verifyAsync<T extends object = JwtClaims>(token: string, options?: JwtVerifyOptions): Promise<T> {
    this.refuseLooserOptions(options);
    this.remoteJwks.refreshIfStale();
    try {
      return this.checked(token) as T;
    } catch (error) {
      if (error instanceof Rs256AuthError && error.code === 'RS256_TOKEN_KID_UNKNOWN' && (await this.remoteJwks.refresh())) {
        return this.checked(token) as T;
      }
      throw error;
    }
  }

  /** The guard's checks: the verifier's, then the revocations (sessions), which apply to cached tokens too. */
  private checked(token: string): JwtClaims {
    const claims = this.verifier.verify(token);
    this.revocations.check(claims);
    return claims;
  }

  private refuseLooserOptions(options: JwtVerifyOptions | undefined): void {
    for (const [name, value] of Object.entries(options ?? {})) {
      const restates = RESTATEMENTS[name as keyof JwtVerifyOptions];
      if (value !== undefined && !restates?.(value, this.config)) {
        throw new Rs256AuthError(
          'RS256_VERIFY_OPTION_REFUSED',
          `JwtService.verify option '${name}' is not accepted: verification follows the module's configuration ` +
            '(RS256, its keys, issuer, audience, clock tolerance and required claims). Remove the option, or pass ' +
            "only values that restate the configuration (algorithms: ['RS256'], the configured issuer or audiences).",
        );
      }
    }
  }
}
