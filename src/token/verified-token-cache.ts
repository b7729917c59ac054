import type { JwtClaims } from '../interfaces/jwt-claims.interface.js';

/**
 * Characters at the end of a token that file its entry: the tail of the signature, 96 bits that look random for
 * every signed token. A hit still compares the whole token, so two tokens that end alike (a forgery aimed at an
 * entry, say) only ever share a slot, never claims.
 */
const KEY_LENGTH = 16;

/**
 * The number an entry is filed under: FNV-1a over the token's last `KEY_LENGTH` characters, cut to 30 bits so that
 * it stays a small integer (a Smi) on every V8 build. A Map keyed by Smis compares keys where they lie in its table
 * and hashes them in a few instructions, where string keys (a new slice of the token with every request) had their
 * hash computed on each lookup and every probe of the table went out to a string elsewhere in memory: with thousands
 * of entries turning over, those cache misses were most of what a lookup cost. Two tails on one number are the same
 * rare, harmless case as two tokens with the same tail: one slot, and a hit still needs the whole token to be equal.
 */
function keyOf(token: string): number {
  let hash = 0x811c9dc5;
  for (let i = Math.max(0, token.length - KEY_LENGTH); i < token.length; i++) {
    hash = Math.imul(hash ^ token.charCodeAt(i), 0x01000193);
  }
  return hash & 0x3fffffff;
}

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
  /** Entries by the key of their token (`keyOf`). */
  private readonly entries = new Map<number, Entry>();
  /**
   * Keys in the order they were stored, as a ring that grows to `maxEntries` slots: once full, `order[next]` is the
   * oldest and the slot the next key takes. Evicting through it costs the same at any size, where asking the Map
   * for its first key walks past every entry deleted since the Map last compacted (thousands, once the cache is full
   * and turning over).
   */
  private readonly order: number[] = [];
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
    const entry = this.entries.get(keyOf(token));
    return entry !== undefined && entry.token === token ? entry.claims : undefined;
  }

  /** Remembers a verified token. Tokens without `exp` are not cached: an entry must never outlive its token. */
  set(token: string, claims: JwtClaims): void {
    if (this.maxEntries === 0 || claims.exp === undefined) {
      return;
    }
    const key = keyOf(token);
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
    const key = keyOf(token);
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
