import { Inject, Injectable } from '@nestjs/common';
import { JwtSecretRequestType, JwtService, type JwtSignOptions, type JwtVerifyOptions } from '@nestjs/jwt';
import type { SignOptions } from 'jsonwebtoken';
import { randomUUID, sign as signWithKey } from 'node:crypto';
import type { Rs256AuthConfig } from './options/rs256-auth-config.js';
import { Rs256AuthError } from './errors/rs256-auth.error.js';
import type { JwtClaims } from './interfaces/jwt-claims.interface.js';
import type { KeySource } from './keys/key-source.js';
import type { KeySet } from './keys/key-set.js';
import { KeyStore } from './keys/key-store.js';
import { RS256_AUTH_CONFIG, RS256_KEY_SOURCE } from './rs256-auth.constants.js';
import { RevocationList } from './sessions/revocation-list.js';
import { checkToken, checkTokenWithRecovery } from './token/token-checks.js';
import { signInCustody, signInCustodySync, signingInputOf } from './custody/custody-signature.js';
import { TokenVerifier } from './token/token-verifier.js';
import { checkRotatedLifetime } from './rotation/rotation-lifetime.js';
import { SETTINGS } from './options/settings.js';

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
 * RFC 9068 §2.2: the claims an access token must carry that only the application knows. Checked before signing,
 * so a token that strict verifiers would refuse is never issued.
 */
function checkAccessTokenClaims(payload: unknown): void {
  const claims = typeof payload === 'object' && payload !== null ? (payload as Record<string, unknown>) : {};
  for (const name of ['sub', 'client_id']) {
    if (typeof claims[name] !== 'string') {
      throw new Rs256AuthError(
        'RS256_ACCESS_TOKEN_CLAIMS',
        `${SETTINGS.tokenProfile.env} is rfc9068: the payload must carry '${name}' as a string (RFC 9068 §2.2).`,
      );
    }
  }
  if (typeof claims.jti !== 'string') {
    throw new Rs256AuthError(
      'RS256_ACCESS_TOKEN_CLAIMS',
      `${SETTINGS.tokenProfile.env} is rfc9068: the payload's 'jti' must be a string (RFC 9068 §2.2).`,
    );
  }
}

/**
 * Payload members that make jsonwebtoken do more than copy the payload and add the module's claims: `iat`, `exp`
 * and `nbf` (it validates them, takes `iat` as the clock, refuses `exp` beside `expiresIn`), `aud` and `iss` (it
 * refuses them beside the configured audience and issuer), `__proto__` (its copy would take it as a prototype).
 */
const CLAIMS_LEFT_TO_JSONWEBTOKEN = ['iat', 'exp', 'nbf', 'aud', 'iss', '__proto__'];

/**
 * True for a payload `signDirectly` signs exactly as jsonwebtoken would with the module's options: a plain object
 * (lodash's `isPlainObject`, as jsonwebtoken asks) without any of {@link CLAIMS_LEFT_TO_JSONWEBTOKEN}. Everything
 * else goes to jsonwebtoken, which signs it or throws its own error.
 */
function signableDirectly(payload: unknown): payload is Record<string, unknown> {
  if (typeof payload !== 'object' || payload === null || Buffer.isBuffer(payload)) {
    return false;
  }
  const prototype: unknown = Object.getPrototypeOf(payload);
  return (
    (prototype === Object.prototype || prototype === null) &&
    Object.prototype.toString.call(payload) === '[object Object]' &&
    !CLAIMS_LEFT_TO_JSONWEBTOKEN.some((name) => Object.hasOwn(payload, name))
  );
}

/**
 * The `JwtService` this module provides (also injectable as `StrictJwtService`). `sign` is `@nestjs/jwt`'s, with
 * the private key, RS256, the `kid`, issuer, audience and lifetime from the configuration (a call without options
 * on a plain payload takes a direct path that yields the very token jsonwebtoken would). `verify` and
 * `verifyAsync` are not jsonwebtoken's: they run the guard's `TokenVerifier` (the same instance, so the same
 * checks and the same cache), return the deeply frozen claims and throw `Rs256AuthError` with a `RS256_TOKEN_*`
 * code. `decode` stays a plain decode that checks nothing.
 */
