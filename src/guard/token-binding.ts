import type { DpopService, ResponseHeaderSetter } from '../dpop/dpop.service.js';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import type { JwtClaims } from '../interfaces/jwt-claims.interface.js';
import { certificateBindingRefusal } from '../mtls/certificate-binding.js';
import type { DpopMode } from '../options/dpop-config.js';
import type { MtlsConfig } from '../options/rs256-auth-config.js';

/** An outcome of authenticating (`Rs256Strategy`'s `AuthOutcome`), by the parts the binding checks read. */
type Outcome = { claims: JwtClaims; refused?: undefined; error?: undefined } | { claims?: undefined; refused?: Rs256AuthError; error?: unknown };

/** The sender-constraint rules in force where a token is presented, and what the request brings for them. */
export interface BindingRules {
  /** JWT_MTLS_BOUND as it applies here; `undefined` when off. */
  readonly mtls: MtlsConfig | undefined;
  /** JWT_DPOP as it applies here, with the service that checks proofs; `undefined` or `'off'` when off. */
  readonly dpop: DpopService | undefined;
  readonly dpopMode: DpopMode;
  /** The token of an `Authorization: DPoP` header, whose proof is checked; `undefined` when it came another way. */
  readonly dpopToken: string | undefined;
  /** Where a `DPoP-Nonce` goes; `undefined` where the response cannot be reached. */
  readonly setHeader?: ResponseHeaderSetter;
}

/**
 * Holds an accepted token to its binding on this request, so that no path a token comes in by (`JwtAuthGuard`, the
 * passport strategy, a WebSocket or `graphql-ws` handshake) lets a sender-constrained token through as a bearer
 * token: RFC 8705 first (the certificate `cnf.x5t#S256` names, read from the request's TLS socket or trusted proxy
 * header; no side effects), then RFC 9449 (the proof `cnf.jkt` names, whose `jti` is then marked used; where no
 * proof can come, a DPoP-bound token, and under `'required'` any token, is refused; with DPoP `'off'`, a
 * DPoP-bound token is refused, see `refuseUnproven`). Refusals carry the codes of
 * `certificateBindingRefusal` and `DpopService.confirm`.
 */
export function confirmBinding<T extends Outcome>(outcome: T, carrier: unknown, rules: BindingRules): T | Promise<T> {
  if (!outcome.claims) {
    return outcome;
  }
  const refused = rules.mtls && certificateBindingRefusal(rules.mtls, carrier, outcome.claims);
  if (refused) {
    return { refused } as T;
  }
  if (!rules.dpop || rules.dpopMode === 'off') {
    return refuseUnproven(outcome);
  }
  return rules.dpop.confirm(carrier, rules.dpopToken, outcome, rules.dpopMode, rules.setHeader) as T | Promise<T>;
}

/**
 * Refuses a DPoP-bound token (`cnf.jkt`) where no proof is checked: a route or module with DPoP `off`, or no
 * `DpopService`. RFC 9449 §7.2: a bound token presented as a bearer token is refused, whatever the mode, or a
 * stolen bound token would pass wherever DPoP is off. One property read for a token without `cnf`.
 */
export function refuseUnproven<T extends Outcome>(outcome: T): T {
  const cnf = outcome.claims?.cnf;
  if (cnf === undefined || (cnf as { jkt?: unknown } | null)?.jkt === undefined) {
    return outcome;
  }
  return { refused: new Rs256AuthError('RS256_DPOP_TOKEN_BOUND', 'DPoP-bound token presented without its proof') } as T;
}
