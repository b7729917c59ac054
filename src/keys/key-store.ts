import type { KeySet } from './key-set.js';

/**
 * Holds the key set in force. A reload replaces the set as a whole, so every reader sees either the old set or
 * the new one, never a mix, and there is never a moment without keys.
 */
export class KeyStore {
  private replaced = 0;

  constructor(
    private current: KeySet,
    /** Told of every replacement (an issuer registry counts them, so verified-token caches know to start over). */
    private readonly onReplace?: () => void,
  ) {}

  get keys(): KeySet {
    return this.current;
  }

  /** How many times the set was replaced: what a verified-token cache compares to know when to start over. */
  get version(): number {
    return this.replaced;
  }

  replace(next: KeySet): void {
    this.current = next;
    this.replaced++;
    this.onReplace?.();
  }
}
