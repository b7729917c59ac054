import type { ExecutionContext } from '@nestjs/common';
import type { DpopService } from '../dpop/dpop.service.js';
import { DPOP_PROOF_CODES } from '../errors/dpop-codes.js';
import type { Rs256AuthErrorCode } from '../errors/rs256-auth.error.js';
import { wwwAuthenticate, type ChallengeReason, type ChallengeSettings } from './www-authenticate.js';

/** Refusals of the proof itself: `invalid_dpop_proof` rather than `invalid_token` (RFC 9449 §7.1). */
const PROOF_CODES: ReadonlySet<Rs256AuthErrorCode> = new Set<Rs256AuthErrorCode>(DPOP_PROOF_CODES);

const REQUEST = 0;

/**
 * The challenge of a refusal where DPoP is on for the route (RFC 9449 §7.1): under `DPoP` with `algs`, with
 * `invalid_dpop_proof` or `use_dpop_nonce` for the proof's own faults; a refusal under the bearer scheme keeps its
 * challenge, followed by a bare `DPoP` one unless the route requires DPoP. `undefined` where DPoP is off.
 */
export function dpopChallenge(
  dpop: DpopService,
  settings: ChallengeSettings,
  context: ExecutionContext,
  reason: ChallengeReason,
  code: Rs256AuthErrorCode | undefined,
): string | undefined {
  const mode = dpop.modeFor(context);
  if (mode === 'off') {
    return undefined;
  }
  const dpopSettings = { authScheme: 'DPoP', realm: settings.realm, resourceMetadata: settings.resourceMetadata };
  const underDpop = (why: ChallengeReason): string => `${wwwAuthenticate(dpopSettings, why)}, algs="${dpop.algs}"`;
  if (reason.reason === 'missing_token') {
    return mode === 'required' ? underDpop(reason) : `${wwwAuthenticate(settings, reason)}, ${underDpop(reason)}`;
  }
  if (code === 'RS256_DPOP_NONCE_REQUIRED' || (code !== undefined && PROOF_CODES.has(code))) {
    const description = 'description' in reason ? reason.description : code;
    return underDpop({ reason: code === 'RS256_DPOP_NONCE_REQUIRED' ? 'use_dpop_nonce' : 'invalid_dpop_proof', description });
  }
  if (dpop.tokenOf(context.getArgByIndex(REQUEST)) !== undefined || mode === 'required') {
    return underDpop(reason);
  }
  return `${wwwAuthenticate(settings, reason)}, ${underDpop({ reason: 'missing_token' })}`;
}
