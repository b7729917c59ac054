import { Logger } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import type { IssuerResolver, Rs256AuthModuleOptions, TokenExtractor, TrustedIssuerOptions } from '../interfaces/rs256-auth-options.interface.js';
import type { KeySource } from '../keys/key-loader.js';
import { KeySet } from '../keys/key-set.js';
import { keyPaths, loadKeySet, reloadKeySet, type KeySetSources, type PublicKeySource } from '../keys/key-set.loader.js';
import { KeyStore } from '../keys/key-store.js';
import { isLiteralRoutePath, LITERAL_ROUTE_PATH_EXPECTED } from './route-path.js';
import { typMediaType } from './token-type.js';
import { ENV_PREFIX, findUnknownEnv } from './unknown-env.js';
import { firstOf, fromAuthHeader, fromCookie, HTTP_TOKEN } from '../transports/token-extractors.js';
import { quotedUrl, redactedUrl } from '../observability/redacted-url.js';
import { redisTopology, redisTopologyGiven, type RedisTopology, type RedisTopologySettings } from './redis-topology.js';

/** The configuration in force after options and environment are merged, validated and the keys parsed. */
export interface Rs256AuthConfig {
  /** The key set in force; replaced whole when keys are reloaded. */
  readonly keyStore: KeyStore;
  /** Where the keys come from, read again by every reload. */
  readonly keySources: KeySetSources;
  readonly issuer?: string;
  /** Accepted audiences; the first is written into issued tokens. */
  readonly audience?: readonly string[];
  /**
   * Tokens of an identity provider are accepted whatever their `aud` (`JWT_ACCEPT_ANY_AUDIENCE`): the explicit
   * opt-out from the audience a resource server otherwise needs to start.
   */
  readonly acceptAnyAudience: boolean;
  /** Lifetime of issued tokens, in seconds. */
  readonly expiresIn: number;
  /** Shape of issued tokens: plain JWTs, or RFC 9068 access tokens (`typ: at+jwt`, `jti`, `client_id`). */
  readonly tokenProfile: TokenProfile;
  readonly clockTolerance: number;
  /**
   * Accepted `typ` header values as RFC 7515 §4.1.9 media types (lower case, `application/` prepended when the
   * value has no `/`); `undefined` accepts any `typ`, or none.
   */
  readonly tokenTypes?: readonly string[];
  readonly requiredClaims: readonly string[];
  /** Where roles and scopes are read from. */
  readonly claimPaths: ClaimPaths;
  readonly maxTokenLength: number;
  /** Most verified tokens remembered; 0 disables the cache. */
  readonly cacheSize: number;
  /** Check signatures of tokens not in the cache on libuv's thread pool. */
  readonly verifyOffThread: boolean;
  readonly realm: string;
  /** Authorization scheme the default extractor accepts and every challenge names. */
  readonly authScheme: string;
  /** Cookie the default extractor falls back to; `undefined` when tokens are not read from cookies. */
  readonly cookieName?: string;
  readonly jwtFromRequest: TokenExtractor;
  /** Reload the keys on SIGHUP. */
  readonly reloadOnSignal: boolean;
  /** Reload the keys when a key file changes. */
  readonly watchKeyFiles: boolean;
  /**
   * Resource-server mode: verification keys from an issuer's JWK Set (`JWT_JWKS_URI`, or found by discovery from
   * `JWT_ISSUER_URL`); `undefined` with local keys or several trusted issuers.
   */
  readonly remoteJwks?: RemoteKeySettings;
  /** Several trusted issuers, each with its own keys; `undefined` with one issuer. */
  readonly trustedIssuers?: TrustedIssuers;
  /** Where the JWK Set is served; `undefined` when it is not. */
  readonly jwks?: { readonly path: string; readonly maxAge: number };
  /** RFC 9728 protected-resource metadata; `undefined` when it is not served. */
  readonly resourceMetadata?: {
    /** The resource identifier (`resource`). */
    readonly resource: string;
    /** Issuer identifiers of the authorization servers that issue tokens for this resource. */
    readonly authorizationServers: readonly string[];
    /** Route of the metadata document on this server. */
    readonly path: string;
    /** The document's URL, announced as `resource_metadata` in every challenge. */
    readonly url: string;
  };
  /** Refresh tokens and revocation; `undefined` when sessions are disabled. */
  readonly sessions?: SessionsConfig;
}

/** Refresh tokens, revocation and where their state is kept. */
export interface SessionsConfig {
  readonly store: 'memory' | 'redis';
  /** Set when `store` is `'redis'`. */
  readonly redis?: { readonly topology: RedisTopology; readonly timeoutMs: number; readonly keyPrefix: string };
  /** Lifetime of refresh tokens, in seconds: the idle timeout of a session. */
  readonly refreshExpiresIn: number;
  /** Seconds after sign-in past which no refresh succeeds, however often the session was refreshed. */
  readonly maxLifetime: number;
  /** Seconds during which the refresh token just spent gets the same successor again instead of counting as reuse. */
  readonly reuseGrace: number;
  /** How old the local view of revocations may grow, while the store is unreachable, before verification stops trusting it. */
  readonly maxStalenessMs: number;
  /** Past `maxStalenessMs`, accept tokens on the stale view instead of refusing them. */
  readonly failOpen: boolean;
}

/** Where an issuer's JWK Set is, and the bounds every fetch of it (and of the issuer's metadata) keeps to. */
export interface RemoteKeySettings {
  /** The JWK Set's URI, when configured directly. */
  readonly uri?: URL;
  /** The issuer whose metadata names the JWK Set (`jwks_uri`), when it is discovered. */
  readonly discover?: string;
  readonly cacheMaxAgeMs: number;
  readonly cooldownMs: number;
  readonly timeoutMs: number;
  /** Largest JWK Set (or metadata) response read; a larger one fails the fetch. */
  readonly maxBytes: number;
  /** Entries read from one JWK Set; the rest are ignored. */
  readonly maxKeys: number;
  /** Accept an `http:` jwks_uri found by discovery on a host that is not loopback. */
  readonly allowHttp: boolean;
  /** How long after the last successful fetch the keys may still verify, while refreshes keep failing. */
  readonly maxStaleMs: number;
}

/** One trusted issuer, resolved: its identifier, where its keys come from, and what its tokens must carry. */
export interface TrustedIssuer {
  /** The `iss` value, compared exactly. */
  readonly issuer: string;
  /**
   * Its keys: fetched (from a JWK Set URI or by discovery), or local public keys, read at start-up (or when the
   * resolver answers) and read again from `sources` on `SIGHUP` (and, with `watchKeyFiles`, when they change).
   */
  readonly keys: { readonly remote: RemoteKeySettings } | { readonly local: KeySet; readonly sources: KeySetSources };
  readonly audience?: readonly string[];
  readonly requiredClaims: readonly string[];
}

/** The trusted issuers of a multi-issuer resource server. */
export interface TrustedIssuers {
  readonly list: readonly TrustedIssuer[];
  /** Turns an `iss` not in the list into an issuer's options, or refuses it (`undefined`). */
  readonly resolver?: IssuerResolver;
  /** Most issuers the resolver's answers (yes or no) are remembered for. */
  readonly cacheSize: number;
  /** Most issuers not yet known that are put to the resolver (and whose keys are fetched) in one minute. */
  readonly newPerMinute: number;
  /** `jwksAllowHttp`: an `iss` put to the resolver may be an `http:` URL on a host that is not loopback. */
  readonly allowHttp: boolean;
  /**
   * How a resolved issuer's options become a `TrustedIssuer`: the same checks as the configured ones, with its key
   * files (if any) read without blocking the event loop.
   */
  readonly resolve: (options: TrustedIssuerOptions, setting: string) => Promise<TrustedIssuer>;
}

