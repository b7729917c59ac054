import { createPublicKey, generateKeyPair, randomBytes, verify, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { Rs256AuthError, messageOf } from '../errors/rs256-auth.error.js';
import { rsaKeyProblem } from '../keys/key-loader.js';
import { Pkcs11Token, type Pkcs11Settings } from './pkcs11-token.js';
import type { Rs256Signer } from './signer.interface.js';
import type { SigningCustody } from '../keys/signing-custody.js';

/** Where the signing key lives when the process does not hold it: an HSM, or a KMS behind the `keys.signer` option. */
export type CustodySettings = { readonly pkcs11: Pkcs11Settings } | { readonly signer: Rs256Signer; readonly setting: string };

/**
 * Opens the custody and checks its key as key files are checked: the public half is RSA, at least 2048 bits, with a
 * valid exponent, and a probe signed in custody verifies with it, so a key paired with the wrong public key (or a
 * signer answering with another key, or another algorithm) stops start-up instead of issuing tokens no one accepts.
 * @throws Rs256AuthError naming the setting at fault
 */
export async function openCustody(settings: CustodySettings): Promise<SigningCustody> {
  if ('pkcs11' in settings) {
    const token = await Pkcs11Token.open(settings.pkcs11);
    try {
      return await checked(settings.pkcs11.key.setting, {
        where: token.where,
        publicKey: token.publicKey,
        sign: (input) => token.sign(input),
        signSync: (input) => token.signSync(input),
        close: () => token.close(),
      });
    } catch (error) {
      await token.close();
      throw error;
    }
  }
  const { signer, setting } = settings;
  return checked(setting, {
    where: 'the KMS behind the keys.signer option',
    publicKey: signerPublicKey(signer, setting),
    kid: signerKid(signer, setting),
    sign: async (input) => asBuffer(await signer.sign(input)),
    close: async () => undefined,
  });
}

/** SDKs answer with a Uint8Array (AWS, Google Cloud, Azure) as often as with a Buffer: both are taken, as is. */
function asBuffer(signature: unknown): Buffer {
  if (signature instanceof Uint8Array) {
    return Buffer.isBuffer(signature) ? signature : Buffer.from(signature.buffer, signature.byteOffset, signature.byteLength);
  }
  throw new Rs256AuthError(
    'RS256_SIGNING_FAILED',
    `The keys.signer option's sign returned ${signature === null ? 'null' : typeof signature}; expected the signature as a Buffer.`,
  );
}

function signerPublicKey(signer: Rs256Signer, setting: string): KeyObject {
  if (typeof signer.sign !== 'function') {
    throw new Rs256AuthError('RS256_CONFIG_INVALID', `${setting}: sign must be a function (signingInput: Buffer) => Promise<Buffer>.`);
  }
  const { publicKey } = signer;
  if (typeof publicKey === 'string') {
    try {
      return createPublicKey({ key: publicKey, format: 'pem' });
    } catch (error) {
      throw new Rs256AuthError(
        'RS256_KEY_NOT_PEM',
        `${setting}: publicKey could not be parsed; expected an RSA public key (SPKI or PKCS#1) in PEM.`,
        {
          cause: error,
        },
      );
    }
  }
  if (typeof publicKey !== 'object' || publicKey === null || (publicKey as KeyObject).type !== 'public') {
    throw new Rs256AuthError('RS256_CONFIG_INVALID', `${setting}: publicKey must be the public key, as a KeyObject or a PEM.`);
  }
  return publicKey;
}

function signerKid(signer: Rs256Signer, setting: string): string | undefined {
  if (signer.kid !== undefined && (typeof signer.kid !== 'string' || signer.kid.length === 0)) {
    throw new Rs256AuthError('RS256_CONFIG_INVALID', `${setting}: kid must be a non-empty string, or left out for the key's thumbprint.`);
  }
  return signer.kid;
}

/** The checks every custody passes, then the stand-in key jsonwebtoken signs with (see SigningCustody.standIn). */
async function checked(setting: string, custody: Omit<SigningCustody, 'standIn'>): Promise<SigningCustody> {
  const problem = rsaKeyProblem(custody.publicKey);
  if (problem) {
    throw new Rs256AuthError(problem.code, `${setting}: ${problem.reason}.`);
  }
  const probe = Buffer.from(`nestjs-rs256-auth start-up probe ${randomBytes(16).toString('hex')}`);
  let signature: Buffer;
  try {
    signature = await custody.sign(probe);
  } catch (error) {
    throw new Rs256AuthError('RS256_SIGNING_FAILED', `${setting}: signing a start-up probe failed: ${messageOf(error)}`, { cause: error });
  }
  if (!Buffer.isBuffer(signature) || !verify('sha256', probe, custody.publicKey, signature)) {
    throw new Rs256AuthError(
      'RS256_KEY_MISMATCH',
      `${setting}: a start-up probe signed by ${custody.where} does not verify with its public key (RS256: RSASSA-PKCS1-v1_5 with SHA-256); ` +
        'the key and the public key given for it are not a pair, or the signer uses another algorithm.',
    );
  }
  const { privateKey: standIn } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  return { ...custody, standIn };
}
