import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import type { IssuerResolver, TrustedIssuerOptions } from './rs256-auth-options.interface.js';
import type { KeySet } from '../keys/key-set.js';
import { loadKeySet, type KeySetSources, type PublicKeySource } from '../keys/key-set.loader.js';
import { quotedUrl } from '../observability/redacted-url.js';
import type { SettingsReader } from './from-env.js';
import { invalid, shown } from './parse.js';
import { refuseLocalKeys } from './resolve-keys.js';
import { remoteBounds } from './resolve-remote.js';
import type { IssuerDefaults, Rs256AuthConfig, TrustedIssuer, TrustedIssuers } from './rs256-auth-config.js';
import { fetchableUrl } from './urls.js';

/**
 * One entry of JWT_TRUSTED_ISSUERS / trustedIssuers (or an `issuerResolver`'s answer), checked as start-up checks
 * every setting. Its local key files, if any, are not read here: see {@link loadIssuerKeys}.
 */
export function trustedIssuer(entry: unknown, setting: string, defaults: IssuerDefaults): TrustedIssuer {
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
  let keys: TrustedIssuer['keys'];
  if (publicKeyPaths !== undefined || options.publicKey !== undefined) {
    const publicKeys: PublicKeySource[] = publicKeyPaths
      ? publicKeyPaths.map((path) => ({ setting: `${at} publicKeyPath`, path, inlineSetting: `${at} publicKey` }))
      : [{ setting: `${at} publicKey`, inline: String(options.publicKey) }];
    keys = { sources: { publicKeys, passphrase: { setting: 'keys.privateKeyPassphrase option' } } };
  } else if (options.jwksUri !== undefined) {
    keys = {
      remote: { uri: fetchableUrl(String(options.jwksUri), `${at} jwksUri`, defaults.bounds.allowHttp, 'a JWK Set').href, ...defaults.bounds },
    };
  } else {
    fetchableUrl(issuer, at, defaults.bounds.allowHttp, 'an issuer (its keys are found by discovery)');
    keys = { remote: { discover: issuer, ...defaults.bounds } };
  }
  const requiredClaims = list(options.requiredClaims, 'requiredClaims') ?? defaults.requiredClaims;
  return { issuer, keys, audience: list(options.audience, 'audience') ?? defaults.audience, requiredClaims };
}

/**
 * An issuer's local keys, read at start-up or when the resolver answers while requests are served (without blocking
 * the event loop); `undefined` for an issuer whose keys are fetched.
 * @throws Rs256AuthError naming the setting and path at fault
 */
export async function loadIssuerKeys({ keys }: TrustedIssuer): Promise<KeySet | undefined> {
  return 'sources' in keys ? loadKeySet(keys.sources) : undefined;
}

/** Several trusted issuers, with the keys of those that have local ones, by issuer. */
export interface ResolvedIssuers {
  readonly trustedIssuers: TrustedIssuers;
  readonly keys: ReadonlyMap<string, KeySet>;
}

/** The entries of the setting: an array as the option, issuer URLs comma-separated or a JSON array as the variable. */
function issuerEntries(value: unknown, setting: string): unknown[] {
  if (value === undefined) {
    return [];
  }
  if (Array.isArray(value)) {
    return value;
  }
  if (typeof value === 'string' && value.trim().startsWith('[')) {
    let entries: unknown;
    try {
      entries = JSON.parse(value);
    } catch {
      // Not quoted: it is not JSON, so the URLs (and their credentials) in it cannot be picked out to redact.
      throw invalid(setting, value, 'issuer URLs, comma-separated, or a JSON array of issuer objects', true);
    }
    if (!Array.isArray(entries)) throw invalid(setting, value, 'a JSON array', true);
    return entries;
  }
  if (typeof value === 'string') {
    return value
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
  }
  throw invalid(setting, value, 'issuer URLs, comma-separated, or a JSON array of issuer objects');
}

/**
 * Several issuers, each with its own keys. They replace the single-issuer settings, which would otherwise say two
 * things about whose tokens are accepted.
 */
export async function resolveTrustedIssuers(
  reader: SettingsReader,
  resolver: IssuerResolver | undefined,
  keySources: KeySetSources,
  audience: string[] | undefined,
  requiredClaims: readonly string[],
): Promise<ResolvedIssuers | undefined> {
  const value = reader.raw('trustedIssuers');
  const setting = reader.label('trustedIssuers');
  if (value === undefined && resolver === undefined) {
    return undefined;
  }
  if (resolver !== undefined && typeof resolver !== 'function') {
    throw invalid('keys.issuerResolver option', resolver, 'a function from iss to issuer options');
  }
  const entries = issuerEntries(value, setting);
  if (entries.length === 0 && resolver === undefined) {
    throw invalid(setting, value, 'at least one issuer');
  }
  for (const single of ['issuer', 'issuerUrl', 'jwksUri'] as const) {
    if (reader.has(single)) {
      const other = reader.label(single);
      throw new Rs256AuthError(
        'RS256_CONFIG_INVALID',
        `${other} is set together with ${value === undefined ? 'keys.issuerResolver option' : setting}: with several issuers, each has its own iss and keys. Unset ${other}.`,
      );
    }
  }
  refuseLocalKeys(value === undefined ? 'keys.issuerResolver option' : setting, keySources);
  const defaults: IssuerDefaults = { audience, requiredClaims, bounds: remoteBounds(reader) };
  const list: TrustedIssuer[] = [];
  const keys = new Map<string, KeySet>();
  for (const entry of entries) {
    const trusted = trustedIssuer(entry, setting, defaults);
    const local = await loadIssuerKeys(trusted);
    list.push(trusted);
    if (local) keys.set(trusted.issuer, local);
  }
  const twice = list.find((entry, index) => list.findIndex((other) => other.issuer === entry.issuer) !== index);
  if (twice) {
    throw new Rs256AuthError('RS256_CONFIG_INVALID', `${setting} lists issuer ${quotedUrl(twice.issuer)} twice; list each issuer once.`);
  }
  const trustedIssuers: TrustedIssuers = {
    list,
    resolver,
    cacheSize: reader.read('issuerCacheSize'),
    newPerMinute: reader.read('newIssuersPerMinute'),
    allowHttp: defaults.bounds.allowHttp,
    resolverBounds: { cooldownMs: defaults.bounds.cooldownMs, timeoutMs: defaults.bounds.timeoutMs },
    defaults,
  };
  return { trustedIssuers, keys };
}

/**
 * The issuer cache holds the `issuerResolver`'s answers and nothing else: its size set without a resolver means a
 * mistake (the resolver was meant to be there, or the setting is stale).
 */
export function refuseIssuerCacheSize(reader: SettingsReader, trustedIssuers: Rs256AuthConfig['trustedIssuers']): void {
  for (const name of ['issuerCacheSize', 'newIssuersPerMinute'] as const) {
    const value = reader.raw(name);
    if (value !== undefined && trustedIssuers?.resolver === undefined) {
      const setting = reader.label(name);
      throw new Rs256AuthError(
        'RS256_CONFIG_INVALID',
        `${setting} is ${shown(value, false)}, but there is no keys.issuerResolver option: it bounds the resolver's work only; pass an issuerResolver or unset ${setting}.`,
      );
    }
  }
}
