import { createPublicKey, hash, constants, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { rsaKeyProblem } from '../keys/key-loader.js';
import type { DpopAlgorithm } from '../options/dpop-config.js';

/** JWK members that only a private (or symmetric) key has (RFC 7517 §9.2, RFC 7518 §6.2.2, §6.3.2, §6.4.1). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

/** The members RFC 7638 §3.2 hashes, per key type, in lexicographic order. */
const THUMBPRINT_MEMBERS: Readonly<Record<string, readonly string[]>> = {
  RSA: ['e', 'kty', 'n'],
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
};

/** What signing with an algorithm needs: the key type, the curve where one is fixed, the digest and the padding. */
interface AlgorithmShape {
  readonly kty: 'RSA' | 'EC' | 'OKP';
  readonly curves?: readonly string[];
  readonly digest: string | null;
  readonly pss?: true;
}

const SHAPES: Readonly<Record<DpopAlgorithm, AlgorithmShape>> = {
  ES256: { kty: 'EC', curves: ['P-256'], digest: 'sha256' },
  ES384: { kty: 'EC', curves: ['P-384'], digest: 'sha384' },
  ES512: { kty: 'EC', curves: ['P-521'], digest: 'sha512' },
  RS256: { kty: 'RSA', digest: 'sha256' },
  RS384: { kty: 'RSA', digest: 'sha384' },
  RS512: { kty: 'RSA', digest: 'sha512' },
  PS256: { kty: 'RSA', digest: 'sha256', pss: true },
  PS384: { kty: 'RSA', digest: 'sha384', pss: true },
  PS512: { kty: 'RSA', digest: 'sha512', pss: true },
  EdDSA: { kty: 'OKP', curves: ['Ed25519', 'Ed448'], digest: null },
};

/**
 * RSA proof keys longer than this are refused: verifying costs about the square of the modulus length, and a proof
 * is checked before anything proves who sent it (on refresh, without credentials).
 */
const MAX_RSA_BITS = 8192;

/** A proof key, checked: the key object that verifies, and its RFC 7638 thumbprint (what `cnf.jkt` holds). */
export interface ProofKey {
  readonly key: KeyObject;
  readonly thumbprint: string;
}

/**
 * The public key of a proof's `jwk` header, fit for `alg`; a string saying why not otherwise (a private member, a
 * key type or curve that does not go with `alg`, an RSA key too short or too long or with an unfit exponent, a JWK
 * Node cannot read).
 */
export function proofKeyOf(jwk: unknown, alg: DpopAlgorithm): ProofKey | string {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) {
    return 'no jwk header';
  }
  const members = jwk as Record<string, unknown>;
  if (PRIVATE_MEMBERS.some((member) => member in members)) {
    return 'jwk header holds a private or symmetric key';
  }
  const shape = SHAPES[alg];
  if (members.kty !== shape.kty || (shape.curves && !shape.curves.includes(members.crv as string))) {
    return `jwk header is not a key for ${alg}`;
  }
  const hashed = THUMBPRINT_MEMBERS[shape.kty];
  if (!hashed.every((member) => typeof members[member] === 'string')) {
    return 'jwk header lacks a required member';
  }
  const canonical = canonicalJwk(members, hashed);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: JSON.parse(canonical) as JsonWebKey, format: 'jwk' });
  } catch {
    return 'jwk header is not a valid public key';
  }
  if (shape.kty === 'RSA') {
    // The rule start-up holds access-token keys to (at least 2048 bits, an odd exponent from 65537 to 2^256): a huge
    // exponent makes each verification many times dearer.
    const problem = rsaKeyProblem(key);
    if (problem) {
      return `jwk header: ${problem.reason}`;
    }
    if ((key.asymmetricKeyDetails?.modulusLength ?? 0) > MAX_RSA_BITS) {
      return `jwk header is an RSA key longer than ${MAX_RSA_BITS} bits`;
    }
  }
  // RFC 7638 §3: the thumbprint is the SHA-256 of that same canonical JSON.
  return { key, thumbprint: hash('sha256', canonical, 'base64url') };
}

/** The members RFC 7638 §3.2 hashes, in its order, as JSON without white space (§3.3: the strings need no escaping). */
function canonicalJwk(jwk: Readonly<Record<string, unknown>>, hashed: readonly string[]): string {
  return JSON.stringify(Object.fromEntries(hashed.map((member) => [member, jwk[member]])));
}

/** Whether `signature` over `signed` verifies with the proof key under `alg`. */
export function verifiesWith(alg: DpopAlgorithm, key: KeyObject, signed: Buffer, signature: Buffer): boolean {
  const shape = SHAPES[alg];
  try {
    return verify(
      shape.digest,
      signed,
      shape.kty === 'EC'
        ? { key, dsaEncoding: 'ieee-p1363' }
        : shape.pss
          ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: constants.RSA_PSS_SALTLEN_DIGEST }
          : key,
      signature,
    );
  } catch {
    return false;
  }
}