@Injectable()
export class StrictJwtService extends JwtService {
  constructor(
    @Inject(RS256_AUTH_CONFIG) private readonly config: Rs256AuthConfig,
    private readonly verifier: TokenVerifier,
    @Inject(RS256_KEY_SOURCE) private readonly keySource: KeySource,
    private readonly revocations: RevocationList,
    private readonly keyStore: KeyStore,
  ) {
    const accessTokens = config.tokenProfile === 'rfc9068';
    // The set one sign reads its kid and its key from: @nestjs/jwt reads `keyid` and the key provider separately, and
    // a rotation may switch the set between the two reads.
    const pinned: { keys?: KeySet } = {};
    // jsonwebtoken refuses sign options that are present but undefined, so unset ones are left out entirely.
    const signOptions: JwtSignOptions = {
      algorithm: 'RS256',
      expiresIn: config.expiresIn,
      ...(config.issuer !== undefined && { issuer: config.issuer }),
      ...(config.audience !== undefined && { audience: config.audience[0] }),
      // Read at every sign (@nestjs/jwt spreads these options per call): after a key reload, tokens carry the
      // new signing key's kid.
      get keyid(): string | undefined {
        return (pinned.keys ?? keyStore.keys).signingKid;
      },
      // RFC 9068 §2.1: access tokens are typed at+jwt.
      ...(accessTokens && { header: { alg: 'RS256', typ: 'at+jwt' } }),
    };
    super({
      // The signing key is read at every sign, so a key reload takes effect at once; in verify-only mode this is
      // where signing fails with RS256_NO_PRIVATE_KEY. It also wins over any `secret` a caller passes per call.
      // Under the RFC 9068 profile it is also where the payload is checked, before anything is signed.
      secretOrKeyProvider: (requestType, payload) => {
        if (accessTokens && requestType === JwtSecretRequestType.SIGN) {
          checkAccessTokenClaims(payload);
        }
        // A key in custody (HSM, KMS) is not here: jsonwebtoken shapes the token with a stand-in key, whose signature
        // is replaced by the custody's (see signingInput).
        const signing = (pinned.keys ?? keyStore.keys).signingKey();
        return signing.custody ? signing.custody.standIn : signing.key;
      },
      signOptions,
    });
    this.pinned = pinned;
  }

  private readonly pinned: { keys?: KeySet };

  /** Runs `@nestjs/jwt`'s (synchronous) reads of the kid and the key against one key set. */
  private withOneKeySet<T>(run: () => T): T {
    this.pinned.keys = this.keyStore.keys;
    try {
      return run();
    } finally {
      this.pinned.keys = undefined;
    }
  }

  /** The header segment of tokens signed under `kid`, kept for the signing key's `kid` (it changes with a reload). */
  private signingHeader?: { readonly kid: string; readonly segment: string };

  /**
   * `@nestjs/jwt`'s sign; under the RFC 9068 profile an object payload without a `jti` gets a fresh one. Without
   * per-call options, a plain payload is signed directly (see `signDirectly`).
   */
  override sign(payload: string, options?: Omit<JwtSignOptions, keyof SignOptions>): string;
  override sign(payload: Buffer, options?: JwtSignOptions): string;
  override sign<T extends object = JwtClaims>(payload: T, options?: JwtSignOptions): string;
  override sign(payload: string | Buffer | object, options?: JwtSignOptions): string {
    const claims = this.withTokenId(payload);
    const custody = this.keyStore.keys.custody;
    if (custody) {
      // An HSM signs synchronously (blocking the event loop for its round trip); a signer refuses, before any work.
      return signInCustodySync(custody, () => this.signingInput(claims, options));
    }
    // The direct path's exp is always JWT_EXPIRES_IN after now; anything else is checked under key rotation.
    return options === undefined && signableDirectly(claims)
      ? this.signDirectly(claims)
      : checkRotatedLifetime(
          this.withOneKeySet(() => super.sign(claims as object, options)),
          this.config,
        );
  }

  /**
   * The signing input (`header.payload`) of the token `sign` would make, for a key in custody to sign: built
   * directly where `signDirectly` would sign, else by jsonwebtoken (with the custody's stand-in key, whose
   * signature is cut off), so per-call options and claims keep their jsonwebtoken meaning.
   */
  private signingInput(claims: string | Buffer | object, options: JwtSignOptions | undefined): string {
    if (options === undefined && signableDirectly(claims)) {
      if (this.config.tokenProfile === 'rfc9068') {
        checkAccessTokenClaims(claims);
      }
      return this.directInput(claims, this.keyStore.keys.signingKey().kid);
    }
    return signingInputOf(super.sign(claims as object, options), this.keyStore.keys.signingKey().kid);
  }

