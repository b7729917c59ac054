import { Logger } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import type { Rs256AuthModuleOptions, TokenExtractor } from '../interfaces/rs256-auth-options.interface.js';
import type { KeySource } from '../keys/key-loader.js';
import { KeySet } from '../keys/key-set.js';
import { loadKeySet, type KeySetSources, type PublicKeySource } from '../keys/key-set.loader.js';
import { KeyStore } from '../keys/key-store.js';
import { bearerTokenExtractor } from '../token/bearer-token.extractor.js';
import { ENV_PREFIX, findUnknownEnv } from './unknown-env.js';

/** The configuration in force after options and environment are merged, validated and the keys parsed. */
export interface Rs256AuthConfig {
  /** The key set in force; replaced whole when keys are reloaded. */
  readonly keyStore: KeyStore;
  /** Where the keys come from, read again by every reload. */
  readonly keySources: KeySetSources;
  readonly issuer?: string;
  /** Accepted audiences; the first is written into issued tokens. */
  readonly audience?: readonly string[];
  /** Lifetime of issued tokens, in seconds. */
  readonly expiresIn: number;
  readonly clockTolerance: number;
  readonly requiredClaims: readonly string[];
  readonly maxTokenLength: number;
  /** Most verified tokens remembered; 0 disables the cache. */
  readonly cacheSize: number;
  /** Check signatures of tokens not in the cache on libuv's thread pool. */
  readonly verifyOffThread: boolean;
  readonly realm: string;
  readonly jwtFromRequest: TokenExtractor;
  /** Reload the keys on SIGHUP. */
  readonly reloadOnSignal: boolean;
  /** Reload the keys when a key file changes. */
  readonly watchKeyFiles: boolean;
  /** Resource-server mode: verification keys from an issuer's JWK Set; `undefined` with local keys. */
  readonly remoteJwks?: {
    readonly uri: URL;
    readonly cacheMaxAgeMs: number;
    readonly cooldownMs: number;
    readonly timeoutMs: number;
    /** Largest JWK Set response read; a larger one fails the fetch. */
    readonly maxBytes: number;
    /** Entries read from one JWK Set; the rest are ignored. */
    readonly maxKeys: number;
  };
  /** Where the JWK Set is served; `undefined` when it is not. */
  readonly jwks?: { readonly path: string; readonly maxAge: number };
}

/** The environment variable behind each option; also the list of known `JWT_*` names that typos are checked against. */
const ENV = {
  privateKeyPath: 'JWT_PRIVATE_KEY_PATH',
  privateKey: 'JWT_PRIVATE_KEY',
  privateKeyPassphrase: 'JWT_PRIVATE_KEY_PASSPHRASE',
  publicKeyPath: 'JWT_PUBLIC_KEY_PATH',
  publicKey: 'JWT_PUBLIC_KEY',
  issuer: 'JWT_ISSUER',
  audience: 'JWT_AUDIENCE',
  expiresIn: 'JWT_EXPIRES_IN',
  clockTolerance: 'JWT_CLOCK_TOLERANCE',
  requiredClaims: 'JWT_REQUIRED_CLAIMS',
  maxTokenLength: 'JWT_MAX_TOKEN_LENGTH',
  cacheSize: 'JWT_CACHE_SIZE',
  verifyOffThread: 'JWT_VERIFY_OFF_THREAD',
  realm: 'JWT_REALM',
  reloadOnSignal: 'JWT_RELOAD_ON_SIGHUP',
  watchKeyFiles: 'JWT_WATCH_KEY_FILES',
  jwksUri: 'JWT_JWKS_URI',
  jwksCacheMaxAge: 'JWT_JWKS_CACHE_MAX_AGE',
  jwksCooldown: 'JWT_JWKS_COOLDOWN',
  jwksTimeout: 'JWT_JWKS_TIMEOUT_MS',
  jwksAllowHttp: 'JWT_JWKS_ALLOW_HTTP',
  jwksMaxBytes: 'JWT_JWKS_MAX_BYTES',
  jwksMaxKeys: 'JWT_JWKS_MAX_KEYS',
  jwksEnabled: 'JWT_JWKS_ENABLED',
  jwksPath: 'JWT_JWKS_PATH',
  jwksMaxAge: 'JWT_JWKS_MAX_AGE',
} as const satisfies Partial<Record<keyof FlatOptions, string>>;

type EnvOption = keyof typeof ENV;

/** The options with the nested `jwks` object flattened, so every setting is read the same way. */
interface FlatOptions extends Omit<Rs256AuthModuleOptions, 'jwks'> {
  jwksEnabled?: boolean;
  jwksPath?: string;
  jwksMaxAge?: number;
}

/** Settings of the JWK Set endpoint, meaningless while the endpoint is off. */
const JWKS_ENDPOINT_SETTINGS = ['jwksPath', 'jwksMaxAge'] as const satisfies readonly EnvOption[];

const OPTION_LABELS: Partial<Record<EnvOption, string>> = {
  jwksEnabled: 'jwks option',
  jwksPath: 'jwks.path option',
  jwksMaxAge: 'jwks.maxAge option',
};

