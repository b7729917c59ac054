import { hash } from 'node:crypto';
import { Rs256AuthError, type Rs256AuthErrorCode } from '../errors/rs256-auth.error.js';
import { DPOP_ALGORITHMS, type DpopAlgorithm } from '../options/dpop-config.js';
import { BoundedCache } from './bounded-cache.js';
import { proofKeyOf, verifiesWith, type ProofKey } from './proof-key.js';

/** Longest proof read: a proof with a 4096-bit RSA key is about 1.5 KB; anything far beyond is not a proof. */
export const MAX_PROOF_LENGTH = 8192;
/** Longest `jti` kept in the replay cache (it is hashed there, but a client has no reason to send more). */
const MAX_JTI_LENGTH = 256;

const SEGMENT = /^[A-Za-z0-9_-]+$/;

/**
 * Proof headers checked lately, as sent (base64url), with the key they carry: a client sends the same header (`typ`,
 * `alg`, `jwk`) with every proof, and importing its key (an EC key's point is checked to be on the curve) costs more
 * than verifying a signature with it. Only headers that passed every check are kept; oldest out first.
 */
const checkedHeaders = new BoundedCache<CheckedHeader>(1000, MAX_PROOF_LENGTH);
/**
 * The header checked last, tried before the cache (as the token verifier does with token headers): a busy client
 * sends its proofs in runs, and comparing two strings costs less than hashing one of a few hundred characters.
 */
let lastHeader: { readonly segment: string; readonly checked: CheckedHeader } | undefined;

interface CheckedHeader {
  readonly alg: DpopAlgorithm;
  readonly key: ProofKey;
}

/**
 * The algorithm and key of a proof header that passed the checks of RFC 9449 §4.3 (4 to 6), the segment being
 * base64url (a header seen before passed that test when it was first checked); throws otherwise.
 */
function checkedHeader(segment: string): CheckedHeader {
  if (lastHeader?.segment === segment) {
    return lastHeader.checked;
  }
  const known = checkedHeaders.get(segment);
  if (known !== undefined) {
    lastHeader = { segment, checked: known };
    return known;
  }
  const header = SEGMENT.test(segment) ? json(segment) : undefined;
  if (!header) {
    throw refused('RS256_DPOP_PROOF_INVALID', 'DPoP proof is not a signed JWT');
  }
  if (header.typ !== 'dpop+jwt') {
    throw refused('RS256_DPOP_PROOF_INVALID', 'DPoP proof typ is not dpop+jwt');
  }
  // RFC 7515 §4.1.11: an extension the proof says must be understood, and none is, makes the proof unusable.
  if (header.crit !== undefined) {
    throw refused('RS256_DPOP_PROOF_INVALID', 'DPoP proof has unsupported critical header parameters');
  }
  const alg = header.alg as DpopAlgorithm;
  if (typeof alg !== 'string' || !Object.hasOwn(ALGORITHM_NAMES, alg)) {
    throw refused('RS256_DPOP_PROOF_INVALID', 'DPoP proof algorithm not accepted');
  }
  const key = proofKeyOf(header.jwk, alg);
  if (typeof key === 'string') {
    throw refused('RS256_DPOP_PROOF_INVALID', `DPoP proof ${key}`);
  }
  const checked = { alg, key };
  checkedHeaders.set(segment, checked);
  lastHeader = { segment, checked };
  return checked;
}

/** What a proof is checked against: the request it came with, and the rules in force. */
export interface ProofExpectations {
  /** The request's method, as sent (RFC 9449 §4.3 check 8: compared exactly). */
  readonly method: string;
  /** The request's URL as the client addressed it, without query and fragment (see `targetUri`). */
  readonly url: string;
  /** The access token the request carries, whose hash `ath` must be; absent at a token endpoint. */
  readonly accessToken?: string;
  readonly algorithms: ReadonlySet<DpopAlgorithm>;
  /** Seconds a proof is accepted after its `iat`. */
  readonly maxAge: number;
  /** Seconds of clock difference allowed either way. */
  readonly leeway: number;
  /** Seconds since the epoch. */
  readonly now: number;
}

/** A proof that passed every check but the replay and nonce checks, which need state. */
export interface CheckedProof {
  /** RFC 7638 thumbprint of the proof key: what `cnf.jkt` of a bound token holds. */
  readonly jkt: string;
  readonly jti: string;
  readonly iat: number;
  readonly nonce?: string;
}

/** Every algorithm this module can check a proof with; the configured list is checked per call. */
const ALGORITHM_NAMES: Readonly<Record<string, true>> = Object.fromEntries(DPOP_ALGORITHMS.map((alg) => [alg, true]));

function refused(code: Rs256AuthErrorCode, message: string): Rs256AuthError {
  return new Rs256AuthError(code, message);
}

