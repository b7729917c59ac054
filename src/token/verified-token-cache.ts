import type { JwtClaims } from './token-verifier.js';

/**
 * Claims of tokens whose signature and time-independent checks passed, keyed by the whole token string: a token
 * that differs in one byte is a miss. Bounded: past `maxEntries` the oldest entry goes. The verifier re-checks
 * `exp`/`nbf`/`iat` on every hit, drops an entry once its token has expired, and clears the cache when the key set
 * changes; route requirements are checked by the guard on every request, cached or not.
 */
export class VerifiedTokenCache {
  private readonly entries = new Map<string, JwtClaims>();

  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(token: string): JwtClaims | undefined {
    // Disabled: skip even the lookup, since hashing a token string costs as much as a header parse.
    return this.maxEntries === 0 ? undefined : this.entries.get(token);
  }

  /** Remembers a verified token. Tokens without `exp` are not cached: an entry must never outlive its token. */
  set(token: string, claims: JwtClaims): void {
    if (this.maxEntries === 0 || claims.exp === undefined) {
      return;
    }
    if (this.entries.size >= this.maxEntries) {
      // Map iterates in insertion order: the first key is the oldest entry.
      this.entries.delete(this.entries.keys().next().value!);
    }
    this.entries.set(token, claims);
  }

  delete(token: string): void {
    this.entries.delete(token);
  }

  clear(): void {
    this.entries.clear();
  }
}
