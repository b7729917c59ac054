import { boolean, integer, raw, seconds, text } from '../parse.js';
import { setting } from './setting.js';

/** The settings of identity providers: an issuer's keys (section `remote`): rows of SETTINGS (see settings.ts). */
export const REMOTE_SETTINGS = {
  jwksUri: setting({
    env: 'JWT_JWKS_URI',
    option: 'keys.jwksUri',
    parse: text(),
    section: 'remote',
    defaultDoc: 'none: local keys',
    example: 'http://127.0.0.1:3000/.well-known/jwks.json',
    doc: "resource-server mode: verify with the keys of this issuer's JWK Set instead of local keys (`https:`; `http:` only for loopback)",
  }),
  issuerUrl: setting({
    env: 'JWT_ISSUER_URL',
    option: 'keys.issuerUrl',
    parse: text(),
    section: 'remote',
    example: 'https://keycloak.example.com/realms/shop',
    doc: "resource-server mode by discovery: the issuer's identifier; its metadata names the JWK Set, and tokens must carry this `iss` (see [Identity providers](resource-servers.md#identity-providers-discovery-and-several-issuers))",
  }),
  trustedIssuers: setting({
    env: 'JWT_TRUSTED_ISSUERS',
    option: 'keys.trustedIssuers',
    parse: raw,
    section: 'remote',
    defaultDoc: 'none: one issuer',
    example: 'https://id.example.com/realms/a,https://id.example.com/realms/b',
    doc: 'several trusted issuers: issuer URLs, comma-separated (each by discovery), or a JSON array of `{ issuer, jwksUri?, publicKeyPath?, publicKey?, audience?, requiredClaims? }`; a `publicKeyPath` is re-read on `SIGHUP`',
  }),
  issuerCacheSize: setting({
    env: 'JWT_ISSUER_CACHE_SIZE',
    option: 'keys.issuerCacheSize',
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
    option: 'keys.newIssuersPerMinute',
    parse: integer({ min: 1 }),
    section: 'remote',
    default: '10',
    unit: 'count',
    doc: 'most issuers not seen before that are put to the `issuerResolver` (and their keys fetched) in any minute; further new issuers are refused until there is room (only with an `issuerResolver`)',
  }),
  jwksCacheMaxAge: setting({
    env: 'JWT_JWKS_CACHE_MAX_AGE',
    option: 'keys.remote.cacheMaxAge',
    parse: integer({ min: 1 }),
    section: 'remote',
    default: '600',
    unit: 'seconds',
    doc: 'age at which the fetched set is refreshed in the background',
  }),
  jwksCooldown: setting({
    // Under a second, a flood of unknown kids would become a flood of fetches at the issuer.
    env: 'JWT_JWKS_COOLDOWN',
    option: 'keys.remote.cooldown',
    parse: integer({ min: 1 }),
    section: 'remote',
    default: '30',
    unit: 'seconds',
    doc: 'time between two fetches of the set, whatever triggers them (but `SIGHUP`); at least `1`',
  }),
  jwksTimeout: setting({
    env: 'JWT_JWKS_TIMEOUT',
    option: 'keys.remote.timeout',
    parse: seconds({ min: 0.001 }),
    section: 'remote',
    default: '5',
    unit: 'seconds',
    doc: 'time a fetch may take (decimals for less than a second: `0.5`)',
  }),
  jwksAllowHttp: setting({
    env: 'JWT_JWKS_ALLOW_HTTP',
    option: 'keys.remote.allowHttp',
    parse: boolean,
    section: 'remote',
    default: 'false',
    doc: 'allow an `http:` JWKS URI on a host that is not loopback',
  }),
  jwksMaxStale: setting({
    // A day rides out an identity provider's outage (or a network partition) of a working day, and still stops
    // trusting, within that day, a key the provider may have withdrawn meanwhile.
    env: 'JWT_JWKS_MAX_STALE',
    option: 'keys.remote.maxStale',
    parse: integer({ min: 1 }),
    section: 'remote',
    default: '86400',
    unit: 'seconds',
    doc: 'how long a fetched set may keep verifying after its last successful fetch while refreshes fail; past it every token is refused (`verification keys are stale`) and one error is logged, until a fetch succeeds; at least `JWT_JWKS_CACHE_MAX_AGE`',
  }),
  jwksMaxBytes: setting({
    // A JWK Set holds a few keys of a few hundred bytes each; anything near these caps is not a key set.
    env: 'JWT_JWKS_MAX_BYTES',
    option: 'keys.remote.maxBytes',
    parse: integer({ min: 1024 }),
    section: 'remote',
    default: '1048576',
    unit: 'bytes',
    doc: 'largest JWK Set response read (at least `1024`); past it the download is cut off and the fetch fails',
  }),
  jwksMaxKeys: setting({
    env: 'JWT_JWKS_MAX_KEYS',
    option: 'keys.remote.maxKeys',
    parse: integer({ min: 1 }),
    section: 'remote',
    default: '100',
    unit: 'count',
    doc: 'most entries read from one JWK Set; later ones are ignored',
  }),
};
