import { HttpException } from '@nestjs/common';
import { Rs256AuthError, type Rs256AuthErrorCode } from '../errors/rs256-auth.error.js';

/** A refusal in words every transport shares: the code GraphQL uses, and the reason text of the HTTP challenge. */
export interface AuthRefusal {
  code: 'UNAUTHENTICATED' | 'FORBIDDEN';
  /** The same text as the challenge's `error_description` (`token expired`, `missing scope orders:read`, …). */
  message: string;
  /** The library's error code behind a 401, when the guard knows it (`RS256_TOKEN_EXPIRED`, …). */
  reason?: Rs256AuthErrorCode;
}

/** The refusal behind a 401 or 403 the guard threw; `null` for anything else (a bug, not the client's fault). */
export function refusalOf(error: unknown): AuthRefusal | null {
  if (!(error instanceof HttpException)) {
    return null;
  }
  const status = error.getStatus();
  if (status !== 401 && status !== 403) {
    return null;
  }
  return {
    code: status === 401 ? 'UNAUTHENTICATED' : 'FORBIDDEN',
    message: error.message,
    reason: error.cause instanceof Rs256AuthError ? error.cause.code : undefined,
  };
}

/** The body non-HTTP transports send for a refusal: `{ status: 'error', code, message }`. */
export function refusalBody(refusal: AuthRefusal): { status: 'error'; code: AuthRefusal['code']; message: string } {
  return { status: 'error', code: refusal.code, message: refusal.message };
}
