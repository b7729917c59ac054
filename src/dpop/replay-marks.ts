import { evictOldest } from '../evict-oldest.js';

/**
 * Most proofs remembered by one process. Past it the oldest mark (the nearest to expiry: every mark lives as long)
 * is dropped: at a one-minute window that is over 16,000 proofs a second, and a dropped mark only reopens a replay of
 * a proof that is about to be refused as stale anyway.
 */
const MAX_MARKS = 1_000_000;

/**
 * How long a proof's replay mark lasts, in ms: until the proof would be refused as stale anyway. `iat` is compared in
 * whole seconds against a floored clock, so a proof marked early in a second is accepted up to a second beyond
 * `maxAge + 2 × leeway` from then; the extra second keeps the mark alive until then, whatever the millisecond.
 * @param maxAge seconds a proof is accepted after its `iat` (JWT_DPOP_PROOF_MAX_AGE)
 * @param leeway seconds of clock difference allowed either way (JWT_CLOCK_TOLERANCE)
 */
export function replayMarkLifetime(maxAge: number, leeway: number): number {
  return (maxAge + 2 * leeway + 1) * 1000;
}

/**
 * The DPoP replay cache of one process: `jti`s seen, each until its proof would be refused as stale anyway. Marks
 * are kept in insertion order, which is expiry order since every mark lives as long, so expired ones are swept from
 * the front.
 */
export class ReplayMarks {
  private readonly marks = new Map<string, number>();
  /** When the oldest mark expires: until then a sweep would find nothing to remove. */
  private nextExpiry = Infinity;

  constructor(private readonly now: () => number = Date.now) {}

  /** True the first time `name` is marked within `ttlMs`, false while that mark lasts. */
  markOnce(name: string, ttlMs: number): boolean {
    const now = this.now();
    if (this.nextExpiry <= now) {
      this.sweep(now);
    }
    const until = this.marks.get(name);
    if (until !== undefined) {
      if (until > now) {
        return false;
      }
      // Expired but not yet swept (a mark that came after a longer-lived one): marked anew, at the back.
      this.marks.delete(name);
    }
    if (this.marks.size >= MAX_MARKS) {
      evictOldest(this.marks);
      this.nextExpiry = this.marks.values().next().value ?? Infinity;
    }
    this.marks.set(name, now + ttlMs);
    if (this.marks.size === 1) {
      this.nextExpiry = now + ttlMs;
    }
    return true;
  }

  get size(): number {
    return this.marks.size;
  }

  private sweep(now: number): void {
    for (const [name, until] of this.marks) {
      if (until > now) {
        this.nextExpiry = until;
        return;
      }
      this.marks.delete(name);
    }
    this.nextExpiry = Infinity;
  }
}
