import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import type { Rs256AuthConfig } from '../options/rs256-auth-config.js';
import { SETTINGS } from '../options/settings.js';

/**
 * With key rotation, a retired key is removed `JWT_EXPIRES_IN` (plus the clock tolerance and the margin) after its
 * successor took over: a token living longer would outlive its key and be refused. A signed token (a per-call
 * `expiresIn`, or no `exp` at all) whose `exp` passes now + `JWT_EXPIRES_IN` + the tolerance is refused.
 */
export function checkRotatedLifetime(token: string, config: Rs256AuthConfig): string {
  if (config.keyRotation === undefined) return token;
  const payload = payloadOf(token);
  const latest = Math.floor(Date.now() / 1000) + config.expiresIn + config.clockTolerance;
  if (typeof payload.exp !== 'number' || payload.exp > latest) {
    throw new Rs256AuthError(
      'RS256_TOKEN_LIFETIME_TOO_LONG',
      `${SETTINGS.keyRotation.env} is set: a token must expire within ${SETTINGS.expiresIn.env} (${config.expiresIn} s) of its signing, ` +
        `or it would outlive its key; ${typeof payload.exp === 'number' ? 'its exp is later' : 'it has no exp'}. Drop the per-call expiresIn, or raise ${SETTINGS.expiresIn.env}.`,
    );
  }
  return token;
}

/** The token's claims; an empty set for a payload that is no JSON object (a string or Buffer signed as it is). */
function payloadOf(token: string): { exp?: unknown } {
  try {
    const payload: unknown = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString());
    return typeof payload === 'object' && payload !== null ? (payload as { exp?: unknown }) : {};
  } catch {
    return {};
  }
}
