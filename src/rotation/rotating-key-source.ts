import { Logger } from '@nestjs/common';
import { generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { Rs256AuthError, messageOf } from '../errors/rs256-auth.error.js';
import { publicKeyOf, rsaThumbprint } from '../keys/key-loader.js';
import { KeySet, verificationKey, type VerificationKey } from '../keys/key-set.js';
import type { ReloadTrigger } from '../keys/key-source.js';
import type { KeyStore } from '../keys/key-store.js';
import { StoredKeySource } from '../keys/stored-key-source.js';
import { redactedText } from '../observability/redacted-url.js';
import type { KeyRotationConfig } from '../options/rs256-auth-config.js';
import { SETTINGS } from '../options/settings.js';
import { KeySeal } from './key-seal.js';
import { activationOfNext, stateAt, type StoredKey } from './rotation-schedule.js';
import { ROTATION_LOCK_MS, type RotationStore } from './rotation-store.js';

/** Size of the keys rotation creates: the size every verifier accepts, and a fast enough signature. */
const MODULUS_LENGTH = 2048;
/** Pause before reading the store again while another instance holds the lock, or after a first failure. */
const RETRY_MS = 1000;
/** Failures in a row double the pause up to this, so a store that stays unreachable is not asked (and logged) every second. */
const MAX_RETRY_MS = 60_000;
/** The store is read at least this often, so that anything changed there (a restore, a key deleted) is seen. */
const REREAD_MS = 10 * 60_000;

const generateRsa = promisify(generateKeyPair);
const sleep = (ms: number): Promise<void> => new Promise((done) => setTimeout(done, ms));
const iso = (ms: number): string => new Date(ms).toISOString();

/** A stored key made usable: its private key decrypted, its public half ready for verification. */
interface OpenedKey {
  readonly privateKey: KeyObject;
  readonly verification: VerificationKey;
}

async function openStore(rotation: KeyRotationConfig): Promise<RotationStore> {
  const setting = SETTINGS.keyRotationStore.env;
  if (rotation.store.kind === 'folder') {
    const { FolderRotationStore } = await import('./folder-rotation.store.js');
    try {
      return await FolderRotationStore.open(rotation.store.path);
    } catch (error) {
      throw new Rs256AuthError(
        'RS256_CONFIG_INVALID',
        `${setting} is the folder "${rotation.store.path}", where keys cannot be kept: ${messageOf(error)}.`,
        {
          cause: error,
        },
      );
    }
  }
  // Loaded only when chosen, as the session store's Redis client is.
  const { RedisRotationStore } = await import('./redis-rotation.store.js');
  try {
    return await RedisRotationStore.open(rotation.store.redis);
  } catch (error) {
    throw new Rs256AuthError(
      'RS256_SESSION_STORE_UNAVAILABLE',
      `${setting} is "redis", but the session store's Redis did not answer: ${redactedText(messageOf(error))}.`,
      { cause: error },
    );
  }
}

/**
 * The key source of automatic rotation: rotates the signing key on a schedule every instance computes alike from the
 * stored keys (see rotation-schedule). Reads the store while the module is built (creating the first key if there is
 * none), gives the module's key store the set in force at each moment, and at the time the next key is due takes the
 * store's lock and creates it, unless another instance did; `SIGHUP` reads the store again. Private keys are kept
 * encrypted with the rotation passphrase; this class is the only one that decrypts them, and neither they nor the
 * passphrase are ever logged.
 */
export class RotatingKeySource extends StoredKeySource {
  private readonly logger = new Logger('Rs256Auth');
  private stored: readonly StoredKey[] = [];
  /** The authenticated entries, opened, by {@link entryId}: an entry altered in any field is a different one. */
  private readonly opened = new Map<string, OpenedKey>();
  private readonly seal: KeySeal;
  /** Entries that failed authentication, by {@link entryId}: logged once each, never used. */
  private readonly refused = new Set<string>();
  /** Failed visits to the store in a row: the retry pause doubles with each. */
  private failures = 0;
  private syncing?: Promise<void>;
  private timer?: NodeJS.Timeout;
  private closed = false;
  /** Past start-up: an entry that fails authentication is then ignored rather than stopping start-up. */
  private started = false;
  /** The set last handed out, and what it was made of, so an unchanged state keeps the same set (and caches). */
  private lastSet?: { readonly signature: string; readonly keys: KeySet };

  private constructor(
    private readonly rotation: KeyRotationConfig,
    keyStore: KeyStore,
    private readonly store: RotationStore,
  ) {
    super(keyStore);
    this.seal = new KeySeal(rotation.passphrase);
  }

  /**
   * Opens the store and reads (or creates) the keys while the module is built, so a store that cannot be reached or
   * a passphrase that does not decrypt stops start-up.
   */
  static async open(rotation: KeyRotationConfig, keyStore: KeyStore): Promise<RotatingKeySource> {
    const store = await openStore(rotation);
    let source: RotatingKeySource;
    try {
      source = new RotatingKeySource(rotation, keyStore, store);
      await source.firstSync();
    } catch (error) {
      await store.close();
      throw error;
    }
    source.started = true;
    source.arm();
    return source;
  }

  /** The start-up line's phrase: where the keys are and which signs, the kids in force; nothing secret. */
  override describe(): string {
    const { rotation } = this;
    const state = stateAt(this.stored, rotation.times, Date.now());
    const next = this.stored.find((key) => key.activeFrom > Date.now());
    const switching = next ? `next kid ${next.kid} signs from ${iso(next.activeFrom)}` : `next key created at ${iso(state.createDueAt)}`;
    const kids = this.keys.verificationKeys.map((key) => key.kid).join(', ');
    return (
      `Signing mode: signs RS256 tokens, keys rotated every ${lifetimeText(rotation.intervalSeconds)}, kept encrypted in ${this.store.description}; ` +
      `current kid ${state.signing.kid}, ${switching}; verifies kids [${kids}]`
    );
  }

  /** Reads the store again now (`SIGHUP`); resolves to whether the keys in force changed, never rejects. */
  override async reload(_trigger: ReloadTrigger): Promise<boolean> {
    const before = this.keys;
    await this.background();
    return this.keys !== before;
  }

  override stop(): void {
    this.closed = true;
    clearTimeout(this.timer);
    void (this.syncing ?? Promise.resolve()).catch(() => undefined).then(() => this.store.close());
  }

  /**
   * The store's keys, read until there is at least one: an instance that finds the store empty while another
   * holds the lock waits for that one to create the first key (at most as long as a lock lives).
   */
  private async firstSync(): Promise<void> {
    const started = performance.now();
    for (;;) {
      await this.sync();
      if (this.stored.length > 0) return;
      if (performance.now() - started > ROTATION_LOCK_MS) {
        throw new Rs256AuthError(
          'RS256_NO_KEY',
          `${SETTINGS.keyRotation.env} is set, but no key appeared in ${this.store.description} while another instance held its lock.`,
        );
      }
      await sleep(RETRY_MS / 10);
    }
  }

  /** Reads the store, creating or deleting keys first if that is due; one at a time. */
  private sync(): Promise<void> {
    this.syncing ??= this.syncNow().finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async syncNow(): Promise<void> {
    const { store } = this;
    const { times } = this.rotation;
    const before = await this.authentic(await store.read());
    if (this.due(before) || this.missingFrom(before).length > 0) {
      await store.locked(async () => {
        // Read again under the lock: another instance may have done it between the first read and the lock.
        const all = await store.read();
        const keys = await this.authentic(all);
        const missing = this.missingFrom(keys);
        if (missing.length > 0) {
          // The store lost its keys (a Redis without persistence restarted, a folder emptied, entries overwritten), or
          // its newest ones (restored from an older copy, entries deleted): written back as this instance knows them,
          // so the schedule goes on. A fresh first key would sign at once, unpublished; an older set would bring a
          // retired key back to signing. Where a refused entry holds a key's number, the keys held here go on.
          let written = 0;
          for (const key of missing) if (await store.add(key)) written++;
          const lost = keys.length === 0 ? 'its keys' : `its newest key(s), from number ${missing[0].seq}`;
          keys.push(...missing);
          this.logger.warn(`Key rotation: ${store.description} had lost ${lost}; the ${written} this instance holds were written back.`);
        }
        const now = Date.now();
        if (keys.length === 0 || now >= stateAt(keys, times, now).createDueAt) {
          const last = newestOf(keys);
          // Past every number taken, refused entries included, so a forged entry cannot hold the next number.
          const seq = all.reduce((highest, entry) => Math.max(highest, entry.seq + 1), 0);
          const key = await this.createKey(seq, last);
          if (await store.add(key)) {
            this.logger.log(`Key rotation: created kid ${key.kid}, published from now, signs from ${iso(key.activeFrom)}.`);
          }
        }
        const removable = keys.length === 0 ? [] : stateAt(keys, times, now).removable;
        if (removable.length > 0) await store.remove(removable);
      });
    }
    this.adopt(await this.authentic(await store.read()));
  }

  /** Whether the lock is worth taking: no key yet, the next one due, or retired keys to delete. */
  private due(keys: readonly StoredKey[]): boolean {
    if (keys.length === 0) return true;
    const now = Date.now();
    const state = stateAt(keys, this.rotation.times, now);
    return now >= state.createDueAt || state.removable.length > 0;
  }

  /**
   * A new key, sealed with its metadata. Its `activeFrom` is computed once the RSA key exists (generation may take a
   * second or more), so the key is published at least one lead before it signs; the first key signs at once.
   */
  private async createKey(seq: number, last: StoredKey | undefined): Promise<StoredKey> {
    const { privateKey } = await generateRsa('rsa', { modulusLength: MODULUS_LENGTH });
    const kid = rsaThumbprint(publicKeyOf(privateKey));
    // Derived before the clock is read: the first derivation is slow by design.
    await this.seal.prepare();
    const now = Date.now();
    const metadata = { seq, kid, createdAt: now, activeFrom: activationOfNext(last, this.rotation.times, now) };
    return { ...metadata, privateKey: await this.seal.seal(privateKey, metadata) };
  }

  /** The keys held here that `keys` (read from the store) lacks: all of them, or those numbered past its newest. */
  private missingFrom(keys: readonly StoredKey[]): StoredKey[] {
    const newest = newestOf(keys)?.seq ?? -1;
    return this.stored.filter((key) => key.seq > newest).sort((a, b) => a.seq - b.seq);
  }

  /**
   * Takes the (authenticated) keys read from the store as the state in force; forgets keys no longer there. A set
   * that lacks keys held here (see missingFrom) is not taken: the next visit writes them back.
   */
  private adopt(keys: readonly StoredKey[]): void {
    if (keys.length === 0 || this.missingFrom(keys).length > 0) return;
    const kept = new Set(keys.map(entryId));
    for (const id of this.opened.keys()) if (!kept.has(id)) this.opened.delete(id);
    this.stored = keys;
    this.keyStore.follow((now) => this.keySetAt(now));
  }

  /**
   * The entries that open with the passphrase and their own metadata, opened. One that does not stops start-up (a
   * wrong passphrase, or an entry written by someone without it); after start-up it is left out and logged once.
   */
  private async authentic(entries: readonly StoredKey[]): Promise<StoredKey[]> {
    const keys: StoredKey[] = [];
    for (const entry of entries) {
      const id = entryId(entry);
      if (this.refused.has(id)) continue;
      if (!this.opened.has(id)) {
        const opened = await this.open(entry);
        if (!opened) {
          this.refused.add(id);
          continue;
        }
        this.opened.set(id, opened);
      }
      keys.push(entry);
    }
    const present = new Set(entries.map(entryId));
    for (const id of this.refused) if (!present.has(id)) this.refused.delete(id);
    return keys;
  }

  private async open(key: StoredKey): Promise<OpenedKey | undefined> {
    const where = this.store.description;
    let privateKey: KeyObject;
    try {
      privateKey = await this.seal.open(key.privateKey, key);
    } catch (error) {
      const refusal = new Rs256AuthError(
        'RS256_PASSPHRASE_INVALID',
        `${SETTINGS.keyRotationPassphrase.env} does not decrypt kid ${key.kid} (key ${key.seq}) in ${where}, or the entry was altered: ` +
          'every instance must use the same passphrase, and only they may write keys there.',
        { cause: error },
      );
      return this.refuse(refusal);
    }
    const publicKey = publicKeyOf(privateKey);
    if (rsaThumbprint(publicKey) !== key.kid) {
      return this.refuse(new Rs256AuthError('RS256_KEY_MISMATCH', `Key ${key.seq} in ${where} is not the key its kid ${key.kid} names.`));
    }
    return { privateKey, verification: verificationKey(key.kid, publicKey) };
  }

  /** An entry that failed authentication: stops start-up; later, it is logged and ignored. */
  private refuse(error: Rs256AuthError): undefined {
    if (!this.started) throw error;
    this.logger.error(`Key rotation: an entry was refused and is ignored. ${error.message}`);
    return undefined;
  }

  /** The set in force at `now`, and until when; starts creating the next key, or deleting retired ones, when due. */
  private keySetAt(now: number): { keys: KeySet; until: number } {
    const state = stateAt(this.stored, this.rotation.times, now);
    if ((now >= state.createDueAt || state.removable.length > 0) && !this.closed) void this.background();
    const signature = [state.signing.kid, ...state.published.map((key) => key.kid)].join(' ');
    if (this.lastSet?.signature !== signature) {
      const previous = this.lastSet?.keys.signingKid;
      const signing = this.openedKey(state.signing);
      const keys = new KeySet(
        state.published.map((key) => this.openedKey(key).verification),
        { kid: state.signing.kid, key: signing.privateKey },
      );
      if (previous !== undefined && previous !== state.signing.kid) this.logger.log(`Key rotation: now signing with kid ${state.signing.kid}.`);
      this.lastSet = { signature, keys };
      return { keys, until: state.changesAt };
    }
    return { keys: this.lastSet.keys, until: state.changesAt };
  }

  /** Every key adopted was opened first (see authentic), and stays opened while it is stored. */
  private openedKey(key: StoredKey): OpenedKey {
    const opened = this.opened.get(entryId(key));
    if (!opened) throw new Error(`Key rotation: key ${key.seq} (kid ${key.kid}) was adopted without being opened`);
    return opened;
  }

  /** A sync outside start-up: a failure is logged (the keys in force stay) and retried. */
  private async background(): Promise<void> {
    try {
      await this.sync();
      this.failures = 0;
    } catch (error) {
      this.failures++;
      this.logger.error(
        `Key rotation: ${this.store.description} could not be read or updated; the keys in force stay, retrying. ${redactedText(messageOf(error))}`,
      );
    }
    this.arm();
  }

  /** Sets the timer for the next visit to the store: when the next key is due, soon while it is overdue. */
  private arm(): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    const now = Date.now();
    const state = stateAt(this.stored, this.rotation.times, now);
    const retry = Math.min(RETRY_MS * 2 ** Math.max(this.failures - 1, 0), MAX_RETRY_MS);
    const wait = this.failures > 0 || now >= state.createDueAt || state.removable.length > 0 ? retry : Math.min(state.createDueAt - now, REREAD_MS);
    this.timer = setTimeout(() => void this.background(), wait).unref();
  }
}

/** An entry's identity: all of its fields, so that an entry changed in any of them is opened (and checked) anew. */
const entryId = (key: StoredKey): string => JSON.stringify([key.seq, key.kid, key.createdAt, key.activeFrom, key.privateKey]);

/** Seconds as the largest whole unit a lifetime setting takes: `2592000` is `30d`. */
function lifetimeText(seconds: number): string {
  const units: [string, number][] = [
    ['w', 604800],
    ['d', 86400],
    ['h', 3600],
    ['m', 60],
  ];
  const unit = units.find(([, size]) => seconds % size === 0);
  return unit ? `${seconds / unit[1]}${unit[0]}` : `${seconds}s`;
}

/** The key with the highest number: the last one created. */
function newestOf(keys: readonly StoredKey[]): StoredKey | undefined {
  return keys.reduce<StoredKey | undefined>((newest, key) => (newest === undefined || key.seq > newest.seq ? key : newest), undefined);
}
