import type { TokenExtractor } from '../transports/token-extractors.js';
import type { RedisClientFactory } from './redis-client.interface.js';

export type { TokenExtractor };

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
   * Where keys come from an identity provider (`jwksUri`, `issuerUrl`, `trustedIssuers`, `issuerResolver`), accept
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
   * `tokenType` says otherwise.
   * @env JWT_TOKEN_PROFILE (`jwt` or `rfc9068`)
   * @default 'jwt'
   */
  tokenProfile?: 'jwt' | 'rfc9068';

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
   * @example tokenType: 'at+jwt'
   */
  tokenType?: string | string[];

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
  maxTokenLength?: number;

  /**
   * Re-read and re-check every key file on `SIGHUP`, replacing the key set without a restart if all checks pass.
   * Where keys are fetched instead (`jwksUri`, `issuerUrl`, `trustedIssuers`), `SIGHUP` fetches every issuer's JWK
   * Set at once, whatever the cooldown, and logs the kids it got; trusted issuers with local keys (`publicKeyPath`)
   * have their key files re-read and re-checked the same way.
   * @env JWT_RELOAD_ON_SIGHUP
   * @default true
   */
  reloadOnSignal?: boolean;

  /**
   * Also reload when a key file (or a file in a key folder) changes; with several issuers, when one of an issuer's
   * `publicKeyPath` files changes (a resolved issuer's while it stays in the issuer cache). Turned on where no key is
   * read from a file (inline or fetched keys, and no `issuerResolver`), it stops start-up: there is nothing to watch.
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
   * Authorization scheme of the `Authorization` header the guard reads (matched case-insensitively), and the
   * scheme its `WWW-Authenticate` challenges name. Flask-JWT clients, for instance, send `JWT <token>`.
   * @env JWT_AUTH_SCHEME
   * @default 'Bearer'
   */
  authScheme?: string;

  /**
   * Also read the token from this cookie when the `Authorization` header carries none (the header wins when both
   * are present). A browser sends cookies on its own: an app that accepts one needs CSRF protection
   * (`SameSite=Strict` or `Lax` on the cookie, and a CSRF token for state-changing requests; see the README).
   * Not together with `jwtFromRequest`, which replaces the built-in extractors.
   * @env JWT_COOKIE_NAME
   * @default none (cookies are not read)
   */
  cookieName?: string;

  /**
   * Where the guard looks for the token, replacing the built-in extractors (`authScheme`, `cookieName`). Compose
   * `fromAuthHeader`, `fromCookie`, `fromQuery` with `firstOf`; `passport-jwt`'s `ExtractJwt` extractors fit too.
   * Tokens in URLs are only ever read this way, never through a setting: URLs end up in logs.
   * @env none: a function, given in code only
   * @default the Authorization header with `authScheme`, then the `cookieName` cookie if set
   * @example
   * import { firstOf, fromAuthHeader, fromQuery } from 'nestjs-rs256-auth';
   * Rs256AuthModule.forRoot({ jwtFromRequest: firstOf(fromAuthHeader(), fromQuery('access_token')) })
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
   * Resource-server mode by discovery: the issuer's identifier. Its metadata is fetched from
   * `<issuer>/.well-known/openid-configuration` (OpenID Connect Discovery), else from RFC 8414's
   * `/.well-known/oauth-authorization-server`; the document's `issuer` must equal this value exactly, and its
   * `jwks_uri` is then used as `jwksUri` would be. Tokens must carry this `iss`. An issuer that is down at start-up
   * does not stop the service: it is asked again (at most once per `jwksCooldown`) until it answers. Excludes
   * `jwksUri`, local keys and `trustedIssuers`.
   * @env JWT_ISSUER_URL
   * @default none
   * @example 'https://keycloak.example.com/realms/shop'
   */
  issuerUrl?: string;

  /**
   * Several trusted issuers (tenants), each with its own keys, audience and required claims. A token's `iss`,
   * read before its signature is checked and only to choose among these, selects the issuer; a token whose `iss`
   * is not trusted is refused (`issuer not accepted`) without any network request, and a key is only ever looked
   * up among the chosen issuer's keys. In the environment: issuer URLs, comma-separated (each by discovery, with
   * `JWT_AUDIENCE` and `JWT_REQUIRED_CLAIMS`), or a JSON array of the objects below. Excludes `issuer`,
   * `issuerUrl`, `jwksUri` and local keys.
   * @env JWT_TRUSTED_ISSUERS
   * @default none (one issuer)
   * @example
   * trustedIssuers: [
   *   { issuer: 'https://id.example.com/realms/a' },
   *   { issuer: 'https://login.partner.test', jwksUri: 'https://login.partner.test/keys', audience: 'partner-api' },
   *   { issuer: 'internal', publicKeyPath: 'keys/internal.pem' },
   * ]
   */
  trustedIssuers?: Array<string | TrustedIssuerOptions>;

  /**
   * For dynamic tenants: called with a token's `iss` when it is not among `trustedIssuers`; returns that issuer's
   * options (the same checks apply as to configured ones), or `undefined` to refuse it. Answers, yes or no, are
   * remembered for up to `issuerCacheSize` issuers (least recently used first out), so the resolver runs once per
   * issuer, not once per token. The `iss` is read before any signature is checked, so it is bounded first: only an
   * absolute `https:` URL (`http:` on loopback) of at most 256 characters without userinfo, query, fragment or dot
   * segments reaches the resolver, at most `newIssuersPerMinute` new ones a minute; an accepted issuer joins the
   * cache of active issuers (and can push one out) only once one of its tokens has verified. Needs `audience`, or
   * `acceptAnyAudience`.
   * @env none: a function, given in code only
   * @default none (only `trustedIssuers`)
   * @example
   * issuerResolver: async (iss) => (iss.startsWith('https://id.example.com/realms/') ? { issuer: iss } : undefined)
   */
  issuerResolver?: IssuerResolver;

  /**
   * Most issuers whose `issuerResolver` answers are remembered. Refused at start-up without an `issuerResolver`.
   * @env JWT_ISSUER_CACHE_SIZE
   * @default 100
   */
  issuerCacheSize?: number;

  /**
   * Most issuers not seen before that are put to the `issuerResolver` (and whose keys are then fetched) in one
   * minute; past it, tokens of further new issuers are refused (`issuer not accepted`) until the minute is over,
   * and one warning is logged. Bounds what tokens with made-up issuers, which anyone can write, cost the identity
   * providers and the resolver. Refused at start-up without an `issuerResolver`.
   * @env JWT_NEW_ISSUERS_PER_MINUTE
   * @default 10
   */
  newIssuersPerMinute?: number;

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
   * Seconds a fetched JWK Set may keep verifying after its last successful fetch while its refreshes fail. Past
   * it, tokens are refused (`RS256_TOKEN_KEYS_STALE`, "verification keys are stale") and one error is logged, until
   * a fetch succeeds again; a key the identity provider has withdrawn meanwhile stops being trusted. At least
   * `jwksCacheMaxAge`.
   * @env JWT_JWKS_MAX_STALE
   * @default 86400 (one day)
   */
  jwksMaxStale?: number;

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
   * @env none: given in code only
   * @default []
   * @example
   * ignoreEnv: ['JWT_REFRESH_SECRET', 'JWT_ISSUERS']
   */
  ignoreEnv?: string[];

  /**
   * Sessions: `SessionService` issues refresh tokens with access tokens (each access token then carries `sid` and
   * `jti`), and every guarded request is checked against the revocations (by `jti`, by `sid`, by `sub`).
   * @env JWT_SESSIONS_ENABLED
   * @default false
   */
  sessions?: boolean;

  /**
   * Where refresh tokens and revocations are kept: `'memory'` (one process) or `'redis'` (several instances share
   * them; needs the `ioredis` package and `redisUrl`).
   * @env JWT_SESSION_STORE
   * @default 'memory'
   */
  sessionStore?: 'memory' | 'redis';

  /**
   * The Redis server of the `'redis'` session store. Never logged (it may hold a password).
   * @env JWT_REDIS_URL
   * @default none (required with sessionStore 'redis')
   * @example 'redis://127.0.0.1:6379/0'
   */
  redisUrl?: string;

  /**
   * Redis Sentinel instead of `redisUrl`: the sentinels, as `host:port` items (or `redis://` / `rediss://` URLs of
   * one sentinel each, for the sentinels' own password and TLS). Needs `redisSentinelMaster`.
   * @env JWT_REDIS_SENTINELS (comma-separated)
   * @default none
   * @example ['10.0.0.1:26379', '10.0.0.2:26379', '10.0.0.3:26379']
   */
  redisSentinels?: string[];

  /**
   * The master name the sentinels watch, or a URL naming it as the host, for the primary's password, TLS and
   * database (`rediss://:password@mymaster/0`).
   * @env JWT_REDIS_SENTINEL_MASTER
   * @default none (required with redisSentinels)
   * @example 'mymaster'
   */
  redisSentinelMaster?: string;

  /**
   * Redis Cluster instead of `redisUrl`: seed nodes as `host:port` items (or `redis://` / `rediss://` URLs of one
   * node each, for password and TLS, the same for every node). Every key of the store carries one hash tag (the key
   * prefix), so the store lives in one slot.
   * @env JWT_REDIS_CLUSTER_NODES (comma-separated)
   * @default none
   * @example ['10.0.0.1:6379', '10.0.0.2:6379', '10.0.0.3:6379']
   */
  redisClusterNodes?: string[];

  /**
   * Any other Redis shape (TLS client certificates, a managed service's endpoint): a function returning an ioredis
   * `Redis` or `Cluster`, instead of `redisUrl`, `redisSentinels` or `redisClusterNodes`. The store sends its
   * commands through it and subscribes on a `duplicate()` of it; it never closes the client it was given (it
   * closes only the duplicate). Option only.
   * @default none
   * @example () => new Redis({ host: 'redis.internal', port: 6380, tls: { cert, key, ca } })
   */
  redisClient?: RedisClientFactory;

  /**
   * Milliseconds a Redis connection attempt or command may take before it is given up: refreshing and revoking
   * then fail with `RS256_SESSION_STORE_UNAVAILABLE` instead of waiting.
   * @env JWT_REDIS_TIMEOUT_MS
   * @default 1000
   */
  redisTimeout?: number;

  /**
   * Prefix of every Redis key and channel the session store uses, so several applications can share a server.
   * @env JWT_REDIS_KEY_PREFIX
   * @default 'rs256-auth:'
   */
  redisKeyPrefix?: string;

  /**
   * Lifetime of refresh tokens: seconds as a number, or a string such as `'12h'`, `'14d'`. Counted from each
   * refresh, so it is the sessions' idle timeout: a session used at least this often lives on until it is revoked or
   * reaches `sessionMaxLifetime`.
   * @env JWT_REFRESH_EXPIRES_IN
   * @default '14d'
   */
  refreshExpiresIn?: string | number;

  /**
   * Absolute lifetime of a session: past this long after sign-in no refresh succeeds, however recently the session
   * was refreshed, and the user signs in again (with claims read afresh). Seconds as a number, or a string such as
   * `'12h'`, `'30d'`. `refreshExpiresIn` stays the idle timeout within it.
   * @env JWT_SESSION_MAX_LIFETIME
   * @default '30d'
   */
  sessionMaxLifetime?: string | number;

  /**
   * Seconds during which presenting the refresh token just spent again (a second tab, a retry after a timeout)
   * answers with the very pair the first refresh returned, and an older token of the session is refused without
   * revoking anything. Past it, presenting a spent token is reuse and revokes the session. `0` turns it off.
   * @env JWT_REFRESH_REUSE_GRACE
   * @default 10
   */
  refreshReuseGrace?: number;

  /**
   * Milliseconds for which verification keeps trusting its local view of revocations after it lost contact with
   * the Redis store. Past it, tokens are refused (`RS256_TOKEN_REVOCATION_STALE`) unless `revocationFailOpen`.
   * @env JWT_REVOCATION_MAX_STALENESS_MS
   * @default 10000
   */
  revocationMaxStaleness?: number;

  /**
   * Past `revocationMaxStaleness`, accept tokens on the stale view (logging that it does) instead of refusing
   * them: availability over revocation, for APIs that prefer it.
   * @env JWT_REVOCATION_FAIL_OPEN
   * @default false
   */
  revocationFailOpen?: boolean;

  /**
   * Serve RFC 9728 protected-resource metadata (`resource`, `authorization_servers`, `scopes_supported` gathered
   * from the routes' `@RequireClaims`, `bearer_methods_supported`) at `/.well-known/oauth-protected-resource`,
   * outside every guard, and add `resource_metadata="<its URL>"` to every `WWW-Authenticate` challenge, so that
   * clients (MCP clients among them) find the authorization server from a 401. `true` uses the defaults.
   * @env JWT_RESOURCE_METADATA_ENABLED (`true`/`false`), JWT_RESOURCE, JWT_AUTHORIZATION_SERVERS
   * @default false
   */
  resourceMetadata?: boolean | ResourceMetadataOptions;
}

