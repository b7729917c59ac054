import { boolean, integer, lifetime, list, raw, text, type Parser } from './parse.js';

/**
 * Units of the quantities settings hold. Durations are seconds, but for the few variables whose name says `_MS`;
 * lifetimes are seconds too, also written with a unit (`15m`, `14d`).
 */
export type Unit = 'seconds' | 'milliseconds' | 'lifetime' | 'bytes' | 'count';

/** The concerns settings are grouped by, in the reference and in `.env.example`. */
export const SECTIONS = {
  keys: { title: 'Keys', note: 'RSA key pair. npm start creates keys/private.pem and keys/public.pem (development keys) when they are missing.' },
  tokens: { title: 'Tokens', note: 'Claims written into issued tokens and required on verification. Lists are comma-separated.' },
  transport: { title: 'Where the token comes from' },
  publishing: { title: 'Publishing keys and metadata' },
  sessions: { title: 'Sessions' },
  remote: {
    title: "Identity providers: an issuer's keys",
    note:
      "A resource server (npm run start:resource-server) verifies with an issuer's JWK Set instead of key files; it " +
      'reads only its environment, not this file. The settings that tune fetching are refused where no JWK Set is fetched.',
  },
} as const satisfies Record<string, { title: string; note?: string }>;

export type Section = keyof typeof SECTIONS;

/** One setting: a `JWT_*` variable and the module option of the same meaning. */
export interface Setting<T = unknown> {
  /** The environment variable. */
  readonly env: `JWT_${string}`;
  /** The module option, as a dotted path into `Rs256AuthModuleOptions`; messages name it `<path> option`. */
  readonly option: string;
  readonly parse: Parser<T>;
  /** The default, written as the variable would be; absent when there is none, or it depends on other settings. */
  readonly default?: string;
  /** The default as the reference states it, where `default` alone does not say it. */
  readonly defaultDoc?: string;
  readonly unit?: Unit;
  /** One line of documentation (Markdown, links relative to docs/), shown in the reference and in `.env.example`. */
  readonly doc: string;
  readonly section: Section;
  /** Never quoted in a message, whatever its type. */
  readonly secret?: true;
  /** The value `.env.example` sets for the demo; absent, the variable is shown commented out. */
  readonly demo?: string;
  /** A value to show, commented out, in `.env.example` when there is no default to show. */
  readonly example?: string;
}

/** A row of the table, kept as written: whether it has a default, and its parser's type, show in `read`'s type. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any parser; each row keeps its own
function setting<const R extends Setting<any>>(row: R): R {
  return row;
}

/**
 * The settings of this module: the only place the `JWT_*` names are written. The environment reader, typo
 * detection, `docs/configuration.md` and `.env.example` (`npm run docs:config`) all follow from it. A new setting
 * is a row here plus the code that uses its value (`reader.read('<key>')` where the configuration is resolved).
 */
