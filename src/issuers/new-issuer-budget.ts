/** One minute, the window the budget is counted over. */
const WINDOW_MS = 60_000;

/**
 * How many issuers not seen before may be put to the `issuerResolver` (and their keys fetched) in any minute: a
 * sliding window over the times of the last `perMinute` grants, so no 60 seconds ever hold more, not even across
 * the turn of a minute.
 */
export class NewIssuerBudget {
  /** Times of the last grants, oldest at `next` once full. */
  private readonly grants: number[] = [];
  private next = 0;

  constructor(
    readonly perMinute: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Spends one grant if the last minute has room; false (and nothing spent) if not. */
  take(): boolean {
    const now = this.now();
    if (this.grants.length < this.perMinute) {
      this.grants.push(now);
      return true;
    }
    if (now - this.grants[this.next] < WINDOW_MS) {
      return false;
    }
    this.grants[this.next] = now;
    this.next = (this.next + 1) % this.perMinute;
    return true;
  }

  /** Milliseconds until the next grant is possible (0 when there is room now). */
  waitMs(): number {
    return this.grants.length < this.perMinute ? 0 : Math.max(0, this.grants[this.next] + WINDOW_MS - this.now());
  }
}
