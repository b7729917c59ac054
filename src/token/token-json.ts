import { Rs256AuthError, type Rs256AuthErrorCode } from '../errors/rs256-auth.error.js';
import type { JwtClaims } from '../interfaces/jwt-claims.interface.js';

// Decoding and the time-independent checks of a compact JWS's parts: what the verifier does to a token besides
// choosing its key and checking its signature and its claims against the policy.

/** A JOSE header as it arrives: untrusted until the signature is checked. */
export type JoseHeader = Record<string, unknown>;

export const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Deepest nesting of objects and arrays accepted in a header or a payload (the top-level object is level 1). Real
 * claims nest a few levels (`resource_access.client.roles`); the bound keeps every later walk over the value
 * (serialising a response, say) far from the stack limit. `JSON.parse` itself parses without recursion, so the
 * depth is checked on the parsed value, by the walk that freezes it.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * A claim only if the token itself carries it: `claims.toString` is `Object.prototype`'s, not a claim, and a
 * member inherited from any prototype must never satisfy a check.
 */
export function ownClaim(claims: JwtClaims, name: string): unknown {
  return Object.hasOwn(claims, name) ? claims[name] : undefined;
}

export function reject(code: Rs256AuthErrorCode, description: string): never {
  throw new Rs256AuthError(code, description);
}

export function decodeJson(segment: string, what: string): Record<string, unknown> {
  // Buffer's base64url decoder skips characters outside the alphabet, so check the alphabet first: otherwise
  // two different strings would decode to the same bytes.
  if (!BASE64URL.test(segment) || segment.length % 4 === 1) {
    reject('RS256_TOKEN_MALFORMED', `malformed token: ${what} is not base64url`);
  }
  const json = Buffer.from(segment, 'base64url').toString('utf8');
  let value: unknown;
  try {
    // JSON.parse makes a `__proto__` member an own property; nothing later copies claims with assignment, which is
    // what would turn it into a prototype.
    value = JSON.parse(json);
  } catch {
    reject('RS256_TOKEN_MALFORMED', `malformed token: ${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    reject('RS256_TOKEN_MALFORMED', `malformed token: ${what} is not a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * The `iss` of a token, read without checking anything; `undefined` if it cannot be read. For choosing among
 * trusted issuers only: nothing in it is trusted.
 */
export function peekIssuer(token: string): unknown {
  const first = token.indexOf('.');
  const second = token.indexOf('.', first + 1);
  try {
    return first > 0 && second > first ? ownClaim(decodeJson(token.slice(first + 1, second), 'payload'), 'iss') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Freezes a decoded header or payload all the way down (verified claims may be shared by many requests through the
 * cache), and refuses it if it nests deeper than `MAX_JSON_DEPTH`: the walk visits every object once anyway, so the
 * bound costs no pass of its own. A loop with its own stack rather than recursion, so no input can exhaust the call
 * stack; `what` names the segment in the refusal.
 */
export function frozenWithinDepth<T extends object>(value: T, what: 'header' | 'payload'): T {
  const pending: object[] = [];
  const depths: number[] = [];
  let next: object | undefined = value;
  let depth = 1;
  while (next !== undefined) {
    Object.freeze(next);
    for (const child of Object.values(next)) {
      if (typeof child === 'object' && child !== null) {
        if (depth === MAX_JSON_DEPTH) {
          reject('RS256_TOKEN_MALFORMED', `malformed token: ${what} nests deeper than ${MAX_JSON_DEPTH} levels`);
        }
        pending.push(child);
        depths.push(depth + 1);
      }
    }
    next = pending.pop();
    depth = depths.pop() ?? 0;
  }
  return value;
}

/** A NumericDate claim the token carries must be a finite number of seconds. */
function checkNumericDate(claims: JwtClaims, name: 'exp' | 'nbf' | 'iat'): void {
  const value = ownClaim(claims, name);
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value))) {
    reject('RS256_TOKEN_CLAIM_INVALID', `claim '${name}' must be a NumericDate (a number of seconds)`);
  }
}

function checkString(claims: JwtClaims, name: 'iss' | 'sub' | 'jti'): void {
  const value = ownClaim(claims, name);
  if (value !== undefined && typeof value !== 'string') {
    reject('RS256_TOKEN_CLAIM_INVALID', `claim '${name}' must be a string`);
  }
}

export function checkClaimTypes(claims: JwtClaims): void {
  // One call per claim with its name written out, not a loop over a list of names: every read is then of a
  // property known when the code is compiled, which costs a fraction of a read by a computed name.
  checkNumericDate(claims, 'exp');
  checkNumericDate(claims, 'nbf');
  checkNumericDate(claims, 'iat');
  checkString(claims, 'iss');
  checkString(claims, 'sub');
  checkString(claims, 'jti');
  const aud = ownClaim(claims, 'aud');
  if (aud !== undefined && typeof aud !== 'string' && !(Array.isArray(aud) && aud.every((item) => typeof item === 'string'))) {
    reject('RS256_TOKEN_CLAIM_INVALID', "claim 'aud' must be a string or an array of strings");
  }
}
