import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import type { KeySetSources } from '../keys/key-set.loader.js';
import type { SettingsReader } from './from-env.js';
import { shown } from './parse.js';
import { refuseLocalKeys } from './resolve-keys.js';
import type { RemoteKeySettings, Rs256AuthConfig } from './rs256-auth-config.js';
import { SETTINGS, type SettingKey } from './settings.js';
import { fetchableUrl } from './urls.js';

/** Settings of fetching an issuer's JWK Set (and its metadata), meaningless where no key set is fetched. */
const REMOTE_KEY_SETTINGS = [
  'jwksCacheMaxAge',
  'jwksCooldown',
  'jwksTimeout',
  'jwksMaxBytes',
  'jwksMaxKeys',
  'jwksAllowHttp',
  'jwksMaxStale',
] as const satisfies readonly SettingKey[];

/** The cache, cooldown and size bounds every fetched key set keeps to, durations in milliseconds. */
export function remoteBounds(reader: SettingsReader): Omit<RemoteKeySettings, 'uri' | 'discover'> {
  const cacheMaxAge = reader.read('jwksCacheMaxAge');
  const maxStale = reader.read('jwksMaxStale');
  if (maxStale < cacheMaxAge) {
    // The keys would count as stale before anyone tried to refresh them.
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${reader.label('jwksMaxStale')} is ${maxStale}, less than ${reader.label('jwksCacheMaxAge')} (${cacheMaxAge}): keys would be refused as stale before they are due for a refresh; raise the first or lower the second.`,
    );
  }
  return {
    cacheMaxAgeMs: cacheMaxAge * 1000,
    maxStaleMs: maxStale * 1000,
    cooldownMs: reader.read('jwksCooldown') * 1000,
    timeoutMs: Math.round(reader.read('jwksTimeout') * 1000),
    maxBytes: reader.read('jwksMaxBytes'),
    maxKeys: reader.read('jwksMaxKeys'),
    allowHttp: reader.read('jwksAllowHttp'),
  };
}

/** One remote issuer: its JWK Set URI, or its issuer URL to find that URI by discovery. */
export function resolveRemoteJwks(reader: SettingsReader, keySources: KeySetSources): Rs256AuthConfig['remoteJwks'] {
  const jwksUri = reader.read('jwksUri');
  const issuerUrl = reader.read('issuerUrl');
  if (jwksUri === undefined) {
    if (issuerUrl === undefined) return undefined;
    fetchableUrl(issuerUrl, reader.label('issuerUrl'), reader.read('jwksAllowHttp'), 'an issuer');
    refuseLocalKeys(reader.label('issuerUrl'), keySources);
    return { discover: issuerUrl, ...remoteBounds(reader) };
  }
  if (issuerUrl !== undefined) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${reader.label('jwksUri')} and ${reader.label('issuerUrl')} are both set; set only one: the issuer URL finds the JWK Set URI by discovery.`,
    );
  }
  const uri = fetchableUrl(jwksUri, reader.label('jwksUri'), reader.read('jwksAllowHttp'), 'a JWK Set');
  refuseLocalKeys(reader.label('jwksUri'), keySources);
  return { uri: uri.href, ...remoteBounds(reader) };
}

/**
 * Where no key set is fetched (local keys only, or several issuers all with local keys and no resolver), a cooldown,
 * size cap or other fetch setting means a mistake: the JWK Set URI or issuer URL it was meant for is missing, or the
 * setting is stale.
 */
export function refuseRemoteKeySettings(
  reader: SettingsReader,
  remoteJwks: Rs256AuthConfig['remoteJwks'],
  trustedIssuers: Rs256AuthConfig['trustedIssuers'],
): void {
  if (remoteJwks || trustedIssuers?.resolver || trustedIssuers?.list.some((trusted) => 'remote' in trusted.keys)) {
    return;
  }
  for (const name of REMOTE_KEY_SETTINGS) {
    const value = reader.raw(name);
    if (value === undefined) continue;
    const setting = reader.label(name);
    const missing = trustedIssuers
      ? `every issuer of ${reader.label('trustedIssuers')} has local keys (publicKeyPath or publicKey) and there is no keys.issuerResolver option; ` +
        `give an issuer a jwksUri (or neither jwksUri nor local keys, to find its keys by discovery)`
      : `none of ${SETTINGS.jwksUri.env}, ${SETTINGS.issuerUrl.env} and ${SETTINGS.trustedIssuers.env} is set (nor the keys.jwksUri, keys.issuerUrl, keys.trustedIssuers or keys.issuerResolver option); ` +
        "set one to verify with an issuer's keys";
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${setting} is ${shown(value, false)}, but no JWK Set is fetched: ${missing}, or unset ${setting}.`,
    );
  }
}
