import type { StoredKey } from './rotation-schedule.js';

/**
 * Where rotated keys are kept, shared by every instance: the state the schedule is computed from, and the lock
 * that makes one instance at a time create or delete keys.
 */
export interface RotationStore {
  /** Where the keys are, for the start-up line: never a secret (no password, no key). */
  readonly description: string;
  /** Every stored key. */
  read(): Promise<StoredKey[]>;
  /** Runs `task` holding the store's lock; resolves to `false`, without running it, while another instance holds it. */
  locked(task: () => Promise<void>): Promise<boolean>;
  /**
   * Stores a key; `false` when its sequence number is taken already. Atomic on its own, so that even an instance
   * whose lock expired while it worked cannot make a second key with the same number.
   */
  add(key: StoredKey): Promise<boolean>;
  remove(keys: readonly StoredKey[]): Promise<void>;
  close(): Promise<void>;
}

/** Held this long at most; a lock older than this was left by an instance that died, and is taken over. */
export const ROTATION_LOCK_MS = 30_000;

/** A stored key read back: the fields checked, so that a damaged entry is named rather than misread. */
export function parseStoredKey(text: string, where: string): StoredKey {
  const value = JSON.parse(text) as Partial<Record<keyof StoredKey, unknown>>;
  const { seq, kid, createdAt, activeFrom, privateKey } = value;
  if (
    !Number.isSafeInteger(seq) ||
    typeof kid !== 'string' ||
    !Number.isSafeInteger(createdAt) ||
    !Number.isSafeInteger(activeFrom) ||
    typeof privateKey !== 'string'
  ) {
    throw new Error(`${where} is not a rotated key entry`);
  }
  return { seq: seq as number, kid, createdAt: createdAt as number, activeFrom: activeFrom as number, privateKey };
}
