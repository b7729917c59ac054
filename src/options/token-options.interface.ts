/** What issued tokens carry and what verified ones must. */
export interface TokenModuleOptions {
  tokens?: TokenOptions;
}

/** What issued tokens carry and what verified ones must. */
export interface TokenOptions {
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
   * Where keys come from an identity provider (`keys.jwksUri`, `keys.issuerUrl`, `keys.trustedIssuers`, `keys.issuerResolver`), accept
   * its tokens whatever their `aud`. Without it such a resource server refuses to start unless `audience` is set
   * (for trusted issuers: unless each has an audience), since the provider's keys sign tokens for every API of the
   * tenant and a token minted for another API would pass. Refused with local keys, and together with `audience`.
   * @env JWT_ACCEPT_ANY_AUDIENCE
   * @default false
   */
  acceptAnyAudience?: boolean;

  /**
   * Lifetime of issued tokens: seconds as a number, or a string such as `'900'`, `'15m'`, `'1h'`, `'7d'`.
   * @env JWT_EXPIRES_IN
   * @default '15m'
   */
  expiresIn?: string | number;

  /**
   * Shape of the tokens `JwtService.sign` issues. `'rfc9068'` makes them RFC 9068 JWT access tokens, as strict
   * verifiers (express-oauth2-jwt-bearer with `strict: true`, Spring's `JwtValidators.createAtJwtValidator`)
   * demand: header `typ: at+jwt`, a fresh `jti` per token (unless the payload brings one), and `iss`, `aud`, `iat`,
   * `exp` from the configuration; the payload must carry `sub` and `client_id` (strings), or `sign` throws
   * `RS256_ACCESS_TOKEN_CLAIMS`. Needs `issuer` and `audience`; verification then expects `typ: at+jwt` unless
   * `type` says otherwise.
   * @env JWT_TOKEN_PROFILE (`jwt` or `rfc9068`)
   * @default 'jwt'
   */
  profile?: 'jwt' | 'rfc9068';

  /**
   * Seconds of leeway when checking `exp`, `nbf` and `iat` against the clock. A few seconds, as peers use, so that
   * tokens from a host whose clock runs slightly fast are not refused as "not yet valid"; 0 for none.
   * @env JWT_CLOCK_TOLERANCE
   * @default 5
   */
  clockTolerance?: number;

  /**
   * Accepted values of the `typ` header; a token with another `typ`, or none, is refused (`token type not
   * accepted`). Compared as media types (RFC 7515 §4.1.9): `at+jwt` also accepts `application/at+jwt` and
   * `AT+JWT`. Set `'at+jwt'` to accept only RFC 9068 access tokens, which keeps ID tokens (`typ: JWT`) out.
   * The environment variable is comma-separated.
   * @env JWT_TOKEN_TYPE
   * @default none (any `typ`, or none)
   * @example type: 'at+jwt'
   */
  type?: string | string[];

  /**
   * Claims every verified token must carry. The environment variable is comma-separated (a name with white space
   * is refused: `"exp iat sub"` is a start-up error). An empty array, as this option, requires none; a list of
   * blank items only is refused.
   * @env JWT_REQUIRED_CLAIMS
   * @default ['exp', 'iat', 'sub']
   */
  requiredClaims?: string[];

  /**
   * Where `@RequireClaims({ roles })` reads roles: dotted paths into the claims, each an array of strings or one
   * string, which is one role (`"admin user"` is neither `admin` nor `user`); the roles are those found at all the
   * paths. For Keycloak,
   * `'realm_access.roles,resource_access.<client>.roles'`. Comma-separated in the environment, an array here.
   * @env JWT_ROLES_CLAIM
   * @default 'roles'
   * @example rolesClaim: 'realm_access.roles,resource_access.orders-api.roles'
   */
  rolesClaim?: string | string[];

  /**
   * Where `@RequireClaims({ scopes })` reads scopes: dotted paths into the claims, each a space-separated string
   * or an array of strings. Comma-separated in the environment, an array here.
   * @env JWT_SCOPES_CLAIM
   * @default 'scope,scp'
   */
  scopesClaim?: string | string[];

  /**
   * Largest accepted token, in bytes. Longer tokens are rejected before any decoding or crypto.
   * @env JWT_MAX_TOKEN_LENGTH
   * @default 8192
   */
  maxLength?: number;
}

/** How tokens are verified: caching, threads, logging refusals. */
export interface VerificationModuleOptions {
  verification?: VerificationOptions;
}

/** How tokens are verified: caching, threads, logging refusals. */
export interface VerificationOptions {
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
  offThread?: boolean;

  /**
   * Log every token the guard refuses, at `'debug'` or `'warn'`: the `RS256_TOKEN_*` code and reason, and the
   * token's `iss`, `aud` and `kid` beside the ones this module expects, so that a wrong issuer or audience shows
   * what was sent and what was wanted. The token itself is never logged; values read from it are quoted, shortened
   * and escaped. A request without a token is not logged. The environment variable takes `debug`, `warn` or `off`.
   * @env JWT_LOG_REFUSALS
   * @default false (nothing logged)
   */
  logRefusals?: 'debug' | 'warn' | false;
}
