import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';

/** Smallest RSA modulus accepted, in bits (NIST SP 800-131A; RFC 7518 §3.3 requires at least 2048). */
export const MIN_RSA_BITS = 2048;

/**
 * Where a key comes from: a file or an inline PEM, with the name of the setting it came through (an environment
 * variable or a module option), so every error can point at it.
 */
export type KeySource =
  | { setting: string; path: string }
  | { setting: string; inline: string };

/** Describes a source for error messages without ever quoting its content. */
export function describeKeySource(source: KeySource): string {
  return 'path' in source ? `${source.setting} ("${source.path}")` : source.setting;
}

function readPem(source: KeySource, expected: string): string {
  if ('inline' in source) {
    return decodeInlinePem(source, expected);
  }
  let text: string;
  try {
    text = readFileSync(source.path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new Rs256AuthError(
        'RS256_KEY_NOT_FOUND',
        `${describeKeySource(source)}: no such file; expected a PEM file holding ${expected}.`,
        { cause: error },
      );
    }
    throw new Rs256AuthError(
      'RS256_KEY_UNREADABLE',
      `${describeKeySource(source)}: the file cannot be read (${code ?? 'unknown error'}); expected a readable PEM file holding ${expected}.`,
      { cause: error },
    );
  }
  if (!text.includes('-----BEGIN ')) {
    throw notPem(source, expected);
  }
  return text;
}

/**
 * Platforms that pass secrets as variables often flatten newlines to a literal `\n` or base64-encode the whole
 * PEM; both are undone here so users need no shell tricks.
 */
function decodeInlinePem(source: { setting: string; inline: string }, expected: string): string {
  const value = source.inline.trim();
  if (value.includes('-----BEGIN ')) {
    return value.replace(/\\r/g, '').replace(/\\n/g, '\n');
  }
  if (/^[A-Za-z0-9+/=\s]+$/.test(value)) {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    if (decoded.includes('-----BEGIN ')) {
      return decoded;
    }
  }
  throw notPem(source, expected);
}

function notPem(source: KeySource, expected: string): Rs256AuthError {
  return new Rs256AuthError(
    'RS256_KEY_NOT_PEM',
    `${describeKeySource(source)}: not a PEM key; expected ${expected} ("-----BEGIN ...-----"). ` +
      'A shared secret (HS256) cannot be used: RS256 needs an RSA key pair.',
  );
}

function pemLabel(pem: string): string {
  return /-----BEGIN ([A-Z0-9 ]+)-----/.exec(pem)?.[1] ?? '';
}

/**
 * Public exponents accepted (FIPS 186-5 §A.1.1): odd, at least 65537 and below 2^256. With e = 1 a "signature"
 * is the padded digest itself, so anyone forges tokens; a huge exponent makes every junk token cost many times a
 * normal check.
 */
const MIN_RSA_EXPONENT = 65537n;
const MAX_RSA_EXPONENT = 1n << 256n;

/** A reason a key cannot verify RS256 signatures, with the code it is reported under. */
export interface RsaKeyProblem {
  code: 'RS256_KEY_NOT_RSA' | 'RS256_KEY_TOO_SMALL' | 'RS256_KEY_EXPONENT_INVALID';
  reason: string;
}

/**
 * Why a key is unfit for RS256 (not RSA, modulus under 2048 bits, public exponent outside FIPS 186-5), or
 * `undefined` if it is fit. The one check behind local key files and remote JWK Set entries alike.
 */
export function rsaKeyProblem(key: KeyObject): RsaKeyProblem | undefined {
  if (key.asymmetricKeyType !== 'rsa') {
    return { code: 'RS256_KEY_NOT_RSA', reason: `the key is ${key.asymmetricKeyType ?? key.type}, not RSA; RS256 needs an RSA key` };
  }
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_RSA_BITS) {
    return { code: 'RS256_KEY_TOO_SMALL', reason: `the RSA modulus is ${bits} bits; at least ${MIN_RSA_BITS} bits are required` };
  }
  const exponent = key.asymmetricKeyDetails?.publicExponent ?? 0n;
  if (exponent % 2n === 0n || exponent < MIN_RSA_EXPONENT || exponent >= MAX_RSA_EXPONENT) {
    const shown = exponent < MAX_RSA_EXPONENT ? String(exponent) : `a ${exponent.toString(2).length}-bit number`;
    return {
      code: 'RS256_KEY_EXPONENT_INVALID',
      reason: `the RSA public exponent is ${shown}; expected an odd exponent from 65537 to 2^256 (FIPS 186-5)`,
    };
  }
  return undefined;
}

