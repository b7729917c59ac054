import type { KeySet } from './key-set.js';

/** Key sets that change by the clock: the set for now, and the time (ms) until which it stays the set in force. */
export type KeySchedule = (now: number) => { readonly keys: KeySet; readonly until: number };

/**
 * Holds the key set in force. A reload replaces the set as a whole, so every reader sees either the old set or
 * the new one, never a mix, and there is never a moment without keys.
 */
export class KeyStore {
  private replaced = 0;
  private schedule?: { readonly next: KeySchedule; until: number };

  constructor(
    private current: KeySet,
    /** Told of every replacement (an issuer registry counts them, so verified-token caches know to start over). */
    private readonly onReplace?: () => void,
  ) {}

  get keys(): KeySet {
    // Key rotation switches the signing key and removes retired keys at set times: the set is asked for again once
    // its time is up, by whoever reads it first, so a switch needs no timer and happens on time to the millisecond.
    if (this.schedule !== undefined && Date.now() >= this.schedule.until) {
      this.follow(this.schedule.next);
    }
    return this.current;
  }

  /** How many times the set was replaced: what a verified-token cache compares to know when to start over. */
  get version(): number {
    // A scheduled change that is due counts before it is read.
    if (this.schedule !== undefined && Date.now() >= this.schedule.until) this.follow(this.schedule.next);
    return this.replaced;
  }

  replace(next: KeySet): void {
    this.current = next;
    this.replaced++;
    this.onReplace?.();
  }

  /** From now on the set comes from `schedule` (key rotation), asked again whenever the set it gave runs out. */
  follow(schedule: KeySchedule): void {
    const { keys, until } = schedule(Date.now());
    this.schedule = { next: schedule, until };
    if (keys !== this.current) this.replace(keys);
  }
}