/**
 * One trusted issuer: its `iss`, where its keys come from, and what its tokens must carry. In the environment, the
 * entries of `JWT_TRUSTED_ISSUERS` in its JSON form (`[{"issuer": "…", "audience": "…"}]`) have these members.
 */
export interface TrustedIssuerOptions {
  /** The `iss` its tokens carry, compared exactly. Required. */
  issuer: string;
  /** Its JWK Set. @default none: without it (and without local keys) the set is found by discovery from `issuer` */
  jwksUri?: string;
  /** Local public keys (files or folders, as `publicKeyPath`) instead of a fetched set. @default none */
  publicKeyPath?: string | string[];
  /** A local public key PEM instead of a fetched set. @default none */
  publicKey?: string;
  /** Accepted audiences of its tokens. @default the module's `audience` */
  audience?: string | string[];
  /** Claims its tokens must carry. @default the module's `requiredClaims` */
  requiredClaims?: string[];
}

/** Turns an untrusted `iss` into an issuer's options, or refuses it with `undefined`. */
export type IssuerResolver = (iss: string) => Promise<TrustedIssuerOptions | undefined> | TrustedIssuerOptions | undefined;

/** The RFC 9728 protected-resource metadata this server publishes. */
export interface ResourceMetadataOptions {
  /**
   * The resource identifier: the https URL clients name this resource server by (RFC 9728 §1.2), usually the
   * audience of its tokens. The document is served at its origin plus `/.well-known/oauth-protected-resource`
   * plus its path.
   * @env JWT_RESOURCE
   * @default the first audience, when it is a URL
   * @example 'https://api.example.com'
   */
  resource?: string;

  /**
   * Issuer identifiers of the authorization servers whose tokens this resource accepts (`authorization_servers`).
   * The environment variable is comma-separated.
   * @env JWT_AUTHORIZATION_SERVERS
   * @default the configured issuer
   */
  authorizationServers?: string[];
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