/** A claim path split into member names: `realm_access.roles` is `['realm_access', 'roles']`. */
export type ClaimPath = readonly string[];

/** Where `@RequireClaims` reads roles and scopes; each is the union of the values found at its paths. */
export interface ClaimPaths {
  readonly roles: readonly ClaimPath[];
  readonly scopes: readonly ClaimPath[];
}

export const DEFAULT_CLAIM_PATHS: ClaimPaths = { roles: [['roles']], scopes: [['scope'], ['scp']] };

/** Profiles of issued tokens; see the `tokenProfile` option. */
export const TOKEN_PROFILES = ['jwt', 'rfc9068'] as const;
export type TokenProfile = (typeof TOKEN_PROFILES)[number];

/** The environment variable behind each option; also the list of known `JWT_*` names that typos are checked against. */
const ENV = {
  privateKeyPath: 'JWT_PRIVATE_KEY_PATH',
  privateKey: 'JWT_PRIVATE_KEY',
  privateKeyPassphrase: 'JWT_PRIVATE_KEY_PASSPHRASE',
  publicKeyPath: 'JWT_PUBLIC_KEY_PATH',
  publicKey: 'JWT_PUBLIC_KEY',
  issuer: 'JWT_ISSUER',
  audience: 'JWT_AUDIENCE',
  acceptAnyAudience: 'JWT_ACCEPT_ANY_AUDIENCE',
  expiresIn: 'JWT_EXPIRES_IN',
  tokenProfile: 'JWT_TOKEN_PROFILE',
  clockTolerance: 'JWT_CLOCK_TOLERANCE',
  tokenType: 'JWT_TOKEN_TYPE',
  requiredClaims: 'JWT_REQUIRED_CLAIMS',
  rolesClaim: 'JWT_ROLES_CLAIM',
  scopesClaim: 'JWT_SCOPES_CLAIM',
  maxTokenLength: 'JWT_MAX_TOKEN_LENGTH',
  cacheSize: 'JWT_CACHE_SIZE',
  verifyOffThread: 'JWT_VERIFY_OFF_THREAD',
  realm: 'JWT_REALM',
  authScheme: 'JWT_AUTH_SCHEME',
  cookieName: 'JWT_COOKIE_NAME',
  reloadOnSignal: 'JWT_RELOAD_ON_SIGHUP',
  watchKeyFiles: 'JWT_WATCH_KEY_FILES',
  jwksUri: 'JWT_JWKS_URI',
  issuerUrl: 'JWT_ISSUER_URL',
  trustedIssuers: 'JWT_TRUSTED_ISSUERS',
  issuerCacheSize: 'JWT_ISSUER_CACHE_SIZE',
  newIssuersPerMinute: 'JWT_NEW_ISSUERS_PER_MINUTE',
  jwksCacheMaxAge: 'JWT_JWKS_CACHE_MAX_AGE',
  jwksCooldown: 'JWT_JWKS_COOLDOWN',
  jwksTimeout: 'JWT_JWKS_TIMEOUT_MS',
  jwksAllowHttp: 'JWT_JWKS_ALLOW_HTTP',
  jwksMaxStale: 'JWT_JWKS_MAX_STALE',
  resourceMetadataEnabled: 'JWT_RESOURCE_METADATA_ENABLED',
  resource: 'JWT_RESOURCE',
  authorizationServers: 'JWT_AUTHORIZATION_SERVERS',
  jwksMaxBytes: 'JWT_JWKS_MAX_BYTES',
  jwksMaxKeys: 'JWT_JWKS_MAX_KEYS',
  jwksEnabled: 'JWT_JWKS_ENABLED',
  jwksPath: 'JWT_JWKS_PATH',
  jwksMaxAge: 'JWT_JWKS_MAX_AGE',
  sessions: 'JWT_SESSIONS_ENABLED',
  sessionStore: 'JWT_SESSION_STORE',
  redisUrl: 'JWT_REDIS_URL',
  redisTimeout: 'JWT_REDIS_TIMEOUT_MS',
  redisKeyPrefix: 'JWT_REDIS_KEY_PREFIX',
  redisSentinels: 'JWT_REDIS_SENTINELS',
  redisSentinelMaster: 'JWT_REDIS_SENTINEL_MASTER',
  redisClusterNodes: 'JWT_REDIS_CLUSTER_NODES',
  refreshExpiresIn: 'JWT_REFRESH_EXPIRES_IN',
  refreshReuseGrace: 'JWT_REFRESH_REUSE_GRACE',
  sessionMaxLifetime: 'JWT_SESSION_MAX_LIFETIME',
  revocationMaxStaleness: 'JWT_REVOCATION_MAX_STALENESS_MS',
  revocationFailOpen: 'JWT_REVOCATION_FAIL_OPEN',
} as const satisfies Partial<Record<keyof FlatOptions, string>>;

type EnvOption = keyof typeof ENV;

/** The options with the nested `jwks` and `resourceMetadata` objects flattened, so every setting is read the same way. */
interface FlatOptions extends Omit<Rs256AuthModuleOptions, 'jwks' | 'resourceMetadata'> {
  jwksEnabled?: boolean;
  jwksPath?: string;
  jwksMaxAge?: number;
  resourceMetadataEnabled?: boolean;
  resource?: string;
  authorizationServers?: string[];
}

/** Settings of the JWK Set endpoint, meaningless while the endpoint is off. */
const JWKS_ENDPOINT_SETTINGS = ['jwksPath', 'jwksMaxAge'] as const satisfies readonly EnvOption[];

/** Settings of fetching an issuer's JWK Set (and its metadata), meaningless where no key set is fetched. */
const REMOTE_KEY_SETTINGS = ['jwksCacheMaxAge', 'jwksCooldown', 'jwksTimeout', 'jwksMaxBytes', 'jwksMaxKeys', 'jwksAllowHttp', 'jwksMaxStale'] as const satisfies readonly EnvOption[];

const OPTION_LABELS: Partial<Record<EnvOption, string>> = {
  jwksEnabled: 'jwks option',
  jwksPath: 'jwks.path option',
  jwksMaxAge: 'jwks.maxAge option',
  resourceMetadataEnabled: 'resourceMetadata option',
  resource: 'resourceMetadata.resource option',
  authorizationServers: 'resourceMetadata.authorizationServers option',
};

function flatten({ jwks, resourceMetadata, ...options }: Rs256AuthModuleOptions): FlatOptions {
  const nested = typeof jwks === 'object' ? jwks : {};
  const metadata = typeof resourceMetadata === 'object' ? resourceMetadata : {};
  return {
    ...options,
    jwksEnabled: jwks === undefined ? undefined : jwks !== false,
    jwksPath: nested.path,
    jwksMaxAge: nested.maxAge,
    resourceMetadataEnabled: resourceMetadata === undefined ? undefined : resourceMetadata !== false,
    resource: metadata.resource,
    authorizationServers: metadata.authorizationServers,
  };
}

