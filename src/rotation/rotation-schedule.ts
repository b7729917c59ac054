import type { RotationTimes } from '../options/rotation-times.js';

/** One key as the rotation store keeps it. */
export interface StoredKey {
  /** Its place in the sequence: 0 for the first key, one more for each next. A store takes each number once. */
  readonly seq: number;
  /** RFC 7638 thumbprint of its public half. */
  readonly kid: string;
  /** When it was created, in ms since the epoch. */
  readonly createdAt: number;
  /** When it starts signing, in ms since the epoch; until then it is only published. */
  readonly activeFrom: number;
  /** The private key sealed with the rotation passphrase, the other fields as authenticated data (see key-seal). */
  readonly privateKey: string;
}

/** What is in force at one moment, as every instance reading the same keys computes it. */
export interface RotationState {
  /** The key that signs: the last one whose `activeFrom` has come. */
  readonly signing: StoredKey;
  /** The keys in the JWK Set: the next key (published ahead), the signing key, and retired keys still needed. */
  readonly published: readonly StoredKey[];
  /** Retired keys whose tokens have all expired: out of the JWK Set, and the store may delete them. */
  readonly removable: readonly StoredKey[];
  /** When the next key is due to be created: one lead before the last key's interval ends. */
  readonly createDueAt: number;
  /** The next time this state changes by the clock alone (a switch, a removal, a creation falling due). */
  readonly changesAt: number;
}

/**
 * The state at `now`, from the stored keys alone: an instance that starts mid-cycle, or reads the store a little
 * later than another, computes the same answer. `keys` must not be empty.
 */
export function stateAt(keys: readonly StoredKey[], times: RotationTimes, now: number): RotationState {
  const sorted = [...keys].sort((a, b) => a.seq - b.seq);
  const signing = sorted.findLast((key) => key.activeFrom <= now) ?? sorted[0];
  const published: StoredKey[] = [];
  const removable: StoredKey[] = [];
  const events: number[] = [];
  sorted.forEach((key, index) => {
    const successor = sorted[index + 1] as StoredKey | undefined;
    const removeAt = successor === undefined ? Infinity : successor.activeFrom + times.retentionMs;
    if (now < removeAt) {
      published.push(key);
      events.push(removeAt);
    } else {
      removable.push(key);
    }
    events.push(key.activeFrom);
  });
  const last = sorted[sorted.length - 1];
  const createDueAt = last.activeFrom + times.intervalMs - times.leadMs;
  events.push(createDueAt);
  return { signing, published, removable, createDueAt, changesAt: Math.min(...events.filter((at) => at > now)) };
}

/**
 * When a key created at `now` after `last` starts signing: one interval after `last`, but never less than one lead
 * after its creation, however late it was created (every instance down at the due time, the store unreachable):
 * the rule holds, and the current key signs on meanwhile. The first key of an empty store signs at once: no
 * verifier can hold a set that lacks it for any token before it.
 */
export function activationOfNext(last: StoredKey | undefined, times: RotationTimes, now: number): number {
  return last === undefined ? now : Math.max(last.activeFrom + times.intervalMs, now + times.leadMs);
}
