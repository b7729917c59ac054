/**
 * Stable codes of every failure the library reports. Start-up codes stop the application; token codes become a
 * 401 (or 403 for `RS256_INSUFFICIENT_CLAIMS`) at the guard.
 */
export type Rs256AuthErrorCode =
  // configuration, raised while the module is built
  | 'RS256_CONFIG_INVALID'
  | 'RS256_SECRET_REFUSED'
  | 'RS256_NO_KEY'
  | 'RS256_KEY_NOT_FOUND'
  | 'RS256_KEY_UNREADABLE'
  | 'RS256_KEY_NOT_PEM'
  | 'RS256_KEY_NOT_RSA'
  | 'RS256_KEY_TOO_SMALL'
  | 'RS256_KEY_EXPONENT_INVALID'
  | 'RS256_KEY_MISMATCH'
  | 'RS256_KEY_AMBIGUOUS'
  | 'RS256_PRIVATE_KEY_AS_PUBLIC'
  | 'RS256_PUBLIC_KEY_AS_PRIVATE'
  | 'RS256_PASSPHRASE_REQUIRED'
  | 'RS256_PASSPHRASE_INVALID'
  | 'RS256_PEER_MISMATCH'
  | 'RS256_PKCS11_FAILED'
  // use of the module
  | 'RS256_NO_PRIVATE_KEY'
  | 'RS256_SIGNER_ASYNC'
  | 'RS256_SIGNING_FAILED'
  | 'RS256_ACCESS_TOKEN_CLAIMS'
  | 'RS256_TOKEN_LIFETIME_TOO_LONG'
  | 'RS256_VERIFY_OPTION_REFUSED'
  | 'RS256_SESSIONS_DISABLED'
  | 'RS256_TESTING_IN_PRODUCTION'
  // sessions: refreshing and revoking
  | 'RS256_SESSION_STORE_UNAVAILABLE'
  | 'RS256_REFRESH_TOKEN_INVALID'
  | 'RS256_REFRESH_TOKEN_REUSED'
  // token verification
  | 'RS256_TOKEN_MISSING'
  | 'RS256_TOKEN_TOO_LARGE'
  | 'RS256_TOKEN_MALFORMED'
  | 'RS256_TOKEN_ALGORITHM'
  | 'RS256_TOKEN_TYPE'
  | 'RS256_TOKEN_CRIT_UNSUPPORTED'
  | 'RS256_TOKEN_HEADER_KEY'
  | 'RS256_TOKEN_KID_UNKNOWN'
  | 'RS256_TOKEN_KEYS_STALE'
  | 'RS256_TOKEN_SIGNATURE'
  | 'RS256_TOKEN_EXPIRED'
  | 'RS256_TOKEN_NOT_YET_VALID'
  | 'RS256_TOKEN_ISSUER'
  | 'RS256_TOKEN_AUDIENCE'
  | 'RS256_TOKEN_CLAIM_MISSING'
  | 'RS256_TOKEN_CLAIM_INVALID'
  | 'RS256_TOKEN_REJECTED'
  | 'RS256_TOKEN_REVOKED'
  | 'RS256_TOKEN_REVOCATION_STALE'
  // certificate-bound tokens (RFC 8705 §3), under JWT_MTLS_BOUND
  | 'RS256_TOKEN_MTLS_UNBOUND'
  | 'RS256_TOKEN_MTLS_CERTIFICATE_MISSING'
  | 'RS256_TOKEN_MTLS_CERTIFICATE_UNREADABLE'
  | 'RS256_TOKEN_MTLS_CERTIFICATE_MISMATCH'
  | 'RS256_INSUFFICIENT_CLAIMS'
  // DPoP (RFC 9449): a proof refused (401 `invalid_dpop_proof` at the guard, 400 from SessionService's routes),
  // a nonce asked for (`use_dpop_nonce`), or a token whose binding does not fit the scheme it came under
  | 'RS256_DPOP_PROOF_MISSING'
  | 'RS256_DPOP_PROOF_INVALID'
  | 'RS256_DPOP_PROOF_METHOD'
  | 'RS256_DPOP_PROOF_URL'
  | 'RS256_DPOP_PROOF_STALE'
  | 'RS256_DPOP_PROOF_ATH'
  | 'RS256_DPOP_PROOF_REPLAYED'
  | 'RS256_DPOP_NONCE_REQUIRED'
  | 'RS256_DPOP_KEY_MISMATCH'
  | 'RS256_DPOP_TOKEN_BOUND'
  | 'RS256_DPOP_TOKEN_UNBOUND'
  | 'RS256_DPOP_REQUIRED';

/**
 * The library's one error class. `message` names the setting, path or claim at fault and what was expected; it
 * never contains key material or a token, so it is safe to log and, for token codes, to send to the client.
 */
export class Rs256AuthError extends Error {
  override readonly name = 'Rs256AuthError';

  constructor(
    readonly code: Rs256AuthErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** True for failures of a presented token (as opposed to configuration or usage errors). */
  get isTokenError(): boolean {
    return this.code.startsWith('RS256_TOKEN_');
  }
}

/** The message of anything thrown, for a log line or a wrapping error's message. */
export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