const DEFAULT_EXPIRES_IN = '15m';
/** Seconds of leeway for exp, nbf and iat: clocks of two hosts are rarely more than a few seconds apart. */
const DEFAULT_CLOCK_TOLERANCE = 5;
const DEFAULT_REQUIRED_CLAIMS = ['exp', 'iat', 'sub'];
const DEFAULT_MAX_TOKEN_LENGTH = 8192;
const DEFAULT_CACHE_SIZE = 5000;
const DEFAULT_REALM = 'api';
const DEFAULT_AUTH_SCHEME = 'Bearer';
const DEFAULT_JWKS_PATH = '/.well-known/jwks.json';
const DEFAULT_JWKS_MAX_AGE = 300;
/**
 * `maxStale`: a day rides out an identity provider's outage (or a network partition) of a working day, and still
 * stops trusting, within that day, a key the provider may have withdrawn meanwhile.
 */
const DEFAULT_REMOTE_JWKS = { cacheMaxAge: 600, cooldown: 30, timeoutMs: 5000, maxBytes: 1024 * 1024, maxKeys: 100, maxStale: 86_400 };
const DEFAULT_SESSIONS = {
  refreshExpiresIn: '14d',
  maxLifetime: '30d',
  // Long enough for a client's retry after a timed-out refresh and for tabs racing; see the README's sessions section.
  reuseGrace: 10,
  redisTimeoutMs: 1000,
  redisKeyPrefix: 'rs256-auth:',
  maxStalenessMs: 10_000,
};
const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/** Where keys and metadata may be fetched from: `https:`, or `http:` for loopback hosts (or when allowed). */
export function acceptableUrl(url: URL, allowHttp: boolean): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && (allowHttp || LOOPBACK_HOST.test(url.hostname)));
}

/** Option names that would turn RS256 into a shared-secret scheme; none of them has a meaning here. */
const SECRET_OPTIONS = ['secret', 'secretOrKey', 'secretOrPrivateKey', 'secretOrKeyProvider'];
const SECRET_ENV = 'JWT_SECRET';

/** Settings whose value is never quoted in a message, whatever its type. */
const SECRET_SETTINGS: readonly EnvOption[] = ['privateKey', 'privateKeyPassphrase', 'publicKey'];

/** Every word a boolean setting accepts (compared case-insensitively), and what it means. */
const BOOLEAN_WORDS: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['false', false],
  ['1', true],
  ['0', false],
  ['yes', true],
  ['no', false],
]);
const BOOLEAN_EXPECTED = `one of ${[...BOOLEAN_WORDS.keys()].join(', ')}`;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Reads one setting: the option if given, else the environment variable; remembers which, for messages. */
class Settings {
  constructor(
    private readonly options: FlatOptions,
    private readonly config?: ConfigService,
  ) {}

  get(name: EnvOption): { value: unknown; setting: string } {
    const option = this.options[name];
    if (option !== undefined) {
      return { value: option, setting: OPTION_LABELS[name] ?? `${name} option` };
    }
    const fromEnv: unknown = this.config?.get(ENV[name]);
    // An empty variable (`JWT_ISSUER=` in a .env file) means "not set", not "the empty string".
    return { value: fromEnv === '' ? undefined : fromEnv, setting: ENV[name] };
  }

  string(name: EnvOption): { value?: string; setting: string } {
    const { value, setting } = this.get(name);
    if (value !== undefined && typeof value !== 'string') {
      throw invalid(setting, value, 'a string', SECRET_SETTINGS.includes(name));
    }
    return { value, setting };
  }

  /**
   * A list given as an array, or as a comma-separated string in the environment. Blank items are dropped, but a
   * value with no item left (`" , "`) is refused rather than read as "no list"; only an empty array, where
   * `allowEmpty`, means an empty list.
   */
  list(name: EnvOption, { allowEmpty = false } = {}): { value?: string[]; setting: string } {
    const { value, setting } = this.get(name);
    if (value === undefined) {
      return { setting };
    }
    const items = typeof value === 'string' ? value.split(',') : value;
    if (!Array.isArray(items) || !items.every((item) => typeof item === 'string')) {
      throw invalid(setting, value, 'a comma-separated list or an array of strings');
    }
    const kept = items.map((item) => item.trim()).filter((item) => item.length > 0);
    if (kept.length === 0 && !(allowEmpty && items.length === 0)) {
      throw invalid(setting, value, `at least one non-empty item, or ${allowEmpty ? 'an empty array as the option' : 'no value at all'}`);
    }
    return { value: kept, setting };
  }

  boolean(name: EnvOption, fallback = false): boolean {
    const { value, setting } = this.get(name);
    if (value === undefined || typeof value === 'boolean') {
      return value ?? fallback;
    }
    const word = typeof value === 'string' ? BOOLEAN_WORDS.get(value.trim().toLowerCase()) : undefined;
    if (word === undefined) {
      throw invalid(setting, value, `${BOOLEAN_EXPECTED} (any case)`);
    }
    return word;
  }

  integer(name: EnvOption, fallback: number, min: number): number {
    const { value, setting } = this.get(name);
    if (value === undefined) {
      return fallback;
    }
    const number = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isInteger(number) || number < min) {
      throw invalid(setting, value, `a whole number of at least ${min}`);
    }
    return number;
  }
}

/**
 * How a message shows a value: strings quoted, numbers and booleans as written, anything else (and any value of
 * a secret setting) by its type only.
 */
