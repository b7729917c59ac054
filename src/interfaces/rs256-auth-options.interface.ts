import type { Type } from '@nestjs/common';
import type { Rs256Strategy } from '../guard/rs256.strategy.js';

/**
 * Takes the token out of a request; return `null` or `undefined` when there is none. Extractors from
 * `passport-jwt`'s `ExtractJwt` fit this type unchanged.
 */
export type TokenExtractor = (request: any) => string | null | undefined;

/**
 * Options of `Rs256AuthModule.forRoot()` / `forRootAsync()`. Every option is optional: an option left out is read
 * from `ConfigService` under the environment variable named in its documentation, and an option given here
 * overrides that variable.
 */
export interface Rs256AuthModuleOptions {
  /**
   * Path of the PEM file holding the RSA private key (PKCS#1 or PKCS#8, optionally encrypted): a regular file of at
   * most 64 KiB holding that one PEM block and nothing else. Without a private key the module runs in verify-only
   * mode and `JwtService.sign` throws `RS256_NO_PRIVATE_KEY`. A value that looks like a PEM is refused without
   * being quoted: give the key itself in `privateKey`.
   * @env JWT_PRIVATE_KEY_PATH
   * @default none (verify-only mode)
   */
  privateKeyPath?: string;

  /**
   * The private key PEM itself, for platforms that pass secrets as variables. Literal `\n` escapes and a
   * base64-encoded PEM are accepted. Mutually exclusive with `privateKeyPath`.
   * @env JWT_PRIVATE_KEY
   * @default none
   */
  privateKey?: string;

  /**
   * Passphrase of an encrypted private key. Given for an unencrypted key, it stops start-up.
   * @env JWT_PRIVATE_KEY_PASSPHRASE
   * @default none
   */
  privateKeyPassphrase?: string;

  /**
   * The RSA public keys (SPKI or PKCS#1 PEM) that verify tokens: a file, a folder of `*.pem`/`*.pub` files, or
   * several of either (comma-separated in the environment, an array here). Each key's `kid` is its RFC 7638
   * thumbprint unless given as `{ path, kid }`. With a private key, its public half must be among them. Each file
   * is a regular file of at most 64 KiB holding exactly one public key; a private key anywhere in it is refused.
   * @env JWT_PUBLIC_KEY_PATH
   * @default derived from the private key
   * @example
   * publicKeyPath: ['keys/current.pem', { path: 'keys/legacy.pem', kid: 'legacy-2025' }]
   */
  publicKeyPath?: string | Array<string | { path: string; kid?: string }>;

  /**
   * The public key PEM itself (`\n` escapes and base64 accepted). Mutually exclusive with `publicKeyPath`.
   * @env JWT_PUBLIC_KEY
   * @default none
   */
  publicKey?: string;

  /**
   * `iss` written into issued tokens and required, exactly, in verified ones.
   * @env JWT_ISSUER
   * @default none (not written, not checked)
   */
  issuer?: string;

  /**
   * Accepted audiences. The first is written into issued tokens as `aud`; a verified token must name at least
   * one of them. The environment variable is comma-separated; a list of blank items only is refused.
   * @env JWT_AUDIENCE
   * @default none (not written, not checked)
   */
  audience?: string | string[];

  /**
   * Lifetime of issued tokens: seconds as a number, or a string such as `'900'`, `'15m'`, `'1h'`, `'7d'`.
   * @env JWT_EXPIRES_IN
   * @default '15m'
   */
  expiresIn?: string | number;

  /**
   * Seconds of leeway when checking `exp`, `nbf` and `iat` against the clock.
   * @env JWT_CLOCK_TOLERANCE
   * @default 0
   */
  clockTolerance?: number;

  /**
   * Claims every verified token must carry. The environment variable is comma-separated (a name with white space
   * is refused: `"exp iat sub"` is a start-up error). An empty array, as this option, requires none; a list of
   * blank items only is refused.
   * @env JWT_REQUIRED_CLAIMS
   * @default ['exp', 'iat', 'sub']
   */
  requiredClaims?: string[];

  /**
   * Largest accepted token, in bytes. Longer tokens are rejected before any decoding or crypto.
   * @env JWT_MAX_TOKEN_LENGTH
   * @default 8192
   */
  maxTokenLength?: number;

  /**
   * Re-read and re-check every key file on `SIGHUP`, replacing the key set without a restart if all checks pass.
   * In resource-server mode (`jwksUri`), `SIGHUP` fetches the issuer's JWK Set at once instead, whatever the
   * cooldown, and logs the kids it got.
   * @env JWT_RELOAD_ON_SIGHUP
   * @default true
   */
  reloadOnSignal?: boolean;

  /**
   * Also reload when a key file (or a file in a key folder) changes.
   * @env JWT_WATCH_KEY_FILES
   * @default false
   */
  watchKeyFiles?: boolean;

  /**
   * Most verified tokens remembered, so a client reusing its token costs no RSA operation. Entries are keyed by
   * the whole token, never served past the token's `exp`, re-checked against the clock on every hit, and dropped
   * when the keys change. 0 disables the cache.
   * @env JWT_CACHE_SIZE
   * @default 5000
   */
  cacheSize?: number;

