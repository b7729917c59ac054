import type { KeySet } from './key-set.js';

/**
 * Holds the key set in force. A reload replaces the set as a whole, so every reader sees either the old set or
 * the new one, never a mix, and there is never a moment without keys.
 */
export class KeyStore {
  constructor(
    private current: KeySet,
    /** Told of every replacement (an issuer registry counts them, so verified-token caches know to start over). */
    private readonly onReplace?: () => void,
  ) {}

  get keys(): KeySet {
    return this.current;
  }

  replace(next: KeySet): void {
    this.current = next;
    this.onReplace?.();
  }
}