function shown(value: unknown, secret: boolean): string {
  if (!secret && typeof value === 'string') return `"${value}"`;
  if (!secret && (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')) return String(value);
  if (value === null) return 'null';
  const type = Array.isArray(value) ? 'array' : typeof value;
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

function invalid(setting: string, value: unknown, expected: string, secret = false): Rs256AuthError {
  return new Rs256AuthError('RS256_CONFIG_INVALID', `${setting} is ${shown(value, secret)}; expected ${expected}.`);
}

/** Parses a lifetime: seconds as a number or digits, or digits with one unit of s, m, h, d or w. */
function parseLifetime(value: unknown, setting: string): number {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) {
    return value;
  }
  const match = typeof value === 'string' ? /^\s*(\d+)\s*([smhdw]?)\s*$/.exec(value) : null;
  const seconds = match ? Number(match[1]) * UNIT_SECONDS[match[2] || 's'] : 0;
  if (seconds <= 0) {
    throw invalid(setting, value, "a positive lifetime such as 900, '15m', '1h' or '7d'");
  }
  return seconds;
}

/** A key comes from a path or from an inline PEM, never both. */
function refuseBoth(path: { value?: unknown; setting: string }, inline: { value?: string; setting: string }): void {
  if (path.value !== undefined && inline.value !== undefined) {
    throw new Rs256AuthError('RS256_CONFIG_INVALID', `${path.setting} and ${inline.setting} are both set; set only one of them.`);
  }
}

/** The inline-key setting, named the way the path was given (an option for an option), for hints. */
function inlineSetting(path: { setting: string }, inline: 'privateKey' | 'publicKey'): string {
  return path.setting.endsWith(' option') ? `${inline} option` : ENV[inline];
}

function keySource(path: { value?: string; setting: string }, inline: { value?: string; setting: string }): KeySource | undefined {
  refuseBoth(path, inline);
  if (path.value !== undefined) {
    return { setting: path.setting, path: path.value, inlineSetting: inlineSetting(path, 'privateKey') };
  }
  if (inline.value !== undefined) {
    return { setting: inline.setting, inline: inline.value };
  }
  return undefined;
}

function refuseSecrets(options: Rs256AuthModuleOptions, config?: ConfigService): void {
  const given = SECRET_OPTIONS.find((name) => name in options);
  if (given) {
    throw new Rs256AuthError(
      'RS256_SECRET_REFUSED',
      `The ${given} option is not accepted: RS256 signs with a private key and verifies with a public key. ` +
        'Use privateKeyPath/publicKeyPath (JWT_PRIVATE_KEY_PATH/JWT_PUBLIC_KEY_PATH) instead.',
    );
  }
  if (config?.get(SECRET_ENV)) {
    throw new Rs256AuthError(
      'RS256_SECRET_REFUSED',
      `${SECRET_ENV} is set, but this module never uses a shared secret; remove it and set ` +
        'JWT_PRIVATE_KEY_PATH/JWT_PUBLIC_KEY_PATH instead.',
    );
  }
}

/** The public key setting: one path, a comma-separated list, or (as an option) an array with optional kids. */
function publicKeySources(settings: Settings): PublicKeySource[] {
  const path = settings.get('publicKeyPath');
  const { value, setting } = path;
  const inline = settings.string('publicKey');
  refuseBoth(path, inline);
  if (inline.value !== undefined) {
    return [{ setting: inline.setting, inline: inline.value }];
  }
  if (value === undefined) {
    return [];
  }
  const items: unknown[] = typeof value === 'string' ? value.split(',').map((item) => item.trim()).filter(Boolean) : Array.isArray(value) ? value : [value];
  if (typeof value === 'string' && items.length === 0) {
    throw invalid(setting, value, 'at least one path, or no value at all');
  }
  return items.map((item) => {
    if (typeof item === 'string') {
      return { setting, path: item, inlineSetting: inlineSetting(path, 'publicKey') };
    }
    const entry = item as { path?: unknown; kid?: unknown };
    if (typeof entry !== 'object' || entry === null || typeof entry.path !== 'string' || (entry.kid !== undefined && typeof entry.kid !== 'string')) {
      throw invalid(setting, item, 'paths, or { path: string, kid?: string } objects');
    }
    return { setting, path: entry.path, inlineSetting: inlineSetting(path, 'publicKey'), kid: entry.kid };
  });
}

function keySetSources(settings: Settings): KeySetSources {
  return {
    privateKey: keySource(settings.string('privateKeyPath'), settings.string('privateKey')),
    passphrase: settings.string('privateKeyPassphrase'),
    publicKeys: publicKeySources(settings),
  };
}

/**
 * Merges module options over `ConfigService` values, validates them and loads the keys. Runs once, while the
 * module is built, so a bad configuration stops start-up instead of failing the first request.
 * @throws Rs256AuthError naming the setting (and path) at fault
 */
export function resolveRs256AuthConfig(options: Rs256AuthModuleOptions = {}, config?: ConfigService): Rs256AuthConfig {
  refuseSecrets(options, config);
  if (config) {
    checkEnvNames(options.ignoreEnv);
  }
  const settings = new Settings(flatten(options), config);
  const audience = settings.list('audience').value;
  const expiresIn = settings.get('expiresIn');
  const keySources = keySetSources(settings);
  const requiredClaims = claimNames(settings);
  const trustedIssuers = resolveTrustedIssuers(settings, options.issuerResolver, keySources, audience, requiredClaims);
  const remoteJwks = resolveRemoteJwks(settings, keySources);
  refuseRemoteKeySettings(settings, remoteJwks, trustedIssuers);
  refuseIssuerCacheSize(settings, trustedIssuers);
  const issuer = resolveIssuer(settings);
  const tokenProfile = resolveTokenProfile(settings, issuer, audience);
  const transport = resolveTransport(settings, options.jwtFromRequest);
  return {
    // A resource server starts with no key; RemoteJwks fills the set from the issuer. With several issuers each has
    // its own keys (IssuerRegistry), and this set stays empty.
    keyStore: new KeyStore(remoteJwks || trustedIssuers ? new KeySet([]) : loadKeySet(keySources)),
    remoteJwks,
    trustedIssuers,
    keySources,
    issuer,
    audience,
    expiresIn: parseLifetime(expiresIn.value ?? DEFAULT_EXPIRES_IN, expiresIn.setting),
    tokenProfile,
    clockTolerance: settings.integer('clockTolerance', DEFAULT_CLOCK_TOLERANCE, 0),
    tokenTypes: resolveTokenTypes(settings, tokenProfile),
    requiredClaims,
    claimPaths: {
      roles: claimPaths(settings, 'rolesClaim') ?? DEFAULT_CLAIM_PATHS.roles,
      scopes: claimPaths(settings, 'scopesClaim') ?? DEFAULT_CLAIM_PATHS.scopes,
    },
    maxTokenLength: settings.integer('maxTokenLength', DEFAULT_MAX_TOKEN_LENGTH, 16),
    cacheSize: settings.integer('cacheSize', DEFAULT_CACHE_SIZE, 0),
    verifyOffThread: settings.boolean('verifyOffThread'),
    realm: settings.string('realm').value ?? DEFAULT_REALM,
    ...transport,
    // In resource-server mode the signal fetches the issuer's set instead of reading key files.
    reloadOnSignal: settings.boolean('reloadOnSignal', true),
    watchKeyFiles: watchKeyFiles(settings, keySources, trustedIssuers),
    jwks: settings.boolean('jwksEnabled') ? resolveJwks(settings) : refuseJwksSettings(settings),
    resourceMetadata: settings.boolean('resourceMetadataEnabled')
      ? resolveResourceMetadata(settings, audience, trustedIssuers?.list.map((trusted) => trusted.issuer) ?? (issuer !== undefined ? [issuer] : []))
      : undefined,
    sessions: settings.boolean('sessions') ? resolveSessions(settings, options.redisClient) : undefined,
    // Last: every other setting is checked first, so a mistake there is named before the missing audience is.
    acceptAnyAudience: resolveAudienceCheck(settings, audience, remoteJwks, trustedIssuers),
  };
}

/** Names the module knows: every variable of the ENV table, and the refused shared-secret variable. */
const KNOWN_ENV: readonly string[] = [...Object.values(ENV), SECRET_ENV];

/**
 * Looks for misspelt and unknown `JWT_*` names in `process.env`. That is where `ConfigModule` puts every variable
 * of the `.env` file(s) it loaded (validated or not), and the only place `@nestjs/config` lets anyone list names:
 * `ConfigService` reads a name it is given but lists none. Values given by `load` factories are the application's
 * own configuration objects and are not scanned. A misspelling of a known name stops start-up, because the setting
 * it meant silently keeps its default (a typo in `JWT_ISSUER` turns the issuer check off); any other `JWT_*` name
 * may be the application's own, so it is named in one warning. Values are never shown.
 */
function checkEnvNames(ignoreEnv: Rs256AuthModuleOptions['ignoreEnv']): void {
  if (ignoreEnv !== undefined && (!Array.isArray(ignoreEnv) || !ignoreEnv.every((name) => typeof name === 'string'))) {
    throw invalid('ignoreEnv option', ignoreEnv, 'an array of variable names');
  }
  const ignored: readonly string[] = ignoreEnv ?? [];
  const claimed = ignored.find((name) => KNOWN_ENV.includes(name));
  if (claimed) {
    throw new Rs256AuthError('RS256_CONFIG_INVALID', `ignoreEnv option lists ${claimed}, a setting of this module; remove it from the list.`);
  }
  const { misspelt, unknown } = findUnknownEnv(Object.keys(process.env), KNOWN_ENV, ignored);
  if (misspelt.length > 0) {
    const guesses = misspelt.map(({ name, meant }) => `${name} is not a setting of this module; did you mean ${meant}?`);
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${guesses.join(' ')} If it is the application's own variable, list it in the ignoreEnv option.`,
    );
  }
  if (unknown.length > 0) {
    new Logger('Rs256Auth').warn(
      `Unknown ${ENV_PREFIX}* variables, not settings of this module: ${unknown.join(', ')}. ` +
        "List the application's own in the ignoreEnv option to silence this warning.",
    );
  }
}

/** Claim names: a list of names, none containing white space (a space-separated list is one name to the reader). */
function claimNames(settings: Settings): readonly string[] {
  const { value, setting } = settings.list('requiredClaims', { allowEmpty: true });
  const spaced = value?.find((name) => /\s/.test(name));
  if (spaced !== undefined) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${setting} names the claim "${spaced}", but claim names contain no white space; separate them with commas, e.g. "${spaced.split(/\s+/).join(',')}".`,
    );
  }
  return value ?? DEFAULT_REQUIRED_CLAIMS;
}

/** With the endpoint off, a path or max-age for it means a mistake: the endpoint was meant to be on, or they are stale. */
function refuseJwksSettings(settings: Settings): undefined {
  const enabled = settings.get('jwksEnabled');
  for (const name of JWKS_ENDPOINT_SETTINGS) {
    const { value, setting } = settings.get(name);
    if (value !== undefined) {
      const state = enabled.value === undefined ? `${enabled.setting} is not set` : `${enabled.setting} is ${shown(enabled.value, false)}`;
      throw new Rs256AuthError(
        'RS256_CONFIG_INVALID',
        `${setting} is ${shown(value, false)}, but the JWK Set endpoint is off (${state}); turn it on (${ENV.jwksEnabled}=true, or the jwks option) or unset ${setting}.`,
      );
    }
  }
  return undefined;
}

/**
 * Where no key set is fetched (local keys only, or several issuers all with local keys and no resolver), a cooldown,
 * size cap or other fetch setting means a mistake: the JWK Set URI or issuer URL it was meant for is missing, or the
 * setting is stale.
 */
function refuseRemoteKeySettings(settings: Settings, remoteJwks: Rs256AuthConfig['remoteJwks'], trustedIssuers: Rs256AuthConfig['trustedIssuers']): void {
  if (remoteJwks || trustedIssuers?.resolver || trustedIssuers?.list.some((trusted) => 'remote' in trusted.keys)) {
    return;
  }
  for (const name of REMOTE_KEY_SETTINGS) {
    const { value, setting } = settings.get(name);
    if (value === undefined) continue;
    const missing = trustedIssuers
      ? `every issuer of ${settings.get('trustedIssuers').setting} has local keys (publicKeyPath or publicKey) and there is no issuerResolver option; ` +
        `give an issuer a jwksUri (or neither jwksUri nor local keys, to find its keys by discovery)`
      : `none of ${ENV.jwksUri}, ${ENV.issuerUrl} and ${ENV.trustedIssuers} is set (nor the jwksUri, issuerUrl, trustedIssuers or issuerResolver option); ` +
        'set one to verify with an issuer\'s keys';
    throw new Rs256AuthError('RS256_CONFIG_INVALID', `${setting} is ${shown(value, false)}, but no JWK Set is fetched: ${missing}, or unset ${setting}.`);
  }
}

/**
 * The issuer cache holds the `issuerResolver`'s answers and nothing else: its size set without a resolver means a
 * mistake (the resolver was meant to be there, or the setting is stale).
 */
function refuseIssuerCacheSize(settings: Settings, trustedIssuers: Rs256AuthConfig['trustedIssuers']): void {
  for (const name of ['issuerCacheSize', 'newIssuersPerMinute'] as const) {
    const { value, setting } = settings.get(name);
    if (value !== undefined && trustedIssuers?.resolver === undefined) {
      throw new Rs256AuthError(
        'RS256_CONFIG_INVALID',
        `${setting} is ${shown(value, false)}, but there is no issuerResolver option: it bounds the resolver's work only; pass an issuerResolver or unset ${setting}.`,
      );
    }
  }
}