function json(segment: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** RFC 9449 §4.2 `ath`: base64url of the SHA-256 of the access token's ASCII. */
export function accessTokenHash(accessToken: string): string {
  return hash('sha256', accessToken, 'base64url');
}

/**
 * `htu` as RFC 9449 §4.3 check 9 compares it: scheme and host lower case, default port dropped, dot segments
 * removed (RFC 3986 §6.2.2 and §6.2.3, as WHATWG URL parsing does), no query or fragment; `undefined` when the
 * value is not an absolute http(s) URL.
 */
export function normalisedHtu(value: string): string | undefined {
  let normalised = normalisedUrls.get(value);
  if (normalised === undefined) {
    normalised = parsedHtu(value);
    normalisedUrls.set(value, normalised);
  }
  return normalised ?? undefined;
}

/**
 * URLs normalised lately, by the exact string given (`null`: not an absolute http(s) URL): a client names the same
 * few URLs in every proof, and a server is asked for the same few, and parsing one costs more than the rest of the
 * `htu` check. The answer for a string never changes, so a hit answers as a parse would.
 */
const normalisedUrls = new BoundedCache<string | null>(1000, 512);

function parsedHtu(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  return url.protocol === 'https:' || url.protocol === 'http:' ? url.origin + url.pathname : null;
}

/**
 * Checks a DPoP proof (RFC 9449 §4.3, checks 1 to 10 but for the nonce and `jti` replay): one JWT, `typ`
 * `dpop+jwt`, an allowed asymmetric `alg`, a public `jwk` that verifies the signature, `jti`, `htm` and `htu`
 * matching the request, `iat` within the window, and `ath` the hash of the access token when there is one.
 * @throws Rs256AuthError with an `RS256_DPOP_*` code naming the check that failed; its message is safe to send
 */
export function checkProof(proof: string, expected: ProofExpectations): CheckedProof {
  if (proof.length > MAX_PROOF_LENGTH) {
    throw refused('RS256_DPOP_PROOF_INVALID', 'DPoP proof too large');
  }
  // Exactly two dots, found by index rather than `split`, which would build an array and three strings per proof.
  const firstDot = proof.indexOf('.');
  const secondDot = proof.indexOf('.', firstDot + 1);
  if (firstDot < 0 || secondDot < 0 || proof.indexOf('.', secondDot + 1) !== -1) {
    throw refused('RS256_DPOP_PROOF_INVALID', 'DPoP proof is not a signed JWT');
  }
  const payload = proof.slice(firstDot + 1, secondDot);
  const signature = proof.slice(secondDot + 1);
  if (!SEGMENT.test(payload) || !SEGMENT.test(signature)) {
    throw refused('RS256_DPOP_PROOF_INVALID', 'DPoP proof is not a signed JWT');
  }
  const { alg, key } = checkedHeader(proof.slice(0, firstDot));
  if (!expected.algorithms.has(alg)) {
    throw refused('RS256_DPOP_PROOF_INVALID', `DPoP proof algorithm not accepted; accepted: ${[...expected.algorithms].join(' ')}`);
  }
  const claims = json(payload);
  if (!claims) {
    throw refused('RS256_DPOP_PROOF_INVALID', 'DPoP proof is not a signed JWT');
  }
  // The signing input is the proof up to its last dot, all base64url and dots, so one byte a character (latin1).
  const signed = Buffer.from(proof.slice(0, secondDot), 'latin1');
  if (!verifiesWith(alg, key.key, signed, Buffer.from(signature, 'base64url'))) {
    throw refused('RS256_DPOP_PROOF_INVALID', 'DPoP proof signature invalid');
  }
  const { jti, htm, htu, iat, ath, nonce } = claims;
  if (typeof jti !== 'string' || jti.length === 0 || jti.length > MAX_JTI_LENGTH) {
    throw refused('RS256_DPOP_PROOF_INVALID', 'DPoP proof jti missing or invalid');
  }
  if (htm !== expected.method) {
    throw refused('RS256_DPOP_PROOF_METHOD', 'DPoP proof htm does not match the request method');
  }
  if (typeof htu !== 'string' || normalisedHtu(htu) !== expected.url) {
    throw refused('RS256_DPOP_PROOF_URL', 'DPoP proof htu does not match the request URL');
  }
  if (typeof iat !== 'number' || !Number.isFinite(iat)) {
    throw refused('RS256_DPOP_PROOF_INVALID', 'DPoP proof iat missing or invalid');
  }
  if (iat > expected.now + expected.leeway || iat < expected.now - expected.maxAge - expected.leeway) {
    throw refused('RS256_DPOP_PROOF_STALE', 'DPoP proof iat outside the accepted window');
  }
  if (expected.accessToken !== undefined && ath !== accessTokenHash(expected.accessToken)) {
    throw refused('RS256_DPOP_PROOF_ATH', ath === undefined ? 'DPoP proof ath missing' : 'DPoP proof ath does not match the access token');
  }
  if (nonce !== undefined && typeof nonce !== 'string') {
    throw refused('RS256_DPOP_PROOF_INVALID', 'DPoP proof nonce invalid');
  }
  // One literal for each case rather than a conditional spread: the object is built in one step.
  return nonce === undefined ? { jkt: key.thumbprint, jti, iat } : { jkt: key.thumbprint, jti, iat, nonce };
}
