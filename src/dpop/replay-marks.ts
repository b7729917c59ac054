/**
 * Most proofs remembered by one process. Past it the oldest mark (the nearest to expiry: every mark lives as long)
 * is dropped: at a one-minute window that is over 16,000 proofs a second, and a dropped mark only reopens a replay of
 * a proof that is about to be refused as stale anyway.
 */
const MAX_MARKS = 1_000_000;

/**
 * The DPoP replay cache of one process: `jti`s seen, each until its proof would be refused as stale anyway. Marks
 * are kept in insertion order, which is expiry order since every mark lives as long, so expired ones are swept from
 * the front.
 */
export class ReplayMarks {
  private readonly marks = new Map<string, number>();

  constructor(private readonly now: () => number = Date.now) {}

  /** True the first time `name` is marked within `ttlMs`, false while that mark lasts. */
  markOnce(name: string, ttlMs: number): boolean {
    const now = this.now();
    this.sweep(now);
    const until = this.marks.get(name);
    if (until !== undefined && until > now) {
      return false;
    }
    this.marks.delete(name);
    if (this.marks.size >= MAX_MARKS) {
      this.marks.delete(this.marks.keys().next().value as string);
    }
    this.marks.set(name, now + ttlMs);
    return true;
  }

  get size(): number {
    return this.marks.size;
  }

  private sweep(now: number): void {
    for (const [name, until] of this.marks) {
      if (until > now) {
        return;
      }
      this.marks.delete(name);
    }
  }
}