/**
 * `watchKeyFiles` on, where no key is read from a file (inline keys, fetched keys), would watch nothing: a mistake,
 * since the keys meant to reload by themselves never would. An `issuerResolver` may still name key files, so it
 * counts as having some.
 */
function watchKeyFiles(settings: Settings, keySources: KeySetSources, trustedIssuers: Rs256AuthConfig['trustedIssuers']): boolean {
  const watch = settings.boolean('watchKeyFiles');
  const hasFiles = trustedIssuers
    ? trustedIssuers.resolver !== undefined || trustedIssuers.list.some((trusted) => 'local' in trusted.keys && keyPaths(trusted.keys.sources).length > 0)
    : keyPaths(keySources).length > 0;
  if (watch && !hasFiles) {
    const { setting } = settings.get('watchKeyFiles');
    const where = trustedIssuers
      ? `no issuer of ${settings.get('trustedIssuers').setting} has a publicKeyPath and there is no issuerResolver option`
      : `the keys are given inline or fetched (neither ${ENV.privateKeyPath} nor ${ENV.publicKeyPath} is set, nor the privateKeyPath or publicKeyPath option)`;
    throw new Rs256AuthError('RS256_CONFIG_INVALID', `${setting} is true, but no key is read from a file: ${where}; read the keys from files, or unset ${setting}.`);
  }
  return watch;
}