function flatten({ jwks, ...options }: Rs256AuthModuleOptions): FlatOptions {
  const nested = typeof jwks === 'object' ? jwks : {};
  return { ...options, jwksEnabled: jwks === undefined ? undefined : jwks !== false, jwksPath: nested.path, jwksMaxAge: nested.maxAge };
}

const DEFAULT_EXPIRES_IN = '15m';
const DEFAULT_REQUIRED_CLAIMS = ['exp', 'iat', 'sub'];
const DEFAULT_MAX_TOKEN_LENGTH = 8192;
const DEFAULT_CACHE_SIZE = 5000;
const DEFAULT_REALM = 'api';
const DEFAULT_JWKS_PATH = '/.well-known/jwks.json';
const DEFAULT_JWKS_MAX_AGE = 300;
const DEFAULT_REMOTE_JWKS = { cacheMaxAge: 600, cooldown: 30, timeoutMs: 5000, maxBytes: 1024 * 1024, maxKeys: 100 };
const LOOPBACK_HOST = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

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
  const remoteJwks = resolveRemoteJwks(settings, keySources);
  return {
    // A resource server starts with no key; RemoteJwks fills the set from the issuer.
    keyStore: new KeyStore(remoteJwks ? new KeySet([]) : loadKeySet(keySources)),
    remoteJwks,
    keySources,
    issuer: settings.string('issuer').value,
    audience,
    expiresIn: parseLifetime(expiresIn.value ?? DEFAULT_EXPIRES_IN, expiresIn.setting),
    clockTolerance: settings.integer('clockTolerance', 0, 0),
    requiredClaims: claimNames(settings),
    maxTokenLength: settings.integer('maxTokenLength', DEFAULT_MAX_TOKEN_LENGTH, 16),
    cacheSize: settings.integer('cacheSize', DEFAULT_CACHE_SIZE, 0),
    verifyOffThread: settings.boolean('verifyOffThread'),
    realm: settings.string('realm').value ?? DEFAULT_REALM,
    jwtFromRequest: options.jwtFromRequest ?? bearerTokenExtractor,
    // In resource-server mode the signal fetches the issuer's set instead of reading key files.
    reloadOnSignal: settings.boolean('reloadOnSignal', true),
    watchKeyFiles: settings.boolean('watchKeyFiles'),
    jwks: settings.boolean('jwksEnabled') ? resolveJwks(settings) : refuseJwksSettings(settings),
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

function resolveRemoteJwks(settings: Settings, keySources: KeySetSources): Rs256AuthConfig['remoteJwks'] {
  const { value, setting } = settings.string('jwksUri');
  if (value === undefined) {
    return undefined;
  }
  let uri: URL;
  try {
    uri = new URL(value);
  } catch {
    throw invalid(setting, value, 'an absolute https: URL of a JWK Set');
  }
  const allowHttp = settings.boolean('jwksAllowHttp');
  if (uri.protocol !== 'https:' && !(uri.protocol === 'http:' && (allowHttp || LOOPBACK_HOST.test(uri.hostname)))) {
    throw invalid(setting, value, 'an https: URL (http: only for a loopback host, or with JWT_JWKS_ALLOW_HTTP=true)');
  }
  if (keySources.privateKey || keySources.publicKeys.length > 0) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${setting} is set together with local keys: a resource server verifies with the issuer's keys and signs nothing. ` +
        'Unset JWT_PRIVATE_KEY_PATH/JWT_PUBLIC_KEY_PATH (and JWT_PRIVATE_KEY/JWT_PUBLIC_KEY), or unset JWT_JWKS_URI.',
    );
  }
  return {
    uri,
    cacheMaxAgeMs: settings.integer('jwksCacheMaxAge', DEFAULT_REMOTE_JWKS.cacheMaxAge, 1) * 1000,
    // Under a second, a flood of unknown kids would become a flood of fetches at the issuer.
    cooldownMs: settings.integer('jwksCooldown', DEFAULT_REMOTE_JWKS.cooldown, 1) * 1000,
    timeoutMs: settings.integer('jwksTimeout', DEFAULT_REMOTE_JWKS.timeoutMs, 1),
    // A JWK Set holds a few keys of a few hundred bytes each; anything near these caps is not a key set.
    maxBytes: settings.integer('jwksMaxBytes', DEFAULT_REMOTE_JWKS.maxBytes, 1024),
    maxKeys: settings.integer('jwksMaxKeys', DEFAULT_REMOTE_JWKS.maxKeys, 1),
  };
}

function resolveJwks(settings: Settings): Rs256AuthConfig['jwks'] {
  const path = settings.string('jwksPath');
  if (path.value !== undefined && !path.value.startsWith('/')) {
    throw invalid(path.setting, path.value, "a route starting with '/'");
  }
  return { path: path.value ?? DEFAULT_JWKS_PATH, maxAge: settings.integer('jwksMaxAge', DEFAULT_JWKS_MAX_AGE, 0) };
}
