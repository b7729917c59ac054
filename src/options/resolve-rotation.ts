import { resolve } from 'node:path';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import type { KeySetSources } from '../keys/key-set.loader.js';
import { ROTATION_MARGIN_SECONDS, rotationTimes } from './rotation-times.js';
import type { SettingsReader } from './from-env.js';
import type { KeyRotationConfig, Rs256AuthConfig } from './rs256-auth-config.js';
import { SETTINGS } from './settings.js';

/** Encrypts every rotated private key: short ones fall to a dictionary within the keys' lifetime. */
const MIN_PASSPHRASE_LENGTH = 16;

const refuse = (message: string): Rs256AuthError => new Rs256AuthError('RS256_CONFIG_INVALID', message);

/** What rotation needs of the rest of the configuration, resolved first. */
type Resolved = Pick<Rs256AuthConfig, 'jwks' | 'sessions' | 'expiresIn' | 'clockTolerance' | 'remoteJwks' | 'trustedIssuers'> & {
  keySources: KeySetSources;
};

/**
 * Automatic key rotation (`JWT_KEY_ROTATION`), or `undefined` when it is off. Its own settings are refused without
 * it; with it, the keys come from the rotation store only, verifiers learn them from the JWK Set, and the interval
 * must leave room for the rule (a key published one JWK Set cache lifetime plus the margin before it signs).
 */
export function resolveKeyRotation(reader: SettingsReader, resolved: Resolved): KeyRotationConfig | undefined {
  const interval = reader.read('keyRotation');
  const setting = reader.label('keyRotation');
  if (interval === undefined) {
    return undefined;
  }
  if (resolved.remoteJwks || resolved.trustedIssuers) {
    throw refuse(`${setting} is set, but this application verifies with another issuer's keys: only the issuer rotates its keys; unset ${setting}.`);
  }
  const { privateKey, publicKeys } = resolved.keySources;
  const local = privateKey?.setting ?? publicKeys[0]?.setting;
  if (local !== undefined) {
    throw refuse(`${setting} is set together with ${local}: with rotation the keys are created and kept by the module; unset ${local}.`);
  }
  if (!resolved.jwks) {
    throw refuse(
      `${setting} is set, but the JWK Set endpoint is off: verifiers learn rotated keys from it; turn it on (${SETTINGS.jwksEnabled.env}=true, or the ${SETTINGS.jwksEnabled.option} option).`,
    );
  }
  const times = rotationTimes(interval, resolved.jwks.maxAge, resolved.expiresIn, resolved.clockTolerance);
  if (times.intervalMs <= times.leadMs) {
    throw refuse(
      `${setting} is ${interval} s, not more than ${reader.label('jwksMaxAge')} (${resolved.jwks.maxAge} s) plus the ${ROTATION_MARGIN_SECONDS} s margin: ` +
        'each key is published that long before it signs; lengthen the interval or shorten the JWK Set cache lifetime.',
    );
  }
  return { times, intervalSeconds: interval, store: resolveStore(reader, resolved.sessions), passphrase: resolvePassphrase(reader) };
}

/**
 * Whether rotation is on, read before any key is loaded (with rotation there is none to load); its own settings
 * without it are refused.
 */
export function rotationOn(reader: SettingsReader): boolean {
  if (reader.has('keyRotation')) return true;
  const stray = (['keyRotationStore', 'keyRotationPassphrase'] as const).find((key) => reader.has(key));
  if (stray) {
    const setting = reader.label('keyRotation');
    throw refuse(`${reader.label(stray)} is set but ${setting} is not; set ${setting} (e.g. 30d) to rotate keys, or unset ${reader.label(stray)}.`);
  }
  return false;
}

function resolveStore(reader: SettingsReader, sessions: Rs256AuthConfig['sessions']): KeyRotationConfig['store'] {
  const store = reader.read('keyRotationStore')?.trim();
  const setting = reader.label('keyRotationStore');
  if (store === undefined || store === '') {
    throw refuse(
      `${reader.label('keyRotation')} is set but ${setting} is not; expected "redis" (the session store's Redis) or the path of a folder every instance shares.`,
    );
  }
  if (store !== 'redis') {
    return { kind: 'folder', path: resolve(store) };
  }
  if (!sessions?.redis) {
    throw refuse(
      `${setting} is "redis", the session store's Redis, but sessions are not stored in Redis; set ${SETTINGS.sessions.env}=true and ${SETTINGS.sessionStore.env}=redis, or give ${setting} a shared folder.`,
    );
  }
  return { kind: 'redis', redis: sessions.redis };
}

function resolvePassphrase(reader: SettingsReader): string {
  const passphrase = reader.read('keyRotationPassphrase');
  const setting = reader.label('keyRotationPassphrase');
  if (passphrase === undefined || passphrase.length < MIN_PASSPHRASE_LENGTH) {
    throw refuse(
      `${setting} is ${passphrase === undefined ? 'not set' : 'too short'}; expected a passphrase of at least ${MIN_PASSPHRASE_LENGTH} characters that encrypts the rotated private keys at rest, the same on every instance.`,
    );
  }
  return passphrase;
}