/** The scheme and cookie settings, and the extractor they make unless the application brings its own. */
function resolveTransport(
  settings: Settings,
  custom: TokenExtractor | undefined,
): Pick<Rs256AuthConfig, 'authScheme' | 'cookieName' | 'jwtFromRequest'> {
  const scheme = settings.string('authScheme');
  const cookie = settings.string('cookieName');
  if (scheme.value !== undefined && !HTTP_TOKEN.test(scheme.value)) {
    throw invalid(scheme.setting, scheme.value, "an authorization scheme such as 'Bearer' or 'JWT' (one word, no spaces)");
  }
  if (cookie.value !== undefined && !HTTP_TOKEN.test(cookie.value)) {
    throw invalid(cookie.setting, cookie.value, "a cookie name such as 'access_token' (no spaces, '=' or ';')");
  }
  if (cookie.value !== undefined && custom) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${cookie.setting} is set together with the jwtFromRequest option, which replaces the built-in extractors; ` +
        'unset it, or add fromCookie(name) to your extractor.',
    );
  }
  const authScheme = scheme.value ?? DEFAULT_AUTH_SCHEME;
  // The header first: it is what the client chose to send for this request, a cookie is whatever the browser holds.
  const header = fromAuthHeader(authScheme);
  return {
    authScheme,
    cookieName: cookie.value,
    jwtFromRequest: custom ?? (cookie.value === undefined ? header : firstOf(header, fromCookie(cookie.value))),
  };
}

function resolveSessions(settings: Settings, redisClient: unknown): SessionsConfig {
  const store = settings.string('sessionStore');
  if (store.value !== undefined && store.value !== 'memory' && store.value !== 'redis') {
    throw invalid(store.setting, store.value, "'memory' or 'redis'");
  }
  const redis: RedisTopologySettings = {
    url: settings.string('redisUrl'),
    sentinels: settings.list('redisSentinels'),
    master: settings.string('redisSentinelMaster'),
    cluster: settings.list('redisClusterNodes'),
    client: { value: redisClient, setting: 'redisClient option' },
  };
  const named = redisTopologyGiven(redis);
  if (store.value === 'redis' && named.length === 0) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${store.setting} is "redis" but ${redis.url.setting} is not set; expected a URL such as redis://127.0.0.1:6379 (or ${redis.sentinels.setting} with ${redis.master.setting}, ${redis.cluster.setting}, or the redisClient option).`,
    );
  }
  if (named.length > 0 && store.value !== 'redis') {
    // Sessions would silently stay in this process's memory: a logout on one instance never reaching the others.
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${named[0]} is set but ${store.setting} is ${store.value === undefined ? 'not set' : `"${store.value}"`}; set ${store.setting} to "redis" to share sessions through Redis, or unset ${named[0]}.`,
    );
  }
  const refreshExpiresIn = settings.get('refreshExpiresIn');
  const maxLifetime = settings.get('sessionMaxLifetime');
  return {
    store: store.value === 'redis' ? 'redis' : 'memory',
    redis:
      store.value === 'redis'
        ? {
            topology: redisTopology(redis),
            timeoutMs: settings.integer('redisTimeout', DEFAULT_SESSIONS.redisTimeoutMs, 1),
            keyPrefix: settings.string('redisKeyPrefix').value ?? DEFAULT_SESSIONS.redisKeyPrefix,
          }
        : undefined,
    refreshExpiresIn: parseLifetime(refreshExpiresIn.value ?? DEFAULT_SESSIONS.refreshExpiresIn, refreshExpiresIn.setting),
    maxLifetime: parseLifetime(maxLifetime.value ?? DEFAULT_SESSIONS.maxLifetime, maxLifetime.setting),
    reuseGrace: settings.integer('refreshReuseGrace', DEFAULT_SESSIONS.reuseGrace, 0),
    maxStalenessMs: settings.integer('revocationMaxStaleness', DEFAULT_SESSIONS.maxStalenessMs, 1),
    failOpen: settings.boolean('revocationFailOpen'),
  };
}

/** A URL to fetch keys or metadata from: absolute, and `https:` unless loopback or allowed. Quoted redacted. */
function fetchableUrl(value: string, setting: string, allowHttp: boolean, what: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(setting, redactedUrl(value), `an absolute https: URL of ${what}`);
  }
  if (!acceptableUrl(url, allowHttp)) {
    throw invalid(setting, redactedUrl(value), 'an https: URL (http: only for a loopback host, or with JWT_JWKS_ALLOW_HTTP=true)');
  }
  return url;
}

/** The cache, cooldown and size bounds shared by every fetched key set. */
function remoteBounds(settings: Settings): Omit<RemoteKeySettings, 'uri' | 'discover'> {
  const cacheMaxAge = settings.integer('jwksCacheMaxAge', DEFAULT_REMOTE_JWKS.cacheMaxAge, 1);
  const maxStale = settings.integer('jwksMaxStale', DEFAULT_REMOTE_JWKS.maxStale, 1);
  if (maxStale < cacheMaxAge) {
    // The keys would count as stale before anyone tried to refresh them.
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${settings.get('jwksMaxStale').setting} is ${maxStale}, less than ${settings.get('jwksCacheMaxAge').setting} (${cacheMaxAge}): keys would be refused as stale before they are due for a refresh; raise the first or lower the second.`,
    );
  }
  return {
    cacheMaxAgeMs: cacheMaxAge * 1000,
    maxStaleMs: maxStale * 1000,
    // Under a second, a flood of unknown kids would become a flood of fetches at the issuer.
    cooldownMs: settings.integer('jwksCooldown', DEFAULT_REMOTE_JWKS.cooldown, 1) * 1000,
    timeoutMs: settings.integer('jwksTimeout', DEFAULT_REMOTE_JWKS.timeoutMs, 1),
    // A JWK Set holds a few keys of a few hundred bytes each; anything near these caps is not a key set.
    maxBytes: settings.integer('jwksMaxBytes', DEFAULT_REMOTE_JWKS.maxBytes, 1024),
    maxKeys: settings.integer('jwksMaxKeys', DEFAULT_REMOTE_JWKS.maxKeys, 1),
    allowHttp: settings.boolean('jwksAllowHttp'),
  };
}

function refuseLocalKeys(setting: string, keySources: KeySetSources): void {
  if (keySources.privateKey || keySources.publicKeys.length > 0) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${setting} is set together with local keys: a resource server verifies with the issuer's keys and signs nothing. ` +
        `Unset JWT_PRIVATE_KEY_PATH/JWT_PUBLIC_KEY_PATH (and JWT_PRIVATE_KEY/JWT_PUBLIC_KEY), or unset ${setting}.`,
    );
  }
}

function resolveRemoteJwks(settings: Settings, keySources: KeySetSources): Rs256AuthConfig['remoteJwks'] {
  const jwksUri = settings.string('jwksUri');
  const issuerUrl = settings.string('issuerUrl');
  if (jwksUri.value === undefined && issuerUrl.value === undefined) {
    return undefined;
  }
  if (jwksUri.value !== undefined && issuerUrl.value !== undefined) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${jwksUri.setting} and ${issuerUrl.setting} are both set; set only one: the issuer URL finds the JWK Set URI by discovery.`,
    );
  }
  const allowHttp = settings.boolean('jwksAllowHttp');
  if (jwksUri.value !== undefined) {
    const uri = fetchableUrl(jwksUri.value, jwksUri.setting, allowHttp, 'a JWK Set');
    refuseLocalKeys(jwksUri.setting, keySources);
    return { uri, ...remoteBounds(settings) };
  }
  fetchableUrl(issuerUrl.value!, issuerUrl.setting, allowHttp, 'an issuer');
  refuseLocalKeys(issuerUrl.setting, keySources);
  return { discover: issuerUrl.value, ...remoteBounds(settings) };
}

/**
 * No audience, no start, where keys come from an identity provider: its keys sign tokens for every API of the
 * tenant, so without an audience check a token minted for another API passes here (express-oauth2-jwt-bearer
 * refuses to start the same way). `JWT_ACCEPT_ANY_AUDIENCE` is the explicit way out; it means nothing with local
 * keys (the audience is then checked exactly when `JWT_AUDIENCE` is set), nor together with an audience.
 * @returns whether tokens are accepted whatever their audience
 */
function resolveAudienceCheck(
  settings: Settings,
  audience: string[] | undefined,
  remoteJwks: Rs256AuthConfig['remoteJwks'],
  trustedIssuers: Rs256AuthConfig['trustedIssuers'],
): boolean {
  const optOut = settings.boolean('acceptAnyAudience');
  const optOutSetting = settings.get('acceptAnyAudience').setting;
  const audienceSetting = settings.get('audience').setting;
  const optOutName = `${ENV.acceptAnyAudience}=true (acceptAnyAudience option)`;
  if (remoteJwks === undefined && trustedIssuers === undefined) {
    if (optOut) {
      throw new Rs256AuthError(
        'RS256_CONFIG_INVALID',
        `${optOutSetting} is true, but the keys are local: it applies only where keys come from an identity provider (${ENV.jwksUri}, ${ENV.issuerUrl}, ${ENV.trustedIssuers}, issuerResolver option); unset ${optOutSetting}.`,
      );
    }
    return false;
  }
  if (optOut && audience !== undefined) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${optOutSetting} is true and ${audienceSetting} is set: accept any audience, or these; unset one of them.`,
    );
  }
  if (optOut) {
    return true;
  }
  const fix = `set ${ENV.audience} (audience option) to the identifier of this API, or set ${optOutName} to accept tokens whatever their audience.`;
  if (remoteJwks !== undefined && audience === undefined) {
    const source = settings.get(remoteJwks.uri ? 'jwksUri' : 'issuerUrl').setting;
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${source} is set but ${audienceSetting} is not: the identity provider's keys sign tokens for every API of the tenant, and without an audience check a token minted for another API passes; ${fix}`,
    );
  }
  if (trustedIssuers !== undefined) {
    const open = trustedIssuers.list.find((trusted) => trusted.audience === undefined);
    const where = open
      ? `${settings.get('trustedIssuers').setting} (issuer ${quotedUrl(open.issuer)}) has no audience and ${audienceSetting} is not set`
      : trustedIssuers.resolver && audience === undefined
        ? `the issuerResolver option is set but ${audienceSetting} is not (the audience of the issuers it accepts, unless they give their own)`
        : undefined;
    if (where !== undefined) {
      throw new Rs256AuthError(
        'RS256_CONFIG_INVALID',
        `${where}: an issuer's keys sign tokens for every API of its tenant, and without an audience check a token minted for another API passes; give the issuer an audience, or ${fix}`,
      );
    }
  }
  return false;
}

