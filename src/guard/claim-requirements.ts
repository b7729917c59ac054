import { ownClaim, type JwtClaims } from '../token/token-verifier.js';

/** What a route demands of a verified token, beyond being valid. Every listed condition must hold. */
export interface ClaimRequirement {
  /**
   * Scopes that must all be granted, read from `scope` (space-separated, RFC 8693 §4.2) or `scp` (an array or a
   * space-separated string).
   */
  scopes?: string[];
  /** Roles that must all appear in the `roles` claim (an array of strings, or one string). */
  roles?: string[];
  /** Claims that the token itself must carry (inherited members such as `constructor` do not count) with exactly these values. */
  claims?: Record<string, string | number | boolean>;
}

/** The first requirement a token fails, as an RFC 6750 description and the scopes to announce; `null` if none. */
export interface UnmetRequirement {
  description: string;
  scope?: string;
}

function grantedScopes(claims: JwtClaims): Set<string> {
  const granted = new Set<string>();
  for (const value of [ownClaim(claims, 'scope'), ownClaim(claims, 'scp')]) {
    const items = typeof value === 'string' ? value.split(' ') : Array.isArray(value) ? value : [];
    for (const item of items) {
      if (typeof item === 'string' && item.length > 0) {
        granted.add(item);
      }
    }
  }
  return granted;
}

/**
 * Checks the requirements of a route against verified claims. Runs on every request, cached token or not. Reads
 * the token's own members only: a scope, role or claim value inherited from a prototype grants nothing.
 */
export function findUnmetRequirement(claims: JwtClaims, requirements: readonly ClaimRequirement[]): UnmetRequirement | null {
  for (const requirement of requirements) {
    if (requirement.scopes?.length) {
      const granted = grantedScopes(claims);
      const missing = requirement.scopes.filter((scope) => !granted.has(scope));
      if (missing.length > 0) {
        return { description: `missing scope ${missing.join(' ')}`, scope: requirement.scopes.join(' ') };
      }
    }
    if (requirement.roles?.length) {
      const claimed = ownClaim(claims, 'roles');
      const roles: unknown[] = Array.isArray(claimed) ? claimed : typeof claimed === 'string' ? [claimed] : [];
      const missing = requirement.roles.find((role) => !roles.includes(role));
      if (missing !== undefined) {
        return { description: `missing role ${missing}` };
      }
    }
    for (const [name, expected] of Object.entries(requirement.claims ?? {})) {
      if (ownClaim(claims, name) !== expected) {
        return { description: `claim '${name}' does not have the required value` };
      }
    }
  }
  return null;
}
