import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import type { KeyOrigin } from '../keys/key-loader.js';
import type { KeySet } from '../keys/key-set.js';
import { keyPaths, loadKeySet, type KeySetSources, type PublicKeySource } from '../keys/key-set.loader.js';
import type { SettingsReader } from './from-env.js';
import { fileVariableHints } from './env-names.js';
import { invalid } from './parse.js';
import type { Rs256AuthConfig } from './rs256-auth-config.js';
import { SETTINGS } from './settings.js';

/** A key comes from a path or from an inline PEM, never both. */
function refuseBoth(reader: SettingsReader, path: 'privateKeyPath' | 'publicKeyPath', inline: 'privateKey' | 'publicKey'): void {
  if (reader.has(path) && reader.has(inline)) {
    throw new Rs256AuthError('RS256_CONFIG_INVALID', `${reader.label(path)} and ${reader.label(inline)} are both set; set only one of them.`);
  }
}

/** The inline-key setting, named the way the path was given (an option for an option), for hints. */
function inlineSetting(reader: SettingsReader, path: 'privateKeyPath' | 'publicKeyPath', inline: 'privateKey' | 'publicKey'): string {
  return reader.label(path).endsWith(' option') ? `${SETTINGS[inline].option} option` : SETTINGS[inline].env;
}

function privateKeySource(reader: SettingsReader): KeyOrigin | undefined {
  refuseBoth(reader, 'privateKeyPath', 'privateKey');
  const path = reader.read('privateKeyPath');
  if (path !== undefined) {
    return { setting: reader.label('privateKeyPath'), path, inlineSetting: inlineSetting(reader, 'privateKeyPath', 'privateKey') };
  }
  const inline = reader.read('privateKey');
  return inline === undefined ? undefined : { setting: reader.label('privateKey'), inline };
}

/** The public key setting: one path, a comma-separated list, or (as an option) an array with optional kids. */
function publicKeySources(reader: SettingsReader): PublicKeySource[] {
  refuseBoth(reader, 'publicKeyPath', 'publicKey');
  const inline = reader.read('publicKey');
  if (inline !== undefined) {
    return [{ setting: reader.label('publicKey'), inline }];
  }
  const value = reader.raw('publicKeyPath');
  const setting = reader.label('publicKeyPath');
  if (value === undefined) {
    return [];
  }
  const items: unknown[] =
    typeof value === 'string'
      ? value
          .split(',')
          .map((item) => item.trim())
          .filter(Boolean)
      : Array.isArray(value)
        ? value
        : [value];
  if (typeof value === 'string' && items.length === 0) {
    throw invalid(setting, value, 'at least one path, or no value at all');
  }
  const hint = inlineSetting(reader, 'publicKeyPath', 'publicKey');
  return items.map((item) => {
    if (typeof item === 'string') {
      return { setting, path: item, inlineSetting: hint };
    }
    const entry = item as { path?: unknown; kid?: unknown };
    if (typeof entry !== 'object' || entry === null || typeof entry.path !== 'string' || (entry.kid !== undefined && typeof entry.kid !== 'string')) {
      throw invalid(setting, item, 'paths, or { path: string, kid?: string } objects');
    }
    return { setting, path: entry.path, inlineSetting: hint, kid: entry.kid };
  });
}

/** Where the local keys come from: read now, and again on every reload. */
export function keySetSources(reader: SettingsReader): KeySetSources {
  return {
    privateKey: privateKeySource(reader),
    passphrase: { setting: reader.label('privateKeyPassphrase'), value: reader.read('privateKeyPassphrase') },
    publicKeys: publicKeySources(reader),
  };
}

/**
 * The local keys. Without any, the refusal also names a `*_FILE` variable of the environment that meant a `*_PATH`
 * one: the likely reason no key was found.
 */
export async function loadLocalKeys(keySources: KeySetSources): Promise<KeySet> {
  try {
    return await loadKeySet(keySources);
  } catch (error) {
    const hints = error instanceof Rs256AuthError && error.code === 'RS256_NO_KEY' ? fileVariableHints(Object.keys(process.env).sort()) : '';
    if (hints === '') throw error;
    throw new Rs256AuthError('RS256_NO_KEY', `${(error as Rs256AuthError).message} ${hints.trim()}`, { cause: error });
  }
}

/** Where keys come from an issuer, local keys are a mistake: a resource server signs nothing. */
export function refuseLocalKeys(setting: string, keySources: KeySetSources): void {
  if (keySources.privateKey || keySources.publicKeys.length > 0) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${setting} is set together with local keys: a resource server verifies with the issuer's keys and signs nothing. ` +
        `Unset ${SETTINGS.privateKeyPath.env}/${SETTINGS.publicKeyPath.env} (and ${SETTINGS.privateKey.env}/${SETTINGS.publicKey.env}), or unset ${setting}.`,
    );
  }
}

/**
 * `watchKeyFiles` on, where no key is read from a file (inline keys, fetched keys), would watch nothing: a mistake,
 * since the keys meant to reload by themselves never would. An `issuerResolver` may still name key files, so it
 * counts as having some.
 */
export function watchKeyFiles(reader: SettingsReader, keySources: KeySetSources, trustedIssuers: Rs256AuthConfig['trustedIssuers']): boolean {
  const watch = reader.read('watchKeyFiles');
  const hasFiles = trustedIssuers
    ? trustedIssuers.resolver !== undefined ||
      trustedIssuers.list.some((trusted) => 'sources' in trusted.keys && keyPaths(trusted.keys.sources).length > 0)
    : keyPaths(keySources).length > 0;
  if (watch && !hasFiles) {
    const setting = reader.label('watchKeyFiles');
    const where = trustedIssuers
      ? `no issuer of ${reader.label('trustedIssuers')} has a publicKeyPath and there is no keys.issuerResolver option`
      : `the keys are given inline or fetched (neither ${SETTINGS.privateKeyPath.env} nor ${SETTINGS.publicKeyPath.env} is set, nor the keys.privateKeyPath or keys.publicKeyPath option)`;
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${setting} is true, but no key is read from a file: ${where}; read the keys from files, or unset ${setting}.`,
    );
  }
  return watch;
}