/** `JWT_ISSUER`, or the issuer named by `JWT_ISSUER_URL`; both set, they must agree. */
function resolveIssuer(settings: Settings): string | undefined {
  const issuer = settings.string('issuer');
  const issuerUrl = settings.string('issuerUrl');
  if (issuer.value !== undefined && issuerUrl.value !== undefined && issuer.value !== issuerUrl.value) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${issuer.setting} is ${quotedUrl(issuer.value)} but ${issuerUrl.setting} is ${quotedUrl(issuerUrl.value)}: tokens carry one iss; set only ${issuerUrl.setting}.`,
    );
  }
  return issuerUrl.value ?? issuer.value;
}

const DEFAULT_ISSUER_CACHE_SIZE = 100;
/**
 * Tenants appear one at a time (a sign-up, a new customer): ten a minute is a burst no real onboarding reaches, and
 * what a flood of made-up issuers can cost the identity providers (a few requests each, see issuer-discovery).
 */
const DEFAULT_NEW_ISSUERS_PER_MINUTE = 10;

/** A trusted issuer as its settings say, before its local key files (if any) are read. */
type CheckedIssuer = Omit<TrustedIssuer, 'keys'> & { readonly keys: { readonly remote: RemoteKeySettings } | { readonly sources: KeySetSources } };

/** One entry of JWT_TRUSTED_ISSUERS / trustedIssuers, checked as start-up checks every setting. */
function trustedIssuer(
  entry: unknown,
  setting: string,
  defaults: { audience?: readonly string[]; requiredClaims: readonly string[]; bounds: Omit<RemoteKeySettings, 'uri' | 'discover'> },
): CheckedIssuer {
  const options = (typeof entry === 'string' ? { issuer: entry } : entry) as Partial<TrustedIssuerOptions> | null;
  if (typeof options !== 'object' || options === null || typeof options.issuer !== 'string' || options.issuer.trim() === '') {
    throw invalid(setting, entry, 'issuer URLs, or objects { issuer, jwksUri?, publicKeyPath?, publicKey?, audience?, requiredClaims? }');
  }
  const { issuer } = options;
  const at = `${setting} (issuer ${quotedUrl(issuer)})`;
  const list = (value: unknown, name: string): string[] | undefined => {
    if (value === undefined) return undefined;
    const items = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(items) || items.length === 0 || !items.every((item) => typeof item === 'string' && item.trim() !== '')) {
      throw invalid(`${at} ${name}`, value, 'a non-empty string or array of strings');
    }
    return items;
  };
  const publicKeyPaths = list(options.publicKeyPath, 'publicKeyPath');
  const sources = [options.jwksUri !== undefined, publicKeyPaths !== undefined, options.publicKey !== undefined].filter(Boolean).length;
  if (sources > 1) {
    throw new Rs256AuthError('RS256_CONFIG_INVALID', `${at} has more than one of jwksUri, publicKeyPath and publicKey; give its keys one way.`);
  }
  let keys: CheckedIssuer['keys'];
  if (publicKeyPaths !== undefined || options.publicKey !== undefined) {
    const publicKeys: PublicKeySource[] = publicKeyPaths
      ? publicKeyPaths.map((path) => ({ setting: `${at} publicKeyPath`, path, inlineSetting: `${at} publicKey` }))
      : [{ setting: `${at} publicKey`, inline: String(options.publicKey) }];
    keys = { sources: { publicKeys, passphrase: { setting: 'privateKeyPassphrase option' } } };
  } else if (options.jwksUri !== undefined) {
    keys = { remote: { uri: fetchableUrl(String(options.jwksUri), `${at} jwksUri`, defaults.bounds.allowHttp, 'a JWK Set'), ...defaults.bounds } };
  } else {
    fetchableUrl(issuer, at, defaults.bounds.allowHttp, 'an issuer (its keys are found by discovery)');
    keys = { remote: { discover: issuer, ...defaults.bounds } };
  }
  const requiredClaims = options.requiredClaims === undefined ? defaults.requiredClaims : list(options.requiredClaims, 'requiredClaims')!;
  return { issuer, keys, audience: list(options.audience, 'audience') ?? defaults.audience, requiredClaims };
}

/** A configured issuer with its local keys read, blocking, as start-up reads every key. */
function loadIssuerKeys({ keys, ...issuer }: CheckedIssuer): TrustedIssuer {
  return { ...issuer, keys: 'remote' in keys ? keys : { local: loadKeySet(keys.sources), sources: keys.sources } };
}

/** A resolved issuer with its local keys read without blocking: the resolver answers while requests are served. */
async function readIssuerKeys({ keys, ...issuer }: CheckedIssuer): Promise<TrustedIssuer> {
  return { ...issuer, keys: 'remote' in keys ? keys : { local: await reloadKeySet(keys.sources), sources: keys.sources } };
}

/**
 * Several issuers, each with its own keys. They replace the single-issuer settings, which would otherwise say two
 * things about whose tokens are accepted.
 */
function resolveTrustedIssuers(
  settings: Settings,
  resolver: IssuerResolver | undefined,
  keySources: KeySetSources,
  audience: string[] | undefined,
  requiredClaims: readonly string[],
): Rs256AuthConfig['trustedIssuers'] {
  const { value, setting } = settings.get('trustedIssuers');
  if (value === undefined && resolver === undefined) {
    return undefined;
  }
  if (resolver !== undefined && typeof resolver !== 'function') {
    throw invalid('issuerResolver option', resolver, 'a function from iss to issuer options');
  }
  let entries: unknown[];
  if (value === undefined) {
    entries = [];
  } else if (Array.isArray(value)) {
    entries = value;
  } else if (typeof value === 'string' && value.trim().startsWith('[')) {
    try {
      entries = JSON.parse(value) as unknown[];
    } catch {
      // Not quoted: it is not JSON, so the URLs (and their credentials) in it cannot be picked out to redact.
      throw invalid(setting, value, 'issuer URLs, comma-separated, or a JSON array of issuer objects', true);
    }
    if (!Array.isArray(entries)) throw invalid(setting, value, 'a JSON array', true);
  } else if (typeof value === 'string') {
    entries = value.split(',').map((item) => item.trim()).filter(Boolean);
  } else {
    throw invalid(setting, value, 'issuer URLs, comma-separated, or a JSON array of issuer objects');
  }
  if (entries.length === 0 && resolver === undefined) {
    throw invalid(setting, value, 'at least one issuer');
  }
  for (const single of ['issuer', 'issuerUrl', 'jwksUri'] as const) {
    const other = settings.get(single);
    if (other.value !== undefined) {
      throw new Rs256AuthError(
        'RS256_CONFIG_INVALID',
        `${other.setting} is set together with ${value === undefined ? 'issuerResolver option' : setting}: with several issuers, each has its own iss and keys. Unset ${other.setting}.`,
      );
    }
  }
  refuseLocalKeys(value === undefined ? 'issuerResolver option' : setting, keySources);
  const defaults = { audience, requiredClaims, bounds: remoteBounds(settings) };
  const list = entries.map((entry) => loadIssuerKeys(trustedIssuer(entry, setting, defaults)));
  const twice = list.find((entry, index) => list.findIndex((other) => other.issuer === entry.issuer) !== index);
  if (twice) {
    throw new Rs256AuthError('RS256_CONFIG_INVALID', `${setting} lists issuer ${quotedUrl(twice.issuer)} twice; list each issuer once.`);
  }
  return {
    list,
    resolver,
    cacheSize: settings.integer('issuerCacheSize', DEFAULT_ISSUER_CACHE_SIZE, 1),
    newPerMinute: settings.integer('newIssuersPerMinute', DEFAULT_NEW_ISSUERS_PER_MINUTE, 1),
    allowHttp: defaults.bounds.allowHttp,
    resolve: async (options, at) => readIssuerKeys(trustedIssuer(options, at, defaults)),
  };
}

const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+(\/[a-z0-9!#$&^_.+-]+)?$/i;

/** Dotted claim paths, comma-separated: `realm_access.roles,resource_access.my-api.roles`. */
function claimPaths(settings: Settings, name: 'rolesClaim' | 'scopesClaim'): ClaimPath[] | undefined {
  const { value, setting } = settings.list(name);
  if (value === undefined || value.length === 0) {
    return undefined;
  }
  return value.map((path) => {
    const members = path.split('.');
    if (members.some((member) => member.length === 0)) {
      throw invalid(setting, path, "dotted claim paths such as 'roles' or 'realm_access.roles'");
    }
    return members;
  });
}

/**
 * RFC 9068 access tokens must carry `iss` and `aud` (§2.2), and a resource server must know which it accepts: the
 * profile needs both settings, checked here rather than at the first `sign`.
 */
function resolveTokenProfile(settings: Settings, issuer: string | undefined, audience: string[] | undefined): TokenProfile {
  const { value, setting } = settings.string('tokenProfile');
  const profile = value?.trim().toLowerCase() ?? 'jwt';
  if (!(TOKEN_PROFILES as readonly string[]).includes(profile)) {
    throw invalid(setting, value, `one of ${TOKEN_PROFILES.join(', ')}`);
  }
  if (profile === 'rfc9068' && (issuer === undefined || audience === undefined || audience.length === 0)) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${setting} is "rfc9068", which puts iss and aud into every token (RFC 9068 §2.2); set JWT_ISSUER and JWT_AUDIENCE (issuer and audience options) too.`,
    );
  }
  return profile as TokenProfile;
}

