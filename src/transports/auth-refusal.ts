import { HttpException } from '@nestjs/common';
import { Rs256AuthError, type Rs256AuthErrorCode } from '../errors/rs256-auth.error.js';

/**
 * Seconds a client is told to wait (`Retry-After`, or `retryAfter` in a non-HTTP refusal) when the session store or
 * the revocation list is unavailable. The store's client retries the server at least every second and an instance
 * serves again one round trip after reconnecting, so a few seconds lets most clients succeed on their first retry
 * without having them hammer an API that is down.
 */
export const RETRY_AFTER_SECONDS = 5;

/** A refusal in words every transport shares: the code GraphQL uses, and the reason text of the HTTP challenge. */
export interface AuthRefusal {
  /** `SERVICE_UNAVAILABLE` when the revocation list cannot be trusted (HTTP 503): not the token's fault. */
  code: 'UNAUTHENTICATED' | 'FORBIDDEN' | 'SERVICE_UNAVAILABLE';
  /** The same text as the challenge's `error_description` (`token expired`, `missing scope orders:read`, …). */
  message: string;
  /** The library's error code behind a 401, when the guard knows it (`RS256_TOKEN_EXPIRED`, …). */
  reason?: Rs256AuthErrorCode;
  /** With `SERVICE_UNAVAILABLE`: seconds after which to try again. */
  retryAfter?: number;
}

/** The refusal behind a 401, 403 or (revocation state unavailable) 503 the guard threw; `null` for anything else. */
export function refusalOf(error: unknown): AuthRefusal | null {
  if (!(error instanceof HttpException)) {
    return null;
  }
  const status = error.getStatus();
  const reason = error.cause instanceof Rs256AuthError ? error.cause.code : undefined;
  if (status === 503 && reason === 'RS256_TOKEN_REVOCATION_STALE') {
    return { code: 'SERVICE_UNAVAILABLE', message: error.message, reason, retryAfter: RETRY_AFTER_SECONDS };
  }
  if (status !== 401 && status !== 403) {
    return null;
  }
  return { code: status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN', message: error.message, reason };
}

/** The body non-HTTP transports send for a refusal: `{ status: 'error', code, message }`, and `retryAfter` with 503s. */
export function refusalBody(refusal: AuthRefusal): { status: 'error'; code: AuthRefusal['code']; message: string; retryAfter?: number } {
  const body = { status: 'error' as const, code: refusal.code, message: refusal.message };
  return refusal.retryAfter === undefined ? body : { ...body, retryAfter: refusal.retryAfter };
}
