import type { Rs256AuthErrorCode } from '../errors/rs256-auth.error.js';
import type { KeySet } from './key-set.js';
import type { ChosenKey, KeySource, ReloadTrigger, UncheckedToken } from './key-source.js';
import type { KeyStore } from './key-store.js';

/**
 * A key source whose keys are in a key store and change only when someone replaces the set: keys given in code (a
 * verifier built from keys and policy alone), and the base of the local and remote sources, which add how the set
 * is read again.
 */
export class StoredKeySource implements KeySource {
  constructor(
    /** Where the keys in force are; replaced whole when they change. */
    readonly keyStore: KeyStore,
  ) {}

  get version(): number {
    return this.keyStore.version;
  }

  /** The key set in force. */
  get keys(): KeySet {
    return this.keyStore.keys;
  }

  keyFor(token: UncheckedToken): ChosenKey {
    const keys = this.keyStore.keys;
    return { key: keys.select(token.kid), keys };
  }

  admit(chosen: ChosenKey): boolean {
    return chosen.keys === this.keyStore.keys;
  }

  refreshIfStale(): void {}

  recover(_code: Rs256AuthErrorCode, _issuer: () => unknown): Promise<boolean> | undefined {
    return undefined;
  }

  start(): Promise<void> {
    return Promise.resolve();
  }

  reload(_trigger: ReloadTrigger): Promise<boolean> {
    return Promise.resolve(false);
  }

  watch(): void {}

  stop(): void {}

  describe(): string {
    const { keys } = this;
    const kids = `[${keys.verificationKeys.map((key) => key.kid).join(', ')}]`;
    if (keys.signingKid !== undefined) {
      return `Signing mode: signs RS256 tokens with kid ${keys.signingKid}${this.signingKeyPlace()}, verifies kids ${kids}`;
    }
    return `Verify-only mode (no private key): verifies RS256 tokens with kids ${kids}`;
  }

  /** Where the signing key lives, for the start-up line (never a secret): here, only a key in custody is known. */
  protected signingKeyPlace(): string {
    const { custody } = this.keys;
    return custody ? ` held in ${custody.where}` : '';
  }
}
