import { DEFAULT_CLAIM_PATHS, type ClaimPath, type ClaimPaths } from '../options/rs256-auth-config.js';
import type { JwtClaims } from '../interfaces/jwt-claims.interface.js';
import { ownClaim } from '../token/token-verifier.js';

/** A list of values a token must hold: all of them (a plain array, or `allOf`), or at least one (`anyOf`). */
export type ClaimList = readonly string[] | { readonly allOf: readonly string[] } | { readonly anyOf: readonly string[] };

/** What a route demands of a verified token, beyond being valid. Every listed condition must hold. */
export interface ClaimRequirement {
  /**
   * Scopes to be granted: all of them (an array, or `{ allOf }`), or one of them (`{ anyOf }`). Read from the scope
   * claims (`scopesClaim`, by default `scope`, space-separated per RFC 8693 §4.2, and `scp`, an array or a
   * space-separated string).
   */
  scopes?: ClaimList;
  /**
   * Roles to be held: all of them (an array, or `{ allOf }`), or one of them (`{ anyOf }`). Read from the role
   * claims (`rolesClaim`, by default `roles`; e.g. Keycloak's `realm_access.roles`), each an array of strings or
   * one string, which is one role: `"admin user"` is the role named `admin user`, not `admin` and `user`.
   */
  roles?: ClaimList;
  /** Claims that the token itself must carry (inherited members such as `constructor` do not count) with exactly these values. */
  claims?: Record<string, string | number | boolean>;
}

/** The first requirement a token fails, as an RFC 6750 description and the scopes to announce; `null` if none. */
export interface UnmetRequirement {
  description: string;
  scope?: string;
}

/**
 * The value at a path of nested claims, through own members of plain objects only: neither a prototype nor an
 * array index can satisfy a path.
 */
function claimAt(claims: JwtClaims, path: ClaimPath): unknown {
  let value: unknown = claims;
  for (const name of path) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return undefined;
    }
    value = ownClaim(value as JwtClaims, name);
  }
  return value;
}

/**
 * Every string found at the paths: arrays of strings, or strings. A scope string is a space-separated list
 * (RFC 8693 §4.2, RFC 9068 §2.2.3); a role string is one role, as no standard makes it a list and the identity
 * providers we target send arrays: splitting it would let `"admin user"` grant `admin`.
 */
function valuesAt(claims: JwtClaims, paths: readonly ClaimPath[], splitStrings: boolean): Set<string> {
  const values = new Set<string>();
  for (const path of paths) {
    const value = claimAt(claims, path);
    const items = typeof value === 'string' ? (splitStrings ? value.split(' ') : [value]) : Array.isArray(value) ? value : [];
    for (const item of items) {
      if (typeof item === 'string' && item.length > 0) {
        values.add(item);
      }
    }
  }
  return values;
}

/** The values a list names, and whether one of them is enough. */
export function listItems(list: ClaimList): { items: readonly string[]; any: boolean } {
  if ('anyOf' in list) return { items: list.anyOf, any: true };
  if ('allOf' in list) return { items: list.allOf, any: false };
  return { items: list, any: false };
}

/** The values of `list` the token lacks: all of them when one would do and none is held, else the missing ones. */
function missingFrom(list: ClaimList | undefined, held: () => Set<string>): { missing: string[]; any: boolean; items: readonly string[] } | null {
  if (list === undefined) return null;
  const { items, any } = listItems(list);
  if (items.length === 0) return null;
  const granted = held();
  const missing = items.filter((item) => !granted.has(item));
  const unmet = any ? missing.length === items.length : missing.length > 0;
  return unmet ? { missing, any, items } : null;
}

/**
 * Checks the requirements of a route against verified claims. Runs on every request, cached token or not. Reads
 * the token's own members only: a scope, role or claim value inherited from a prototype grants nothing.
 */
export function findUnmetRequirement(
  claims: JwtClaims,
  requirements: readonly ClaimRequirement[],
  paths: ClaimPaths = DEFAULT_CLAIM_PATHS,
): UnmetRequirement | null {
  for (const requirement of requirements) {
    const scopes = missingFrom(requirement.scopes, () => valuesAt(claims, paths.scopes, true));
    if (scopes) {
      return scopes.any
        ? { description: `missing scope: one of ${scopes.items.join(' ')}`, scope: scopes.items.join(' ') }
        : { description: `missing scope ${scopes.missing.join(' ')}`, scope: scopes.items.join(' ') };
    }
    const roles = missingFrom(requirement.roles, () => valuesAt(claims, paths.roles, false));
    if (roles) {
      return { description: roles.any ? `missing role: one of ${roles.items.join(' ')}` : `missing role ${roles.missing[0]}` };
    }
    for (const [name, expected] of Object.entries(requirement.claims ?? {})) {
      if (ownClaim(claims, name) !== expected) {
        return { description: `claim '${name}' does not have the required value` };
      }
    }
  }
  return null;
}
