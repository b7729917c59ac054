import { createHash, createPrivateKey, createPublicKey, type KeyObject } from 'node:crypto';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import { readKeyFile } from './key-file.reader.js';

/** Smallest RSA modulus accepted, in bits (NIST SP 800-131A; RFC 7518 §3.3 requires at least 2048). */
export const MIN_RSA_BITS = 2048;

/**
 * Longest value taken as a key path (4096, Linux's `PATH_MAX`). A longer value, or one holding a newline,
 * `-----BEGIN` or a base64-encoded PEM, is key material pasted into a path setting: it is refused without being
 * quoted or opened.
 */
const MAX_KEY_PATH_LENGTH = 4096;

/**
 * Where a key comes from: a file (with the setting meant for the same key inline, for hints) or an inline PEM,
 * with the name of the setting it came through (an environment variable or a module option), so every error can
 * point at it.
 */
export type KeyOrigin = { setting: string; path: string; inlineSetting: string } | { setting: string; inline: string };

/**
 * True for a "path" that is key material, never to be quoted or opened: a PEM (even flattened or
 * base64-encoded, as the inline settings accept it), or anything no path could be.
 */
function looksLikeKeyMaterial(path: string): boolean {
  return path.includes('-----BEGIN') || /[\r\n]/.test(path) || path.length > MAX_KEY_PATH_LENGTH || decodeBase64Pem(path) !== undefined;
}

/** A base64-encoded PEM, decoded; `undefined` for anything else. */
function decodeBase64Pem(value: string): string | undefined {
  if (!/^[A-Za-z0-9+/=\s]+$/.test(value)) {
    return undefined;
  }
  const decoded = Buffer.from(value, 'base64').toString('utf8');
  return decoded.includes('-----BEGIN ') ? decoded : undefined;
}

/**
 * Describes a source for error messages without ever quoting its content: an inline key by its setting alone, a
 * path by its setting and the path, unless the "path" looks like key material, which is never quoted.
 */
export function describeKeyOrigin(source: KeyOrigin): string {
  if (!('path' in source)) {
    return source.setting;
  }
  return looksLikeKeyMaterial(source.path)
    ? `${source.setting} (value not shown: it looks like key material)`
    : `${source.setting} ("${source.path}")`;
}