  /**
   * The token jsonwebtoken makes of `payload` with the module's sign options, byte for byte (RS256 signatures are
   * deterministic, and a test compares the two), without what jsonwebtoken does on every call: validating the
   * options it is handed, reading the key's details, a `Sign` stream and base64 rewritten as base64url. Those cost
   * more than a tenth of the RSA operation itself (`npm run bench`). Only for payloads `signableDirectly` accepts.
   */
  private signDirectly(payload: Record<string, unknown>): string {
    if (this.config.tokenProfile === 'rfc9068') {
      checkAccessTokenClaims(payload);
    }
    const { kid, key } = this.keyStore.keys.signingKey();
    // sign() hands a key in custody to signInCustodySync before this: here the private key is in the process.
    if (!key) throw new Rs256AuthError('RS256_NO_PRIVATE_KEY', 'Cannot sign in process: the signing key is in custody.');
    const input = this.directInput(payload, kid);
    return `${input}.${signWithKey('sha256', Buffer.from(input), key).toString('base64url')}`;
  }

  /** `header.payload` of the token jsonwebtoken would make of `payload` with the module's sign options. */
  private directInput(payload: Record<string, unknown>, kid: string): string {
    const { config } = this;
    // jsonwebtoken's steps, in its order: a copy, then iat, exp, aud and iss appended (so in that order in the JSON).
    const claims: Record<string, unknown> = Object.assign({}, payload);
    const issuedAt = Math.floor(Date.now() / 1000);
    claims.iat = issuedAt;
    claims.exp = issuedAt + config.expiresIn;
    if (config.audience !== undefined) {
      claims.aud = config.audience[0];
    }
    if (config.issuer !== undefined) {
      claims.iss = config.issuer;
    }
    return `${this.headerSegment(kid)}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}`;
  }

  /** The encoded header jsonwebtoken writes: `alg`, `typ` (`at+jwt` under RFC 9068), `kid`, encoded as latin1. */
  private headerSegment(kid: string): string {
    if (this.signingHeader?.kid !== kid) {
      const typ = this.config.tokenProfile === 'rfc9068' ? 'at+jwt' : 'JWT';
      this.signingHeader = { kid, segment: Buffer.from(JSON.stringify({ alg: 'RS256', typ, kid }), 'latin1').toString('base64url') };
    }
    return this.signingHeader.segment;
  }

  /** `sign`, as a promise. */
  override signAsync(payload: string, options?: Omit<JwtSignOptions, keyof SignOptions>): Promise<string>;
  override signAsync(payload: Buffer, options?: JwtSignOptions): Promise<string>;
  override signAsync<T extends object = JwtClaims>(payload: T, options?: JwtSignOptions): Promise<string>;
  override async signAsync(payload: string | Buffer | object, options?: JwtSignOptions): Promise<string> {
    const claims = this.withTokenId(payload);
    const custody = this.keyStore.keys.custody;
    // A key in custody (HSM, KMS) signs without blocking the event loop.
    // @nestjs/jwt reads the kid and the key before its promise: both from one set.
    if (custody) return signInCustody(custody, this.signingInput(claims, options));
    return checkRotatedLifetime(await this.withOneKeySet(() => super.signAsync(claims as object, options)), this.config);
  }

  /**
   * RFC 9068 §2.2: every access token has an identifier. A copy of the payload with a fresh `jti` unless it brings
   * its own (sessions do, to revoke by it); the caller's object is left as it was.
   */
  private withTokenId(payload: string | Buffer | object): string | Buffer | object {
    const accessToken = this.config.tokenProfile === 'rfc9068' && typeof payload === 'object' && !Buffer.isBuffer(payload);
    return accessToken && !Object.hasOwn(payload, 'jti') ? { ...payload, jti: randomUUID() } : payload;
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
    return checkToken(this.verifier, this.revocations, token) as T;
  }

  /**
   * `verify`, as a promise that rejects rather than a call that throws. In resource-server mode a token naming an
   * unknown `kid` first makes the issuer's JWK Set be fetched again (at most once per cooldown), and with several
   * issuers an `iss` not yet put to the `issuerResolver` is resolved, as the guard does.
   */
  override async verifyAsync<T extends object = JwtClaims>(token: string, options?: JwtVerifyOptions): Promise<T> {
    this.refuseLooserOptions(options);
    return (await checkTokenWithRecovery(this.verifier, this.revocations, this.keySource, token, 'verify')) as T;
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