/** Under the RFC 9068 profile, tokens typed `at+jwt` only (RFC 9068 §4), unless JWT_TOKEN_TYPE says otherwise. */
function resolveTokenTypes(settings: Settings, profile: TokenProfile): Rs256AuthConfig['tokenTypes'] {
  const { value, setting } = settings.list('tokenType');
  if (value === undefined || value.length === 0) {
    return profile === 'rfc9068' ? [typMediaType('at+jwt')] : undefined;
  }
  const bad = value.find((typ) => !MEDIA_TYPE.test(typ));
  if (bad !== undefined) {
    throw invalid(setting, bad, "media types such as 'at+jwt' or 'application/at+jwt'");
  }
  return value.map(typMediaType);
}

/** RFC 9728 §3.1: the well-known segment goes between the host and the path of the resource identifier. */
const RESOURCE_METADATA_SEGMENT = '/.well-known/oauth-protected-resource';

function absoluteHttpsUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOST.test(url.hostname)) ? url : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The resource identifier defaults to the first audience when that is a URL (RFC 9068 tokens name the resource in
 * `aud`); the authorization servers default to the configured issuer(s).
 */
function resolveResourceMetadata(settings: Settings, audience: string[] | undefined, issuers: string[]): Rs256AuthConfig['resourceMetadata'] {
  const given = settings.string('resource');
  const value = given.value ?? audience?.[0];
  const setting = given.value !== undefined ? given.setting : `${given.setting} (or the first JWT_AUDIENCE)`;
  const resource = value === undefined ? undefined : absoluteHttpsUrl(value);
  // RFC 9728 §1.2: an https URL without a query or fragment.
  if (value === undefined || resource === undefined || resource.search !== '' || resource.hash !== '') {
    throw invalid(setting, value === undefined ? value : redactedUrl(value), 'the https: URL that identifies this resource server, without query or fragment (http: only for loopback)');
  }
  const servers = settings.list('authorizationServers');
  const authorizationServers = servers.value ?? issuers;
  const notUrl = authorizationServers.find((server) => absoluteHttpsUrl(server) === undefined);
  if (notUrl !== undefined) {
    throw invalid(servers.value ? servers.setting : 'JWT_ISSUER (JWT_AUTHORIZATION_SERVERS defaults to the issuers)', redactedUrl(notUrl), 'https: issuer identifiers');
  }
  const path = RESOURCE_METADATA_SEGMENT + (resource.pathname === '/' ? '' : resource.pathname);
  if (!isLiteralRoutePath(path)) {
    throw invalid(setting, value, `a resource URL whose path is ${LITERAL_ROUTE_PATH_EXPECTED}`);
  }
  return { resource: value, authorizationServers, path, url: `${resource.origin}${path}` };
}

function resolveJwks(settings: Settings): Rs256AuthConfig['jwks'] {
  const path = settings.string('jwksPath');
  if (path.value !== undefined && !isLiteralRoutePath(path.value)) {
    throw invalid(path.setting, path.value, LITERAL_ROUTE_PATH_EXPECTED);
  }
  return { path: path.value ?? DEFAULT_JWKS_PATH, maxAge: settings.integer('jwksMaxAge', DEFAULT_JWKS_MAX_AGE, 0) };
}
