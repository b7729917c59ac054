import type { MeterProvider } from '@opentelemetry/api';
import type { Rs256AuthAuditEvent } from '../observability/audit-events.js';
import type { TokenExtractor } from '../transports/token-extractors.js';
import type { KeyRotationOptions } from './key-rotation-options.interface.js';
import type { KeySourceOptions } from './key-source-options.interface.js';
import type { CertificateBindingOptions } from './mtls-options.interface.js';
import type { RedisClientFactory } from './redis-client.interface.js';

export type { TokenExtractor };
export type { IssuerResolver, KeySourceOptions, TrustedIssuerOptions } from './key-source-options.interface.js';

/**
 * Options of `Rs256AuthModule.forRoot()` / `forRootAsync()`, grouped by concern. Every option is optional: an option
 * left out is read from `ConfigService` under the environment variable named in its documentation (see
 * docs/configuration.md), and an option given here overrides that variable.
 */
export type Rs256AuthModuleOptions = KeySourceOptions &
  TokenOptions &
  TransportOptions &
  CertificateBindingOptions &
  KeyReloadOptions &
  KeyRotationOptions &
  PublishingOptions &
  SessionOptions &
  ObservabilityOptions &
  EnvironmentOptions;

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
   * Log every token the guard refuses, at `'debug'` or `'warn'`: the `RS256_TOKEN_*` code and reason, and the
   * token's `iss`, `aud` and `kid` beside the ones this module expects, so that a wrong issuer or audience shows
   * what was sent and what was wanted. The token itself is never logged; values read from it are quoted, shortened
   * and escaped. A request without a token is not logged. The environment variable takes `debug`, `warn` or `off`.
   * @env JWT_LOG_REFUSALS
   * @default false (nothing logged)
   */
  logRefusals?: 'debug' | 'warn' | false;
}

/** Where the guard finds the token, and how its challenges name the scheme. */
export interface TransportOptions {
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
}

/** Reloading keys without a restart. */
export interface KeyReloadOptions {
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
}

/** What this application publishes: its JWK Set, discovery metadata, RFC 9728 metadata. */
export interface PublishingOptions {
  /**
   * Serve the verification keys as an RFC 7517 JWK Set, so other services can verify this one's tokens. Public
   * members only (`kty`, `n`, `e`, `kid`, `alg`, `use`), outside every guard. `true` uses the defaults below;
   * `JWT_JWKS_PATH` or `JWT_JWKS_MAX_AGE` set while the endpoint is off stops start-up.
   * @env JWT_JWKS_ENABLED (`true`/`false`), JWT_JWKS_PATH, JWT_JWKS_MAX_AGE
   * @default false
   */
  jwks?: boolean | JwksOptions;

  /**
   * Publish authorization-server metadata naming this issuer and its JWK Set, so that a resource server finds the
   * keys from the issuer URL alone (this module's `JWT_ISSUER_URL`, express-oauth2-jwt-bearer's `issuerBaseURL`,
   * Spring's `issuer-uri`): OpenID Connect Discovery at `<issuer>/.well-known/openid-configuration` and RFC 8414 at
   * `/.well-known/oauth-authorization-server<issuer path>`, outside every guard. The documents hold `issuer`,
   * `jwks_uri` and `id_token_signing_alg_values_supported` (`RS256`) only: this module issues tokens but runs no
   * authorization endpoint. The issuer must be the https URL this application is reached at (`http:` only on
   * loopback), and the JWK Set endpoint must be on; the routes are the paths of those URLs.
   * @env JWT_DISCOVERY_ENABLED
   * @default false
   */
  discovery?: boolean;

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

/** Refresh tokens, revocation, and where their state is kept. */
export interface SessionOptions {
  /**
   * Sessions: `SessionService` issues refresh tokens with access tokens (each access token then carries `sid` and
   * `jti`), and every guarded request is checked against the revocations (by `jti`, by `sid`, by `sub`).
   * @env JWT_SESSIONS_ENABLED
   * @default false
   */
  sessions?: boolean;

  /**
   * Where refresh tokens and revocations are kept: `'memory'` (one process) or `'redis'` (several instances share
   * them; needs the `ioredis` package and one Redis: `redisUrl`, `redisSentinels`, `redisClusterNodes` or
   * `redisClient`).
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
   * the Redis store. Past it, tokens are refused (`RS256_TOKEN_REVOCATION_STALE`: 503 with `Retry-After` over HTTP,
   * not a 401, for the token may be good) unless `revocationFailOpen`.
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
}

/** How the environment is read. */
/** Where metrics and audit events go (see docs/observability.md). */
export interface ObservabilityOptions {
  /**
   * Where the library's OpenTelemetry instruments report. By default the global meter provider: the library's
   * metrics are no-ops until the application registers an SDK, before the module is built.
   * @env none: an object, given in code only
   * @default the global meter provider of `@opentelemetry/api`
   */
  meterProvider?: MeterProvider;

  /**
   * Receives audit events (refresh-token reuse, sign-out everywhere, bulk cut-off, key reload, JWK Set fetch failure,
   * issuer resolution refused by the rate bound), for a SIEM. Called on a later turn of the event loop, never
   * awaited: a slow or throwing subscriber never delays or fails a request (a failure is logged once).
   * @env none: a function, given in code only
   * @default none
   * @example
   * Rs256AuthModule.forRoot({ onAuditEvent: (event) => siem.send(event) })
   */
  onAuditEvent?: (event: Rs256AuthAuditEvent) => void | Promise<void>;
}

export interface EnvironmentOptions {
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
}

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
