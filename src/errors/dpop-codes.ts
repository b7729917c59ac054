import type { Rs256AuthError, Rs256AuthErrorCode } from './rs256-auth.error.js';

/**
 * The DPoP refusals (RFC 9449), listed once for everything that sorts them: the challenges, the metrics, the error
 * filter. Here, beside the codes, since all three sit above this folder and none below the others.
 */

/** Refusals of the proof itself: `invalid_dpop_proof` in a challenge rather than `invalid_token` (RFC 9449 §7.1). */
export const DPOP_PROOF_CODES = [
  'RS256_DPOP_PROOF_MISSING',
  'RS256_DPOP_PROOF_INVALID',
  'RS256_DPOP_PROOF_METHOD',
  'RS256_DPOP_PROOF_URL',
  'RS256_DPOP_PROOF_STALE',
  'RS256_DPOP_PROOF_ATH',
  'RS256_DPOP_PROOF_REPLAYED',
] as const satisfies readonly Rs256AuthErrorCode[];

/** Every DPoP refusal: the proof's, the nonce asked for (`use_dpop_nonce`), and a binding that does not fit. */
export const DPOP_CODES = [
  ...DPOP_PROOF_CODES,
  'RS256_DPOP_NONCE_REQUIRED',
  'RS256_DPOP_KEY_MISMATCH',
  'RS256_DPOP_TOKEN_BOUND',
  'RS256_DPOP_TOKEN_UNBOUND',
  'RS256_DPOP_REQUIRED',
] as const satisfies readonly Rs256AuthErrorCode[];

/** What `DpopService.proofKey` may refuse a sign-in or refresh with (no access token there: no `ath`, no binding). */
export const DPOP_TOKEN_REQUEST_CODES: readonly Rs256AuthErrorCode[] = [
  ...DPOP_PROOF_CODES.filter((code) => code !== 'RS256_DPOP_PROOF_MISSING' && code !== 'RS256_DPOP_PROOF_ATH'),
  'RS256_DPOP_NONCE_REQUIRED',
];

/** The OAuth 2.0 error (RFC 6749 §5.2) of a refused token request's proof: `use_dpop_nonce` or `invalid_dpop_proof`. */
export function dpopTokenError(error: Rs256AuthError): { error: 'use_dpop_nonce' | 'invalid_dpop_proof'; error_description: string } {
  return { error: error.code === 'RS256_DPOP_NONCE_REQUIRED' ? 'use_dpop_nonce' : 'invalid_dpop_proof', error_description: error.message };
}
