import { Logger } from '@nestjs/common';
import { statSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import { messageOf } from '../errors/rs256-auth.error.js';
import { describeKeyOrigin } from './key-loader.js';
import { keyPaths, loadKeySet, type KeySetSources } from './key-set.loader.js';
import type { KeyStore } from './key-store.js';
import type { ReloadTrigger } from './key-source.js';
import { StoredKeySource } from './stored-key-source.js';
import type { KeyObserver } from '../observability/key-telemetry.js';

/** Editors and deploy tools write a file in several steps; one reload after they settle is enough. */
const WATCH_SETTLE_MS = 200;

/**
 * Local keys (files, folders or inline PEMs), read again into their key store on request: the module's own keys and
 * each trusted issuer's local keys (IssuerRegistry). A new set that passes every start-up check replaces the old one at once (which also
 * empties the verified-token cache); one that fails leaves the old set serving and logs one error naming the
 * setting and file, never key material. Files are read without blocking the event loop, and reloads run one after
 * another, so an older read never replaces a newer one.
 */
export class LocalKeySource extends StoredKeySource {
  private readonly logger = new Logger('Rs256Auth');
  private reloading: Promise<boolean> = Promise.resolve(true);
  private watchers: FSWatcher[] = [];
  private settle?: NodeJS.Timeout;

  constructor(
    private readonly sources: KeySetSources,
    /** Where the keys go; replaced whole on a successful reload. */
    keyStore: KeyStore,
    /** Whose keys these are, for log lines: `undefined` for the module's own keys, else the issuer. */
    private readonly issuer?: string,
    /** Told of every reload that took over (audit events, key age). */
    private readonly observer?: KeyObserver,
  ) {
    super(keyStore);
  }

  /** The private key's setting and path (or inline setting) where the key is not in custody. */
  protected override signingKeyPlace(): string {
    const { privateKey } = this.sources;
    return this.keys.custody || !privateKey ? super.signingKeyPlace() : ` from ${describeKeyOrigin(privateKey)}`;
  }

  /** True when at least one key comes from a file or folder, so that a reload can find anything new. */
  get hasFiles(): boolean {
    return keyPaths(this.sources).length > 0;
  }

  /**
   * Reloads by itself, once writes settle, whenever something changes in a folder that holds its key files (the
   * `keys.watchFiles` option) until `stop()`. Watches the folders rather than the files: deploy tools replace a file
   * by renaming a new one over it, after which a watch on the old file would see nothing more.
   */
  override watch(): void {
    if (this.watchers.length > 0) return;
    const folders = new Set(keyPaths(this.sources).map((path) => (isFolder(path) ? path : dirname(path))));
    for (const folder of folders) {
      let watcher: FSWatcher;
      try {
        watcher = watch(folder, { persistent: false }, () => {
          clearTimeout(this.settle);
          this.settle = setTimeout(() => void this.reload('watch'), WATCH_SETTLE_MS);
        });
      } catch (error) {
        // The folder is gone since the keys were read, or the system's limit on watches is reached (ENOSPC, common in
        // containers): the keys in force stay, and so does every other way to reload them.
        this.logger.error(
          `Cannot watch ${folder} for changes to the keys${this.whose}: ${messageOf(error)}. Changes there are not picked up by themselves.`,
        );
        continue;
      }
      watcher.on('error', (error) => this.logger.error(`Stopped watching ${folder} for changes to the keys${this.whose}: ${error.message}`));
      this.watchers.push(watcher);
    }
  }

  /** Stops watching (a reload under way still finishes). */
  override stop(): void {
    clearTimeout(this.settle);
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
  }

  /**
   * Reloads now, after any reload under way. Resolves to whether the new set took over; on failure the current set
   * stays in force (it never rejects).
   */
  override reload(_trigger: ReloadTrigger = 'operator'): Promise<boolean> {
    this.reloading = this.reloading.then(() => this.reloadNow());
    return this.reloading;
  }

  /** How log lines name these keys: nothing for the module's own, else the issuer's. */
  private get whose(): string {
    return this.issuer === undefined ? '' : ` of issuer "${this.issuer}"`;
  }

  private async reloadNow(): Promise<boolean> {
    const { whose } = this;
    try {
      const keys = await loadKeySet(this.sources);
      this.keyStore.replace(keys);
      const kids = keys.verificationKeys.map((key) => key.kid).join(', ');
      this.logger.log(`Keys${whose} reloaded: verification kids [${kids}]${keys.signingKid ? `, signing kid ${keys.signingKid}` : ''}.`);
      this.observer?.reloaded(
        'local',
        keys.verificationKeys.map((key) => key.kid),
        { issuer: this.issuer },
      );
      return true;
    } catch (error) {
      this.logger.error(`Key reload${whose} failed; the current keys stay in force. ${messageOf(error)}`);
      return false;
    }
  }
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