  /**
   * Check the RSA signature of a token not in the cache on libuv's thread pool (`crypto.verify` with a callback)
   * instead of the event loop, which then parses and routes other requests meanwhile. It pays where new tokens are
   * frequent and a core is idle: the bench measures it (see the README's Performance section). Cached tokens, and
   * tokens refused before the signature check, are answered at once either way. The pool is shared with file system,
   * DNS and zlib work and has 4 threads unless `UV_THREADPOOL_SIZE` says otherwise.
   * @env JWT_VERIFY_OFF_THREAD
   * @default false
   */
  verifyOffThread?: boolean;

  /**
   * `realm` announced in `WWW-Authenticate` challenges.
   * @env JWT_REALM
   * @default 'api'
   */
  realm?: string;

  /**
   * Where the guard looks for the token. The default reads `Authorization: Bearer <token>` only (scheme
   * case-insensitive); pass an extractor to also accept, say, a cookie or a query parameter.
   * @default the Authorization header, Bearer scheme
   * @example
   * import { ExtractJwt } from 'passport-jwt';
   * Rs256AuthModule.forRoot({ jwtFromRequest: ExtractJwt.fromExtractors([bearer, ExtractJwt.fromUrlQueryParameter('access_token')]) })
   */
  jwtFromRequest?: TokenExtractor;

  /**
   * Resource-server mode: verify with the keys of an issuer's JWK Set instead of local key files. Only `https:`
   * unless the host is loopback or `jwksAllowHttp` is set. Excludes local keys: such a service signs nothing.
   * @env JWT_JWKS_URI
   * @default none (local keys)
   * @example 'https://id.example.com/.well-known/jwks.json'
   */
  jwksUri?: string;

  /**
   * Seconds after which the fetched JWK Set is refreshed in the background; cached keys keep serving meanwhile.
   * @env JWT_JWKS_CACHE_MAX_AGE
   * @default 600
   */
  jwksCacheMaxAge?: number;

  /**
   * Seconds between two fetches of the JWK Set: an unknown `kid` triggers a fetch only past this window, so a
   * flood of made-up `kid`s cannot hammer the issuer. At least 1.
   * @env JWT_JWKS_COOLDOWN
   * @default 30
   */
  jwksCooldown?: number;

  /**
   * Milliseconds a JWK Set fetch may take before it is given up.
   * @env JWT_JWKS_TIMEOUT_MS
   * @default 5000
   */
  jwksTimeout?: number;

  /**
   * Largest JWK Set response read, in bytes (at least 1024). The download is cut off past it and the fetch fails,
   * so the cached keys stay in use; a real set of a few RSA keys is a few KiB.
   * @env JWT_JWKS_MAX_BYTES
   * @default 1048576 (1 MiB)
   */
  jwksMaxBytes?: number;

  /**
   * Most entries read from one JWK Set (at least 1); later entries are ignored, and the fetch's warning says how
   * many. Bounds the work of one fetch however many entries the document holds.
   * @env JWT_JWKS_MAX_KEYS
   * @default 100
   */
  jwksMaxKeys?: number;

  /**
   * Allow an `http:` `jwksUri` on a host that is not loopback (never do this across a network you do not own).
   * @env JWT_JWKS_ALLOW_HTTP
   * @default false
   */
  jwksAllowHttp?: boolean;

  /**
   * Serve the verification keys as an RFC 7517 JWK Set, so other services can verify this one's tokens. Public
   * members only (`kty`, `n`, `e`, `kid`, `alg`, `use`), outside every guard. `true` uses the defaults below;
   * `JWT_JWKS_PATH` or `JWT_JWKS_MAX_AGE` set while the endpoint is off stops start-up.
   * @env JWT_JWKS_ENABLED (`true`/`false`), JWT_JWKS_PATH, JWT_JWKS_MAX_AGE
   * @default false
   */
  jwks?: boolean | JwksOptions;

  /**
   * The application's own `JWT_*` variables. At start-up every `JWT_*` name in `process.env` (where `ConfigModule`
   * puts the `.env` file's variables) that is not a setting of this module is checked: one within a typo of a
   * setting (`JWT_ISSUR`) stops start-up with "did you mean `JWT_ISSUER`?", any other is named in one warning.
   * Names listed here are neither; a setting of this module cannot be listed.
   * @default []
   * @example
   * ignoreEnv: ['JWT_REFRESH_SECRET', 'JWT_ISSUERS']
   */
  ignoreEnv?: string[];
}

/** Where and how the JWK Set is served. */
export interface JwksOptions {
  /**
   * Route of the JWK Set. Registered on the HTTP adapter directly, so a global prefix does not apply.
   * @env JWT_JWKS_PATH
   * @default '/.well-known/jwks.json'
   */
  path?: string;

  /**
   * `Cache-Control: public, max-age=<seconds>` sent with the set; verifiers refetch after it.
   * @env JWT_JWKS_MAX_AGE
   * @default 300
   */
  maxAge?: number;
}

/** Options that shape the module itself rather than its behaviour. */
export interface Rs256AuthModuleExtras {
  /**
   * Register the module globally, so `JwtAuthGuard` and `JwtService` can be used in every module.
   * @default true
   */
  isGlobal?: boolean;

  /**
   * A subclass of `Rs256Strategy` to use instead of it, typically overriding `validate(claims)` to turn verified
   * claims into the application's user (it may be async, and may return null to refuse the token).
   * @default Rs256Strategy
   * @example
   * @Injectable()
   * class UserStrategy extends Rs256Strategy {
   *   async validate(claims: JwtClaims) { return { id: claims.sub, roles: claims.roles }; }
   * }
   * Rs256AuthModule.forRoot({ strategy: UserStrategy })
   */
  strategy?: Type<Rs256Strategy>;
}