export const SETTINGS = {
  privateKeyPath: setting({
    env: 'JWT_PRIVATE_KEY_PATH',
    option: 'privateKeyPath',
    parse: text(),
    section: 'keys',
    defaultDoc: 'none: verify-only mode',
    demo: 'keys/private.pem',
    doc: 'PEM file of the RSA private key (PKCS#1 or PKCS#8, optionally encrypted): a regular file of at most 64 KiB holding that one PEM block and nothing else',
  }),
  privateKeyPassphrase: setting({
    env: 'JWT_PRIVATE_KEY_PASSPHRASE',
    option: 'privateKeyPassphrase',
    parse: text({ secret: true }),
    section: 'keys',
    secret: true,
    demo: '',
    doc: 'passphrase of an encrypted private key; set for an unencrypted key, it stops start-up',
  }),
  publicKeyPath: setting({
    env: 'JWT_PUBLIC_KEY_PATH',
    option: 'publicKeyPath',
    parse: raw,
    section: 'keys',
    defaultDoc: 'derived from the private key',
    demo: 'keys/public.pem',
    doc: 'PEM file(s) of the RSA public keys (SPKI or PKCS#1): one file, a folder of `*.pem`/`*.pub` files, or several, comma-separated; as an option also `{ path, kid }` entries. One public key per file (regular, at most 64 KiB); with a private key, its public half must be among them',
  }),
  privateKey: setting({
    env: 'JWT_PRIVATE_KEY',
    option: 'privateKey',
    parse: text({ secret: true }),
    section: 'keys',
    secret: true,
    doc: 'the private key PEM itself, for platforms that pass secrets as variables; `\\n` escapes and base64-encoded PEM accepted; not together with `JWT_PRIVATE_KEY_PATH`',
  }),
  publicKey: setting({
    env: 'JWT_PUBLIC_KEY',
    option: 'publicKey',
    parse: text({ secret: true }),
    section: 'keys',
    secret: true,
    doc: 'the public key PEM itself (`\\n` escapes and base64 accepted); not together with `JWT_PUBLIC_KEY_PATH`',
  }),
  reloadOnSignal: setting({
    env: 'JWT_RELOAD_ON_SIGHUP',
    option: 'reloadOnSignal',
    parse: boolean,
    section: 'keys',
    default: 'true',
    demo: 'true',
    doc: "re-read and re-check the key files on `SIGHUP` (see [Key rotation](keys.md#key-rotation)); in resource-server mode, fetch the issuer's JWK Set at once instead; with several issuers, both: fetched sets are fetched, trusted issuers' key files re-read",
  }),
  watchKeyFiles: setting({
    env: 'JWT_WATCH_KEY_FILES',
    option: 'watchKeyFiles',
    parse: boolean,
    section: 'keys',
    default: 'false',
    demo: 'false',
    doc: "also reload when a key file or key folder changes (trusted issuers' `publicKeyPath` files too); `true` where no key is read from a file stops start-up",
  }),

  keyRotation: setting({
    env: 'JWT_KEY_ROTATION',
    option: 'keyRotation.interval',
    parse: lifetime,
    section: 'keys',
    unit: 'lifetime',
    defaultDoc: 'none: no rotation',
    example: '30d',
    doc: 'rotate the signing key automatically at this interval (see [Key custody](key-custody.md#automatic-rotation)): keys are created, published in the JWK Set ahead of use, switched and retired by the module; needs the JWK Set endpoint, `JWT_KEY_ROTATION_STORE` and `JWT_KEY_ROTATION_PASSPHRASE`, and no other key setting',
  }),
  keyRotationStore: setting({
    env: 'JWT_KEY_ROTATION_STORE',
    option: 'keyRotation.store',
    parse: text(),
    section: 'keys',
    defaultDoc: 'none: required with `JWT_KEY_ROTATION`',
    example: 'redis',
    doc: "where rotated keys and their schedule are kept and instances coordinate: `redis` (the session store's Redis, `JWT_SESSION_STORE=redis`) or the path of a folder every instance shares",
  }),
  keyRotationPassphrase: setting({
    env: 'JWT_KEY_ROTATION_PASSPHRASE',
    option: 'keyRotation.passphrase',
    parse: text({ secret: true }),
    section: 'keys',
    secret: true,
    defaultDoc: 'none: required with `JWT_KEY_ROTATION`',
    doc: 'passphrase (at least 16 characters) that encrypts the rotated private keys at rest (PKCS#8, AES-256-CBC); never logged',
  }),

  issuer: setting({
    env: 'JWT_ISSUER',
    option: 'issuer',
    parse: text(),
    section: 'tokens',
    defaultDoc: 'none: not written, not checked',
    demo: 'nestjs-rs256-auth-demo',
    doc: '`iss` put into tokens and required on verify',
  }),
  audience: setting({
    env: 'JWT_AUDIENCE',
    option: 'audience',
    parse: list(),
    section: 'tokens',
    defaultDoc: 'none: not written, not checked',
    demo: 'nestjs-rs256-auth-demo',
    doc: 'comma-separated (an array as option); the first is put into tokens, any is accepted on verify; required where keys come from an identity provider',
  }),
  acceptAnyAudience: setting({
    env: 'JWT_ACCEPT_ANY_AUDIENCE',
    option: 'acceptAnyAudience',
    parse: boolean,
    section: 'tokens',
    default: 'false',
    doc: 'where keys come from an identity provider, accept its tokens whatever their `aud`, instead of refusing to start without `JWT_AUDIENCE`; refused with local keys or with `JWT_AUDIENCE`',
  }),
  expiresIn: setting({
    env: 'JWT_EXPIRES_IN',
    option: 'expiresIn',
    parse: lifetime,
    section: 'tokens',
    default: '15m',
    unit: 'lifetime',
    demo: '15m',
    doc: 'lifetime of issued tokens: seconds, or `15m`, `1h`, `7d` (units s, m, h, d, w)',
  }),
  tokenProfile: setting({
    env: 'JWT_TOKEN_PROFILE',
    option: 'tokenProfile',
    parse: text(),
    section: 'tokens',
    default: 'jwt',
    demo: 'jwt',
    doc: '`rfc9068` makes issued tokens RFC 9068 access tokens (typ `at+jwt`, `jti`; the payload carries `sub` and `client_id`; see [RFC 9068 access tokens](issuing-tokens.md#rfc-9068-access-tokens)); needs `JWT_ISSUER` and `JWT_AUDIENCE`',
  }),
  clockTolerance: setting({
    // Clocks of two hosts are rarely more than a few seconds apart.
    env: 'JWT_CLOCK_TOLERANCE',
    option: 'clockTolerance',
    parse: integer({ min: 0 }),
    section: 'tokens',
    default: '5',
    unit: 'seconds',
    demo: '5',
    doc: 'leeway for `exp`, `nbf` and `iat`: a token from a host whose clock runs a little fast is not refused as "not yet valid", and one is accepted up to that long after `exp` (express-oauth2-jwt-bearer also defaults to 5 s, Spring Security to 60 s); `0` for none',
  }),
  tokenType: setting({
    env: 'JWT_TOKEN_TYPE',
    option: 'tokenType',
    parse: list(),
    section: 'tokens',
    defaultDoc: 'none: any `typ` (`at+jwt` under the `rfc9068` profile)',
    demo: '',
    doc: 'accepted `typ` header values, comma-separated (an array as option), compared as media types per RFC 7515 §4.1.9 (`at+jwt` = `application/at+jwt`, case-insensitive); a token with another `typ` or none is refused. `at+jwt` accepts RFC 9068 access tokens only and keeps ID tokens out',
  }),
  requiredClaims: setting({
    env: 'JWT_REQUIRED_CLAIMS',
    option: 'requiredClaims',
    parse: list({ allowEmpty: true }),
    section: 'tokens',
    default: 'exp,iat,sub',
    demo: 'exp,iat,sub',
    doc: 'comma-separated claims every token must carry (no white space in a name); `requiredClaims: []` as an option requires none',
  }),
  rolesClaim: setting({
    env: 'JWT_ROLES_CLAIM',
    option: 'rolesClaim',
    parse: list(),
    section: 'tokens',
    default: 'roles',
    demo: 'roles',
    doc: 'where `@RequireClaims({ roles })` reads roles: dotted claim paths, comma-separated (an array as option), e.g. `realm_access.roles,resource_access.<client>.roles` for Keycloak; a role claim that is a string is one role',
  }),
  scopesClaim: setting({
    env: 'JWT_SCOPES_CLAIM',
    option: 'scopesClaim',
    parse: list(),
    section: 'tokens',
    default: 'scope,scp',
    demo: 'scope,scp',
    doc: 'where `@RequireClaims({ scopes })` reads scopes, the same way; a scope string is space-separated',
  }),
  maxTokenLength: setting({
    env: 'JWT_MAX_TOKEN_LENGTH',
    option: 'maxTokenLength',
    parse: integer({ min: 16 }),
    section: 'tokens',
    default: '8192',
    unit: 'bytes',
    demo: '8192',
    doc: 'longest accepted token, refused before any decoding',
  }),
  cacheSize: setting({
    env: 'JWT_CACHE_SIZE',
    option: 'cacheSize',
    parse: integer({ min: 0 }),
    section: 'tokens',
    default: '5000',
    unit: 'count',
    demo: '5000',
    doc: 'most verified tokens remembered (see [Performance](performance.md#performance)); `0` disables the cache',
  }),
  verifyOffThread: setting({
    env: 'JWT_VERIFY_OFF_THREAD',
    option: 'verifyOffThread',
    parse: boolean,
    section: 'tokens',
    default: 'false',
    demo: 'false',
    doc: "check the signature of a token not in the cache on libuv's thread pool instead of the event loop (see [Performance](performance.md#performance)); cached tokens are answered at once either way",
  }),
  logRefusals: setting({
    env: 'JWT_LOG_REFUSALS',
    option: 'logRefusals',
    parse: raw,
    section: 'tokens',
    default: 'off',
    demo: 'off',
    doc: "log every token the guard refuses, at `debug` or `warn`: the `RS256_TOKEN_*` code and reason, and the token's `iss`, `aud` and `kid` beside the expected ones (quoted, shortened, escaped); never the token. A request without a token is not logged. `off` (or `false`) logs nothing",
  }),
  realm: setting({
    env: 'JWT_REALM',
    option: 'realm',
    parse: text(),
    section: 'tokens',
    default: 'api',
    demo: 'api',
    doc: '`realm` of the `WWW-Authenticate` challenges',
  }),

  authScheme: setting({
    env: 'JWT_AUTH_SCHEME',
    option: 'authScheme',
    parse: text(),
    section: 'transport',
    default: 'Bearer',
    demo: 'Bearer',
    doc: 'authorization scheme accepted in the `Authorization` header (case-insensitive) and named by every challenge, e.g. `JWT` (Flask-JWT clients)',
  }),
  cookieName: setting({
    env: 'JWT_COOKIE_NAME',
    option: 'cookieName',
    parse: text(),
    section: 'transport',
    defaultDoc: 'none: cookies are not read',
    example: 'access_token',
    doc: 'also read the token from this cookie when the header carries none; a cookie needs CSRF protection (see [Security notes](security.md#security-notes))',
  }),
  mtlsBound: setting({
    env: 'JWT_MTLS_BOUND',
    option: 'mtls.bound',
    parse: text(),
    section: 'transport',
    default: 'off',
    demo: 'off',
    doc: 'certificate-bound tokens (RFC 8705): `when-bound` accepts a token whose `cnf` names a certificate (`x5t#S256`) only from a client presenting that certificate, other tokens as before; `required` accepts bound tokens only; `off` ignores `cnf`; `@RequireCertificateBound()` makes a route `required` (see [Certificate-bound tokens](security.md#certificate-bound-tokens-mtls))',
  }),
  mtlsCertificateHeader: setting({
    env: 'JWT_MTLS_CERTIFICATE_HEADER',
    option: 'mtls.certificateHeader',
    parse: text(),
    section: 'transport',
    defaultDoc: 'none: the certificate of the TLS connection',
    example: 'x-ssl-client-cert',
    doc: 'behind a TLS-terminating proxy, the header it passes the client certificate in (URL-encoded PEM as nginx `$ssl_client_escaped_cert` sends it, or base64 DER); believed only from `JWT_MTLS_TRUSTED_PROXIES`',
  }),
  mtlsTrustedProxies: setting({
    env: 'JWT_MTLS_TRUSTED_PROXIES',
    option: 'mtls.trustedProxies',
    parse: list(),
    section: 'transport',
    defaultDoc: 'none: required with `JWT_MTLS_CERTIFICATE_HEADER`',
    example: '10.0.0.0/8,::1',
    doc: "addresses (IPv4, IPv6, CIDR ranges) of the proxies whose certificate header is believed, matched against the connection's own address",
  }),

  jwksEnabled: setting({
    env: 'JWT_JWKS_ENABLED',
    option: 'jwks',
    parse: boolean,
    section: 'publishing',
    default: 'false',
    demo: 'true',
    doc: "serve the verification keys as a JWK Set (`true`/`false`), for other services to verify this one's tokens",
  }),
  jwksPath: setting({
    env: 'JWT_JWKS_PATH',
    option: 'jwks.path',
    parse: text(),
    section: 'publishing',
    default: '/.well-known/jwks.json',
    demo: '/.well-known/jwks.json',
    doc: 'route of the JWK Set (a global prefix does not apply): letters, digits and `- . _ ~` between slashes, no router pattern; refused while the endpoint is off',
  }),
  jwksMaxAge: setting({
    env: 'JWT_JWKS_MAX_AGE',
    option: 'jwks.maxAge',
    parse: integer({ min: 0 }),
    section: 'publishing',
    default: '300',
    unit: 'seconds',
    demo: '300',
    doc: '`Cache-Control: max-age` of the JWK Set; refused while the endpoint is off',
  }),
  discovery: setting({
    env: 'JWT_DISCOVERY_ENABLED',
    option: 'discovery',
    parse: boolean,
    section: 'publishing',
    default: 'false',
    demo: 'false',
    doc: 'publish OpenID Connect Discovery and RFC 8414 metadata naming this issuer and its JWK Set (see [Publishing discovery metadata](issuing-tokens.md#publishing-discovery-metadata-jwt_discovery_enabled)); needs `JWT_ISSUER` as the `https:` URL of this application (`http:` for loopback) and the JWK Set endpoint on',
  }),
  resourceMetadataEnabled: setting({
    env: 'JWT_RESOURCE_METADATA_ENABLED',
    option: 'resourceMetadata',
    parse: boolean,
    section: 'publishing',
    default: 'false',
    demo: 'false',
    doc: 'serve RFC 9728 protected-resource metadata at `/.well-known/oauth-protected-resource` and announce it in challenges (see [RFC 9728](resource-servers.md#rfc-9728-protected-resource-metadata))',
  }),
  resource: setting({
    env: 'JWT_RESOURCE',
    option: 'resourceMetadata.resource',
    parse: text(),
    section: 'publishing',
    defaultDoc: 'the first `JWT_AUDIENCE`, if a URL',
    example: 'https://api.example.com',
    doc: 'the resource identifier (an `https:` URL)',
  }),
  authorizationServers: setting({
    env: 'JWT_AUTHORIZATION_SERVERS',
    option: 'resourceMetadata.authorizationServers',
    parse: list(),
    section: 'publishing',
    defaultDoc: '`JWT_ISSUER`',
    example: 'https://id.example.com',
    doc: 'issuer identifiers announced as `authorization_servers`, comma-separated',
  }),

  sessions: setting({
    env: 'JWT_SESSIONS_ENABLED',
    option: 'sessions',
    parse: boolean,
    section: 'sessions',
    default: 'false',
    demo: 'true',
    doc: 'refresh tokens with access tokens, logout, and revocation (by `jti`, `sid`, `sub`) checked on every request (see [Sessions and logout](sessions.md#sessions-and-logout))',
  }),
  refreshExpiresIn: setting({
    env: 'JWT_REFRESH_EXPIRES_IN',
    option: 'refreshExpiresIn',
    parse: lifetime,
    section: 'sessions',
    default: '14d',
    unit: 'lifetime',
    demo: '14d',
    doc: "lifetime of refresh tokens, the sessions' idle timeout; same units as `JWT_EXPIRES_IN`",
  }),
  sessionMaxLifetime: setting({
    env: 'JWT_SESSION_MAX_LIFETIME',
    option: 'sessionMaxLifetime',
    parse: lifetime,
    section: 'sessions',
    default: '30d',
    unit: 'lifetime',
    demo: '30d',
    doc: 'absolute lifetime of a session: no refresh succeeds this long after sign-in, however often it is refreshed',
  }),
  refreshReuseGrace: setting({
    // Long enough for a client's retry after a timed-out refresh and for tabs racing; see the README's sessions section.
    env: 'JWT_REFRESH_REUSE_GRACE',
    option: 'refreshReuseGrace',
    parse: integer({ min: 0 }),
    section: 'sessions',
    default: '10',
    unit: 'seconds',
    demo: '10',
    doc: 'time in which the refresh token just spent gets the same pair again (two tabs, a retry) instead of counting as reuse, which revokes the session; `0` turns it off',
  }),
  sessionStore: setting({
    // No default value: messages say when it is not set.
    env: 'JWT_SESSION_STORE',
    option: 'sessionStore',
    parse: text(),
    section: 'sessions',
    defaultDoc: '`memory`',
    demo: 'memory',
    doc: '`memory` (one process) or `redis` (several instances share sessions and revocations; needs the `ioredis` package)',
  }),
  redisUrl: setting({
    env: 'JWT_REDIS_URL',
    option: 'redisUrl',
    parse: text(),
    section: 'sessions',
    defaultDoc: 'none: with `redis`, this, Sentinel, Cluster or the `redisClient` option is required',
    example: 'redis://127.0.0.1:6379',
    doc: '`redis://` or `rediss://` URL of the Redis store, checked at start-up; shown redacted (no password)',
  }),
  redisSentinels: setting({
    env: 'JWT_REDIS_SENTINELS',
    option: 'redisSentinels',
    parse: list(),
    section: 'sessions',
    defaultDoc: 'none',
    example: '10.0.0.1:26379,10.0.0.2:26379,10.0.0.3:26379',
    doc: 'Redis Sentinel instead of `JWT_REDIS_URL`: the sentinels, comma-separated `host:port` items (or `redis://` / `rediss://` URLs of one sentinel each, for their own password and TLS); needs `JWT_REDIS_SENTINEL_MASTER` (see [Running several instances](redis.md))',
  }),
  redisSentinelMaster: setting({
    env: 'JWT_REDIS_SENTINEL_MASTER',
    option: 'redisSentinelMaster',
    parse: text(),
    section: 'sessions',
    defaultDoc: 'none: required with `JWT_REDIS_SENTINELS`',
    example: 'mymaster',
    doc: "the master name the sentinels watch, or a URL naming it as the host, for the primary's password, TLS and database (`rediss://:password@mymaster/0`)",
  }),
  redisClusterNodes: setting({
    env: 'JWT_REDIS_CLUSTER_NODES',
    option: 'redisClusterNodes',
    parse: list(),
    section: 'sessions',
    defaultDoc: 'none',
    example: '10.0.0.1:6379,10.0.0.2:6379,10.0.0.3:6379',
    doc: 'Redis Cluster instead of `JWT_REDIS_URL`: seed nodes, comma-separated `host:port` items (or `redis://` / `rediss://` URLs of one node each, the same password and TLS for every node); the key prefix is the hash tag of every key, so the store lives in one slot',
  }),
  redisTimeout: setting({
    env: 'JWT_REDIS_TIMEOUT_MS',
    option: 'redisTimeout',
    parse: integer({ min: 1 }),
    section: 'sessions',
    default: '1000',
    unit: 'milliseconds',
    doc: 'time a Redis connection attempt or command may take before refresh or revoke fails with 503',
  }),
  redisKeyPrefix: setting({
    env: 'JWT_REDIS_KEY_PREFIX',
    option: 'redisKeyPrefix',
    parse: text(),
    section: 'sessions',
    default: 'rs256-auth:',
    doc: 'prefix of every Redis key and channel, so applications can share a server',
  }),
  revocationMaxStaleness: setting({
    env: 'JWT_REVOCATION_MAX_STALENESS_MS',
    option: 'revocationMaxStaleness',
    parse: integer({ min: 1 }),
    section: 'sessions',
    default: '10000',
    unit: 'milliseconds',
    demo: '10000',
    doc: 'how long verification trusts its local revocation list while Redis is unreachable; past it every token is answered 503 with `Retry-After` (bad tokens still 401)',
  }),
  revocationFailOpen: setting({
    env: 'JWT_REVOCATION_FAIL_OPEN',
    option: 'revocationFailOpen',
    parse: boolean,
    section: 'sessions',
    default: 'false',
    demo: 'false',
    doc: 'past that bound, accept tokens on the stale list instead of refusing every token',
  }),

  jwksUri: setting({
    env: 'JWT_JWKS_URI',
    option: 'jwksUri',
    parse: text(),
    section: 'remote',
    defaultDoc: 'none: local keys',
    example: 'http://127.0.0.1:3000/.well-known/jwks.json',
    doc: "resource-server mode: verify with the keys of this issuer's JWK Set instead of local keys (`https:`; `http:` only for loopback)",
  }),
  issuerUrl: setting({
    env: 'JWT_ISSUER_URL',
    option: 'issuerUrl',
    parse: text(),
    section: 'remote',
    example: 'https://keycloak.example.com/realms/shop',
    doc: "resource-server mode by discovery: the issuer's identifier; its metadata names the JWK Set, and tokens must carry this `iss` (see [Identity providers](resource-servers.md#identity-providers-discovery-and-several-issuers))",
  }),
  trustedIssuers: setting({
    env: 'JWT_TRUSTED_ISSUERS',
    option: 'trustedIssuers',
    parse: raw,
    section: 'remote',
    defaultDoc: 'none: one issuer',
    example: 'https://id.example.com/realms/a,https://id.example.com/realms/b',
    doc: 'several trusted issuers: issuer URLs, comma-separated (each by discovery), or a JSON array of `{ issuer, jwksUri?, publicKeyPath?, publicKey?, audience?, requiredClaims? }`; a `publicKeyPath` is re-read on `SIGHUP`',
  }),
  issuerCacheSize: setting({
    env: 'JWT_ISSUER_CACHE_SIZE',
    option: 'issuerCacheSize',
    parse: integer({ min: 1 }),
    section: 'remote',
    default: '100',
    unit: 'count',
    doc: 'most issuers whose resolver answers are remembered (only with an `issuerResolver`; refused at start-up without one)',
  }),
  newIssuersPerMinute: setting({
    // Tenants appear one at a time (a sign-up, a new customer): ten a minute is a burst no real onboarding reaches,
    // and what a flood of made-up issuers can cost the identity providers (a few requests each, see issuer-discovery).
    env: 'JWT_NEW_ISSUERS_PER_MINUTE',
    option: 'newIssuersPerMinute',
    parse: integer({ min: 1 }),
    section: 'remote',
    default: '10',
    unit: 'count',
    doc: 'most issuers not seen before that are put to the `issuerResolver` (and their keys fetched) in any minute; further new issuers are refused until there is room (only with an `issuerResolver`)',
  }),
  jwksCacheMaxAge: setting({
    env: 'JWT_JWKS_CACHE_MAX_AGE',
    option: 'jwksCacheMaxAge',
    parse: integer({ min: 1 }),
    section: 'remote',
    default: '600',
    unit: 'seconds',
    doc: 'age at which the fetched set is refreshed in the background',
  }),
  jwksCooldown: setting({
    // Under a second, a flood of unknown kids would become a flood of fetches at the issuer.
    env: 'JWT_JWKS_COOLDOWN',
    option: 'jwksCooldown',
    parse: integer({ min: 1 }),
    section: 'remote',
    default: '30',
    unit: 'seconds',
    doc: 'time between two fetches of the set, whatever triggers them (but `SIGHUP`); at least `1`',
  }),
  jwksTimeout: setting({
    env: 'JWT_JWKS_TIMEOUT_MS',
    option: 'jwksTimeout',
    parse: integer({ min: 1 }),
    section: 'remote',
    default: '5000',
    unit: 'milliseconds',
    doc: 'time a fetch may take',
  }),
  jwksAllowHttp: setting({
    env: 'JWT_JWKS_ALLOW_HTTP',
    option: 'jwksAllowHttp',
    parse: boolean,
    section: 'remote',
    default: 'false',
    doc: 'allow an `http:` JWKS URI on a host that is not loopback',
  }),
  jwksMaxStale: setting({
    // A day rides out an identity provider's outage (or a network partition) of a working day, and still stops
    // trusting, within that day, a key the provider may have withdrawn meanwhile.
    env: 'JWT_JWKS_MAX_STALE',
    option: 'jwksMaxStale',
    parse: integer({ min: 1 }),
    section: 'remote',
    default: '86400',
    unit: 'seconds',
    doc: 'how long a fetched set may keep verifying after its last successful fetch while refreshes fail; past it every token is refused (`verification keys are stale`) and one error is logged, until a fetch succeeds; at least `JWT_JWKS_CACHE_MAX_AGE`',
  }),
  jwksMaxBytes: setting({
    // A JWK Set holds a few keys of a few hundred bytes each; anything near these caps is not a key set.
    env: 'JWT_JWKS_MAX_BYTES',
    option: 'jwksMaxBytes',
    parse: integer({ min: 1024 }),
    section: 'remote',
    default: '1048576',
    unit: 'bytes',
    doc: 'largest JWK Set response read (at least `1024`); past it the download is cut off and the fetch fails',
  }),
  jwksMaxKeys: setting({
    env: 'JWT_JWKS_MAX_KEYS',
    option: 'jwksMaxKeys',
    parse: integer({ min: 1 }),
    section: 'remote',
    default: '100',
    unit: 'count',
    doc: 'most entries read from one JWK Set; later ones are ignored',
  }),
};