async function readPem(source: KeyOrigin, expected: string): Promise<string> {
  if ('inline' in source) {
    return decodeInlinePem(source, expected);
  }
  if (looksLikeKeyMaterial(source.path)) {
    // Neither opened nor quoted: the fs error would repeat the value, and so would any message naming it.
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${source.setting} holds what looks like a PEM key rather than a path (it contains "-----BEGIN", a line break or ` +
        `a base64-encoded PEM, or is longer than ${MAX_KEY_PATH_LENGTH} characters); give the key inline in ${source.inlineSetting}, ` +
        "or its file's path here.",
    );
  }
  const text = await readKeyFile({ path: source.path, described: describeKeyOrigin(source), expected });
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
  const decoded = decodeBase64Pem(value);
  if (decoded === undefined) {
    throw notPem(source, expected);
  }
  return decoded;
}

function notPem(source: KeyOrigin, expected: string): Rs256AuthError {
  return new Rs256AuthError(
    'RS256_KEY_NOT_PEM',
    `${describeKeyOrigin(source)}: not a PEM key; expected ${expected} ("-----BEGIN ...-----"). ` +
      'A shared secret (HS256) cannot be used: RS256 needs an RSA key pair.',
  );
}

/**
 * The PEM blocks of a text, each with its label, in order. Every `-----BEGIN` line must be closed by its
 * `-----END` line; text between blocks (such as openssl's "Bag Attributes") is ignored.
 * @throws Rs256AuthError `RS256_KEY_NOT_PEM` when there is no block or one is not closed
 */
function pemBlocks(text: string, source: KeyOrigin, expected: string): { label: string; pem: string }[] {
  const incomplete = (): Rs256AuthError =>
    new Rs256AuthError(
      'RS256_KEY_NOT_PEM',
      `${describeKeyOrigin(source)}: not complete PEM (every "-----BEGIN" line needs its "-----END" line); expected ${expected} in PEM.`,
    );
  // One linear pass over the armour lines, paired in order: no backtracking, whatever the text.
  const lines = [...text.matchAll(/-----(BEGIN|END) ([^\r\n-]*)-----/g)];
  const blocks: { label: string; pem: string }[] = [];
  for (let at = 0; at < lines.length; at += 2) {
    const [begin, end] = [lines[at], lines[at + 1]];
    if (begin[1] !== 'BEGIN' || end?.[1] !== 'END' || end[2] !== begin[2]) {
      throw incomplete();
    }
    blocks.push({ label: begin[2], pem: text.slice(begin.index, end.index + end[0].length) });
  }
  if (blocks.length === 0) {
    throw incomplete();
  }
  return blocks;
}

function severalBlocks(source: KeyOrigin, labels: string[], advice: string): Rs256AuthError {
  return new Rs256AuthError(
    'RS256_KEY_AMBIGUOUS',
    `${describeKeyOrigin(source)}: holds ${labels.length} PEM blocks (${labels.join(', ')}); expected exactly one. ${advice}`,
  );
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

function checkRsa(key: KeyObject, source: KeyOrigin): void {
  const problem = rsaKeyProblem(key);
  if (problem) {
    throw new Rs256AuthError(problem.code, `${describeKeyOrigin(source)}: ${problem.reason}.`);
  }
}

/**
 * Reads, parses and checks an RSA private key. The source must hold exactly one PEM block, the private key: a
 * second key would leave it open which one signs, and a certificate or public key beside it is not read, so it is
 * refused rather than silently ignored. The passphrase is for an encrypted key only; one given for an unencrypted
 * key is refused, as it means the key in place is not the one intended (or was stored decrypted).
 * @throws Rs256AuthError naming the setting and path on every failure
 */
export async function loadPrivateKey(source: KeyOrigin, passphrase: { setting: string; value?: string }): Promise<KeyObject> {
  const expected = 'an RSA private key (PKCS#1 or PKCS#8)';
  const blocks = pemBlocks(await readPem(source, expected), source, expected);
  if (blocks.length > 1) {
    throw severalBlocks(
      source,
      blocks.map(({ label }) => label),
      'Keep only the private key in this file; public keys and certificates belong in the public key setting.',
    );
  }
  const [{ label, pem }] = blocks;
  if (label.includes('PUBLIC KEY') || label === 'CERTIFICATE') {
    throw new Rs256AuthError(
      'RS256_PUBLIC_KEY_AS_PRIVATE',
      `${describeKeyOrigin(source)}: holds a public key (${label}) where the private key belongs; ` +
        'put the private key here and the public key in the public key setting.',
    );
  }
  const encrypted = label === 'ENCRYPTED PRIVATE KEY' || pem.includes('Proc-Type: 4,ENCRYPTED');
  if (encrypted && !passphrase.value) {
    throw new Rs256AuthError(
      'RS256_PASSPHRASE_REQUIRED',
      `${describeKeyOrigin(source)}: the private key is encrypted; set ${passphrase.setting} to its passphrase.`,
    );
  }
  if (!encrypted && passphrase.value) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${passphrase.setting} is set, but the private key in ${describeKeyOrigin(source)} is not encrypted; ` +
        `remove ${passphrase.setting}, or give the encrypted key.`,
    );
  }
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem', passphrase: encrypted ? passphrase.value : undefined });
  } catch (error) {
    if (encrypted) {
      throw new Rs256AuthError(
        'RS256_PASSPHRASE_INVALID',
        `${describeKeyOrigin(source)}: the private key could not be decrypted; check ${passphrase.setting}.`,
        { cause: error },
      );
    }
    throw new Rs256AuthError('RS256_KEY_NOT_PEM', `${describeKeyOrigin(source)}: could not be parsed; expected ${expected} in PEM.`, {
      cause: error,
    });
  }
  checkRsa(key, source);
  return key;
}

/**
 * Reads, parses and checks an RSA public key (SPKI, PKCS#1, or an X.509 certificate). Every PEM block is
 * inspected: a private key anywhere in the source (say `cat public.pem private.pem > keys.pem`) is refused rather
 * than reduced to its public half, as it means the private key is being shipped to places that should only
 * verify. A source holds exactly one public key; several keys go in a folder or a list, one file each, so a
 * certificate chain never makes its CA's key a token verifier.
 * @throws Rs256AuthError naming the setting and path on every failure
 */
export async function loadPublicKey(source: KeyOrigin): Promise<KeyObject> {
  const expected = 'an RSA public key (SPKI or PKCS#1)';
  const text = await readPem(source, expected);
  // Before anything else, and over every BEGIN line, closed or not: no private key passes, whatever surrounds it.
  if (/-----BEGIN [^\r\n-]*PRIVATE KEY-----/.test(text)) {
    throw new Rs256AuthError(
      'RS256_PRIVATE_KEY_AS_PUBLIC',
      `${describeKeyOrigin(source)}: holds a private key where the public key belongs; ` +
        'give the public key (e.g. "openssl pkey -in private.pem -pubout") and keep the private key out of verifiers.',
    );
  }
  const blocks = pemBlocks(text, source, expected);
  if (blocks.length > 1) {
    throw severalBlocks(
      source,
      blocks.map(({ label }) => label),
      'Put each public key in its own file, in a folder or a comma-separated list.',
    );
  }
  let key: KeyObject;
  try {
    key = createPublicKey({ key: blocks[0].pem, format: 'pem' });
  } catch (error) {
    throw new Rs256AuthError('RS256_KEY_NOT_PEM', `${describeKeyOrigin(source)}: could not be parsed; expected ${expected} in PEM.`, {
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