function checkRsa(key: KeyObject, source: KeySource): void {
  const problem = rsaKeyProblem(key);
  if (problem) {
    throw new Rs256AuthError(problem.code, `${describeKeySource(source)}: ${problem.reason}.`);
  }
}

/**
 * Reads, parses and checks an RSA private key. The passphrase is needed only for an encrypted key.
 * @throws Rs256AuthError naming the setting and path on every failure
 */
export function loadPrivateKey(source: KeySource, passphrase: { setting: string; value?: string }): KeyObject {
  const expected = 'an RSA private key (PKCS#1 or PKCS#8)';
  const pem = readPem(source, expected);
  const label = pemLabel(pem);
  if (label.includes('PUBLIC KEY') || label === 'CERTIFICATE') {
    throw new Rs256AuthError(
      'RS256_PUBLIC_KEY_AS_PRIVATE',
      `${describeKeySource(source)}: holds a public key (${label}) where the private key belongs; ` +
        'put the private key here and the public key in the public key setting.',
    );
  }
  const encrypted = label === 'ENCRYPTED PRIVATE KEY' || pem.includes('Proc-Type: 4,ENCRYPTED');
  if (encrypted && !passphrase.value) {
    throw new Rs256AuthError(
      'RS256_PASSPHRASE_REQUIRED',
      `${describeKeySource(source)}: the private key is encrypted; set ${passphrase.setting} to its passphrase.`,
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem', passphrase: encrypted ? passphrase.value : undefined });
  } catch (error) {
    if (encrypted) {
      throw new Rs256AuthError(
        'RS256_PASSPHRASE_INVALID',
        `${describeKeySource(source)}: the private key could not be decrypted; check ${passphrase.setting}.`,
        { cause: error },
      );
    }
    throw new Rs256AuthError(
      'RS256_KEY_NOT_PEM',
      `${describeKeySource(source)}: could not be parsed; expected ${expected} in PEM.`,
      { cause: error },
    );
  }
  checkRsa(key, source);
  return key;
}

/**
 * Reads, parses and checks an RSA public key (SPKI, PKCS#1, or an X.509 certificate). A private key here is
 * refused rather than silently reduced to its public half: it means the private key is being shipped to places
 * that should only verify.
 * @throws Rs256AuthError naming the setting and path on every failure
 */
export function loadPublicKey(source: KeySource): KeyObject {
  const expected = 'an RSA public key (SPKI or PKCS#1)';
  const pem = readPem(source, expected);
  if (pemLabel(pem).includes('PRIVATE KEY')) {
    throw new Rs256AuthError(
      'RS256_PRIVATE_KEY_AS_PUBLIC',
      `${describeKeySource(source)}: holds a private key where the public key belongs; ` +
        'give the public key (e.g. "openssl pkey -in private.pem -pubout") and keep the private key out of verifiers.',
    );
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new Rs256AuthError('RS256_KEY_NOT_PEM', `${describeKeySource(source)}: could not be parsed; expected ${expected} in PEM.`, {
      cause: error,
    });
  }
  checkRsa(key, source);
  return key;
}

/** The public half of a private key, as its own `KeyObject`. */
export function publicKeyOf(privateKey: KeyObject): KeyObject {
  return createPublicKey(privateKey);
}

/** RFC 7638 JWK thumbprint (SHA-256, base64url) of an RSA public key: the `kid` of that key. */
export function rsaThumbprint(publicKey: KeyObject): string {
  const { e, n } = publicKey.export({ format: 'jwk' });
  // RFC 7638 §3.2: required members only, lexicographic order, no white space.
  return createHash('sha256').update(`{"e":"${e}","kty":"RSA","n":"${n}"}`).digest('base64url');
}

