import type { Rs256AuthError, Rs256AuthErrorCode } from '../errors/rs256-auth.error.js';

/** What `DpopService.proofKey` may refuse a sign-in or refresh request with: a 400 at the application's route. */
export const DPOP_TOKEN_REQUEST_CODES: readonly Rs256AuthErrorCode[] = [
  'RS256_DPOP_PROOF_INVALID',
  'RS256_DPOP_PROOF_METHOD',
  'RS256_DPOP_PROOF_URL',
  'RS256_DPOP_PROOF_STALE',
  'RS256_DPOP_PROOF_REPLAYED',
  'RS256_DPOP_NONCE_REQUIRED',
];

/** The OAuth 2.0 error (RFC 6749 §5.2) of a refused token request's proof: `use_dpop_nonce` or `invalid_dpop_proof`. */
export function dpopTokenError(error: Rs256AuthError): { error: 'use_dpop_nonce' | 'invalid_dpop_proof'; error_description: string } {
  return { error: error.code === 'RS256_DPOP_NONCE_REQUIRED' ? 'use_dpop_nonce' : 'invalid_dpop_proof', error_description: error.message };
}
