import type { JwtClaims } from '../interfaces/jwt-claims.interface.js';

/**
 * Characters at the end of a token that file its entry: the tail of the signature, 96 bits that look random for
 * every signed token. Hashing them costs a few hundred instructions, where hashing a whole token (several hundred
 * characters, a new string with every request) costs thousands. A hit still compares the whole token, so two tokens
 * that end alike (a forgery aimed at an entry, say) only ever share a slot, never claims.
 */
const KEY_LENGTH = 16;

interface Entry {
  readonly token: string;
  readonly claims: JwtClaims;
}

/**
 * Claims of tokens whose signature and time-independent checks passed. A hit requires the whole token string to be
 * equal to the one verified: a token that differs in one byte is a miss. Bounded, first in first out: an entry leaves
 * at the latest when `maxEntries` more tokens have been stored after it, so there are never more than `maxEntries`.
 * The verifier re-checks `exp`/`nbf`/`iat` on every hit, drops an entry once its token has expired, and clears the
 * cache when the key set changes; route requirements are checked by the guard on every request, cached or not.
 */
export class VerifiedTokenCache {
  /** Entries by the last `KEY_LENGTH` characters of their token. */
  private readonly entries = new Map<string, Entry>();
  /**
   * Keys in the order they were stored, as a ring that grows to `maxEntries` slots: once full, `order[next]` is the
   * oldest and the slot the next key takes. Evicting through it costs the same at any size, where asking the Map
   * for its first key walks past every entry deleted since the Map last compacted (thousands, once the cache is full
   * and turning over).
   */
  private readonly order: string[] = [];
  private next = 0;

  constructor(readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(token: string): JwtClaims | undefined {
    // Disabled: skip even the lookup.
    if (this.maxEntries === 0) {
      return undefined;
    }
    const entry = this.entries.get(token.slice(-KEY_LENGTH));
    return entry !== undefined && entry.token === token ? entry.claims : undefined;
  }

  /** Remembers a verified token. Tokens without `exp` are not cached: an entry must never outlive its token. */
  set(token: string, claims: JwtClaims): void {
    if (this.maxEntries === 0 || claims.exp === undefined) {
      return;
    }
    const key = token.slice(-KEY_LENGTH);
    // Every entry's key sits in a slot of the ring, so the Map never holds more than `maxEntries`. A slot may name an
    // entry deleted since (expired) or replaced by a token with the same tail: deleting it again is a no-op, or makes
    // the newer entry leave early, which only costs a verification.
    if (this.order.length < this.maxEntries) {
      this.order.push(key);
    } else {
      this.entries.delete(this.order[this.next]);
      this.order[this.next] = key;
      this.next = this.next + 1 === this.maxEntries ? 0 : this.next + 1;
    }
    this.entries.set(key, { token, claims });
  }

  delete(token: string): void {
    const key = token.slice(-KEY_LENGTH);
    if (this.entries.get(key)?.token === token) {
      this.entries.delete(key);
    }
  }

  clear(): void {
    this.entries.clear();
    this.order.length = 0;
    this.next = 0;
  }
}