export type SettingKey = keyof typeof SETTINGS;

/** What a setting's parser gives. */
export type SettingValue<K extends SettingKey> = (typeof SETTINGS)[K]['parse'] extends Parser<infer T> ? T : never;

/** The variable of a shared-secret scheme: refused, and known, so that its misspellings are caught too. */
export const SECRET_ENV = 'JWT_SECRET';

/** Every `JWT_*` name the module knows: its settings, and the refused shared-secret variable. */
export const KNOWN_ENV: readonly string[] = [...Object.values(SETTINGS).map((row: Setting) => row.env), SECRET_ENV];

/** Options given in code only (functions, classes, the module's own shape): in the reference, not in the environment. */
export const CODE_ONLY_OPTIONS: readonly { readonly option: string; readonly doc: string; readonly defaultDoc: string }[] = [
  {
    option: 'issuerResolver',
    doc: '`async (iss) => options or undefined`, for issuers not listed (dynamic tenants)',
    defaultDoc: 'none',
  },
  {
    option: 'jwtFromRequest',
    doc: 'where the guard finds the token, replacing `authScheme` and `cookieName` (see [Where the token comes from](protecting-routes.md#where-the-token-comes-from))',
    defaultDoc: 'the header, then the cookie if set',
  },
  { option: 'isGlobal', doc: 'register the module globally', defaultDoc: '`true`' },
  {
    option: 'strategy',
    doc: 'a subclass of `Rs256Strategy` to use (see [Adapting the guard](protecting-routes.md#adapting-the-guard))',
    defaultDoc: '`Rs256Strategy`',
  },
  {
    option: 'allowForeignJwtServices',
    doc: "modules (classes or names) that may keep a `JwtService` of their own, e.g. a third party's that registers `JwtModule` privately (see [Issuing tokens](issuing-tokens.md#issuing-tokens))",
    defaultDoc: '`[]`',
  },
  {
    option: 'meterProvider',
    doc: 'where the OpenTelemetry instruments report (see [Observability](observability.md))',
    defaultDoc: 'the global meter provider (a no-op until an SDK is registered)',
  },
  {
    option: 'onAuditEvent',
    doc: '`(event) => void`, receives audit events, called off the request path (see [Observability](observability.md#audit-events))',
    defaultDoc: 'none',
  },
  {
    option: 'redisClient',
    doc: "any other Redis shape (TLS client certificates, a managed service's endpoint): a function returning an `ioredis` `Redis` or `Cluster`, instead of `JWT_REDIS_URL`, Sentinel or Cluster; the store never closes it (see [Running several instances](redis.md))",
    defaultDoc: 'none',
  },
  {
    option: 'ignoreEnv',
    doc: "the application's own `JWT_*` variables, neither taken for typos nor warned about (e.g. `['JWT_REFRESH_SECRET']`); a name from this table cannot be listed",
    defaultDoc: '`[]`',
  },
];
