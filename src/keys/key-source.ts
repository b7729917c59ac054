import type { Rs256AuthErrorCode } from '../errors/rs256-auth.error.js';
import type { JwtClaims } from '../interfaces/jwt-claims.interface.js';
import type { KeySet, VerificationKey } from './key-set.js';

/** What a token's claims must say besides its signature: the issuer's own rules where a source knows several. */
export interface ClaimPolicy {
  readonly issuer?: string;
  readonly audience?: readonly string[];
  readonly requiredClaims: readonly string[];
}

/** The token a key is asked for, as far as it was read before the signature is checked: nothing in it is trusted. */
export interface UncheckedToken {
  /** The header's `kid`, as it came. */
  readonly kid: unknown;
  /** The decoded payload (decoded once, only if a source asks): for choosing by `iss`, nothing else. */
  payload(): JwtClaims;
}

/** The key chosen for a token, from the set it was chosen in, with the claim policy of whoever owns it. */
export interface ChosenKey {
  readonly key: VerificationKey;
  /** The set the key came from: claims are remembered only while it is still in force. */
  readonly keys: KeySet;
  /** The owner's claim policy; `undefined` where the verifier's own applies (one issuer). */
  readonly policy?: ClaimPolicy;
}

/** Why keys are read or fetched again: an operator's `SIGHUP` (or call), or a key file that changed. */
export type ReloadTrigger = 'signal' | 'operator' | 'watch';

/**
 * Where verification keys come from, behind one interface: local key files or inline PEMs (LocalKeySource), one
 * issuer's JWK Set (RemoteKeySource), several trusted issuers each with their own source (IssuerRegistry), or keys
 * given in code (StoredKeySource). The verifier asks it for a key by `kid` (and `iss`) and never asks which kind it
 * is; KeyLifecycle starts, reloads (`SIGHUP`, file changes) and stops it, and logs its `describe()` at start-up.
 *
 * A new kind of key source (keys rotated automatically, keys held in an HSM, a proof-of-possession key's issuer)
 * plugs in here: implement this interface (extending StoredKeySource gives the key-store half) and return it from
 * createKeySource (src/rs256-auth.key-source.ts). Nothing else needs to know.
 */
export interface KeySource {
  /**
   * Changes whenever a key this source answers with changes (or an issuer leaves): the verified-token cache starts
   * over when it does. Read on every verification, so it must be a field or a trivial getter.
   */
  readonly version: number;
  /**
   * The key that must have signed the token. Synchronous and cheap: on the hot path of every unseen token.
   * @throws Rs256AuthError with a `RS256_TOKEN_*` code (an unknown `kid` or `iss`, stale keys)
   */
  keyFor(token: UncheckedToken): ChosenKey;
  /**
   * Told that a token verified with `chosen` passed every check: whether its claims may be remembered (the key is
   * still in force, its issuer is admitted).
   */
  admit(chosen: ChosenKey): boolean;
  /** Per request, and cheap: starts a background refresh of keys past their max age; no-op for local keys. */
  refreshIfStale(): void;
  /**
   * After a token was refused with `code`, whether trying it again may succeed, having done what could make it
   * succeed (fetch a set for an unknown `kid`, resolve a new `iss`); `undefined` when there is nothing to try.
   * @param issuer reads the token's `iss`, only if the source needs it
   */
  recover(code: Rs256AuthErrorCode, issuer: () => unknown): Promise<boolean> | undefined;
  /** The first fetch, once (resolves when it succeeded or failed; never rejects); resolves at once for local keys. */
  start(): Promise<void>;
  /** Reads or fetches the keys again now. Resolves to whether a key set changed; never rejects. */
  reload(trigger: ReloadTrigger): Promise<boolean>;
  /** Reloads by itself when its key files change, until `stop()`; no-op where there are none. */
  watch(): void;
  /** Stops watching (a reload under way still finishes). */
  stop(): void;
  /** One phrase for the start-up line: the mode and the kids in force. Names and redacted URLs only, never secrets. */
  describe(): string;
}
