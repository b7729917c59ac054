import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { statSync, watch, type FSWatcher } from 'node:fs';
import { dirname } from 'node:path';
import type { Rs256AuthConfig } from '../config/rs256-auth.config.js';
import { RS256_AUTH_CONFIG } from '../rs256-auth.constants.js';
import { LocalKeySource } from '../keys/local-key-source.js';

/** Editors and deploy tools write a file in several steps; one reload after they settle is enough. */
const WATCH_SETTLE_MS = 200;

/**
 * Re-reads the module's key files without a restart (see {@link LocalKeySource} for the rules): on `SIGHUP`
 * (unless `reloadOnSignal` is off), and when a key file changes if `watchKeyFiles` is on. Where keys are fetched, or
 * with several issuers, the module has no key file of its own: `RemoteJwks` answers `SIGHUP` instead, and with
 * several issuers the IssuerRegistry re-reads the issuers' own key files and fetches the others' sets.
 */
@Injectable()
export class KeyReloader implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Rs256Auth');
  private readonly onSignal = (): void => {
    void this.reload();
  };
  private readonly source: LocalKeySource;
  private watchers: FSWatcher[] = [];
  private settle?: NodeJS.Timeout;

  constructor(@Inject(RS256_AUTH_CONFIG) private readonly config: Rs256AuthConfig) {
    this.source = new LocalKeySource(config.keySources, config.keyStore);
  }

  onModuleInit(): void {
    if (this.config.reloadOnSignal && !this.config.remoteJwks && !this.config.trustedIssuers) {
      process.on('SIGHUP', this.onSignal);
    }
    if (this.config.watchKeyFiles) {
      this.watchKeyFiles();
    }
  }

  onModuleDestroy(): void {
    process.off('SIGHUP', this.onSignal);
    clearTimeout(this.settle);
    for (const watcher of this.watchers) watcher.close();
    this.watchers = [];
  }

  /**
   * Reloads now, after any reload under way. Resolves to whether the new set took over; on failure the current set
   * stays in force (it never rejects).
   */
  reload(): Promise<boolean> {
    return this.source.reload();
  }

  /**
   * Watches the folders that hold the key files rather than the files: deploy tools replace a file by renaming a
   * new one over it, after which a watch on the old file would see nothing more.
   */
  private watchKeyFiles(): void {
    const { privateKey, publicKeys } = this.config.keySources;
    const folders = new Set<string>();
    for (const source of [privateKey, ...publicKeys]) {
      if (source && 'path' in source) {
        folders.add(isFolder(source.path) ? source.path : dirname(source.path));
      }
    }
    for (const folder of folders) {
      const watcher = watch(folder, { persistent: false }, () => {
        clearTimeout(this.settle);
        this.settle = setTimeout(() => void this.reload(), WATCH_SETTLE_MS);
      });
      watcher.on('error', (error) => this.logger.error(`Stopped watching ${folder} for key changes: ${error.message}`));
      this.watchers.push(watcher);
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
