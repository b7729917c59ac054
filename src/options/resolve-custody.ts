import { readFile } from 'node:fs/promises';
import type { CustodySettings } from '../custody/open-custody.js';
import type { Pkcs11Settings } from '../custody/pkcs11-token.js';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import type { Rs256Signer } from '../custody/signer.interface.js';
import type { SettingsReader } from './from-env.js';
import { invalid } from './parse.js';
import { SETTINGS, type SettingKey, type SettingValue } from './settings.js';

const PKCS11_DETAILS = ['pkcs11TokenLabel', 'pkcs11Slot', 'pkcs11KeyLabel', 'pkcs11KeyId', 'pkcs11Pin', 'pkcs11PinPath'] as const;

/** Largest PIN file read: a PIN is a few characters, so anything larger is the wrong file. */
const MAX_PIN_FILE_BYTES = 1024;

/** Exactly one of two settings that say the same thing two ways. */
function oneOf<K extends SettingKey>(reader: SettingsReader, first: K, second: K): K {
  const given = [first, second].filter((key) => reader.has(key));
  if (given.length !== 1) {
    const problem = given.length === 0 ? 'neither is set' : 'both are set';
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${reader.label('pkcs11Module')} is set, so set one of ${reader.label(first)} and ${reader.label(second)}: ${problem}.`,
    );
  }
  return given[0];
}

/** The value of a setting found set (by `oneOf`, or `pkcs11Module` itself). */
function given<K extends SettingKey>(reader: SettingsReader, key: K): NonNullable<SettingValue<K>> {
  const value = reader.read(key);
  if (value === undefined || value === null) throw new Rs256AuthError('RS256_CONFIG_INVALID', `${reader.label(key)} is set but empty.`);
  return value;
}

/** The PIN file's content without its trailing newline; neither the content nor its length is ever quoted. */
async function readPin(setting: string, path: string): Promise<string> {
  let content: Buffer;
  try {
    content = await readFile(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new Rs256AuthError('RS256_CONFIG_INVALID', `${setting} ("${path}"): the PIN file cannot be read (${code}).`, { cause: error });
  }
  const pin = content.toString('utf8').replace(/\r?\n$/, '');
  if (content.length > MAX_PIN_FILE_BYTES || pin.length === 0 || /[\r\n]/.test(pin)) {
    throw new Rs256AuthError('RS256_CONFIG_INVALID', `${setting} ("${path}"): expected a file holding the PIN alone, on one line.`);
  }
  return pin;
}

async function pkcs11Settings(reader: SettingsReader): Promise<Pkcs11Settings> {
  const tokenBy = oneOf(reader, 'pkcs11TokenLabel', 'pkcs11Slot');
  const keyBy = oneOf(reader, 'pkcs11KeyLabel', 'pkcs11KeyId');
  const pinBy = oneOf(reader, 'pkcs11Pin', 'pkcs11PinPath');
  const keyId = reader.read('pkcs11KeyId');
  if (keyId !== undefined && !/^([0-9a-f]{2})+$/i.test(keyId)) {
    throw invalid(reader.label('pkcs11KeyId'), keyId, "the key's CKA_ID in hexadecimal, such as '01' or 'a1b2'");
  }
  const pinPath = reader.read('pkcs11PinPath');
  return {
    module: { setting: reader.label('pkcs11Module'), path: given(reader, 'pkcs11Module') },
    token:
      tokenBy === 'pkcs11Slot'
        ? { setting: reader.label('pkcs11Slot'), slot: given(reader, 'pkcs11Slot') }
        : { setting: reader.label('pkcs11TokenLabel'), label: given(reader, 'pkcs11TokenLabel') },
    key:
      keyBy === 'pkcs11KeyId'
        ? { setting: reader.label('pkcs11KeyId'), id: given(reader, 'pkcs11KeyId') }
        : { setting: reader.label('pkcs11KeyLabel'), label: given(reader, 'pkcs11KeyLabel') },
    pin: {
      setting: reader.label(pinBy),
      value: pinPath === undefined ? given(reader, 'pkcs11Pin') : await readPin(reader.label('pkcs11PinPath'), pinPath),
    },
  };
}

/**
 * Where the signing key lives if not in this process: an HSM (`JWT_PKCS11_*`, the `keys.pkcs11` options) or a KMS (the
 * `keys.signer` option); `undefined` for a private key (or none). A key in custody excludes a private key, the other
 * custody, and keys fetched from an issuer (a resource server signs nothing).
 * @throws Rs256AuthError naming the settings at fault
 */
export async function resolveCustody(reader: SettingsReader, signer: Rs256Signer | undefined): Promise<CustodySettings | undefined> {
  const hsm = reader.has('pkcs11Module');
  if (!hsm) {
    const stray = PKCS11_DETAILS.find((key) => reader.has(key));
    if (stray !== undefined) {
      throw new Rs256AuthError(
        'RS256_CONFIG_INVALID',
        `${reader.label(stray)} is set but ${SETTINGS.pkcs11Module.env} (${SETTINGS.pkcs11Module.option} option) is not; set it, or unset ${reader.label(stray)}.`,
      );
    }
  }
  if (!hsm && signer === undefined) {
    return undefined;
  }
  const custody = hsm ? reader.label('pkcs11Module') : 'keys.signer option';
  if (hsm && signer !== undefined) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${custody} and the keys.signer option are both set: the signing key lives in one place; keep one of them.`,
    );
  }
  const conflicting = (
    ['privateKeyPath', 'privateKey', 'privateKeyPassphrase', 'keyRotation', 'jwksUri', 'issuerUrl', 'trustedIssuers'] as const
  ).find((key) => reader.has(key));
  if (conflicting !== undefined) {
    const why = conflicting.startsWith('private')
      ? 'the signing key is in custody, so no private key is read'
      : conflicting === 'keyRotation'
        ? 'automatic rotation creates its own keys, while a key in custody never leaves the HSM or KMS (rotate it there)'
        : "a resource server verifies with the issuer's keys and signs nothing";
    throw new Rs256AuthError('RS256_CONFIG_INVALID', `${custody} is set together with ${reader.label(conflicting)}: ${why}; unset one of them.`);
  }
  if (signer !== undefined) {
    if (typeof signer !== 'object' || signer === null) {
      throw new Rs256AuthError('RS256_CONFIG_INVALID', 'keys.signer option: expected { sign(signingInput): Promise<Buffer>, publicKey, kid? }.');
    }
    return { signer, setting: custody };
  }
  return { pkcs11: await pkcs11Settings(reader) };
}
