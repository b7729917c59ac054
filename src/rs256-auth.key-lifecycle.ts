import { Inject, Injectable, Logger, type OnApplicationBootstrap, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Rs256AuthConfig } from './options/rs256-auth-config.js';
import { RS256_AUTH_CONFIG, RS256_KEY_SOURCE } from './rs256-auth.constants.js';
import { startupLines } from './rs256-auth.startup-log.js';
import type { KeySource, ReloadTrigger } from './keys/key-source.js';

/**
 * The one owner of the key source's life: reloads on `SIGHUP` (unless `reloadOnSignal` is off), watches key files
 * (with `watchKeyFiles`), makes the first fetch at start-up (the application starts once it has answered or failed,
 * within `keys.remote.timeout`), then logs the start-up lines with what it brought, and stops it all when the module is
 * destroyed. Whatever the kind of key source: local files are read again, a JWK Set fetched at once, and with
 * several issuers every issuer's keys.
 */
@Injectable()
export class KeyLifecycle implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('Rs256Auth');
  private readonly onSignal = (): void => {
    void this.reload('signal');
  };

  constructor(
    @Inject(RS256_AUTH_CONFIG) private readonly config: Rs256AuthConfig,
    @Inject(RS256_KEY_SOURCE) private readonly source: KeySource,
  ) {}

  onModuleInit(): void {
    if (this.config.reloadOnSignal) {
      process.on('SIGHUP', this.onSignal);
    }
    if (this.config.watchKeyFiles) {
      this.source.watch();
    }
  }

  async onApplicationBootstrap(): Promise<void> {
    // Where keys are fetched, the start-up line reports the kids the first fetch brought (none if it failed).
    await this.source.start();
    for (const line of startupLines(this.config, this.source.describe())) this.logger.log(line);
  }

  onModuleDestroy(): void {
    process.off('SIGHUP', this.onSignal);
    this.source.stop();
  }

  /**
   * Reads or fetches the keys again now, after any reload under way. Resolves to whether a key set changed; on
   * failure the current keys stay in force (it never rejects).
   */
  reload(trigger: ReloadTrigger = 'operator'): Promise<boolean> {
    return this.source.reload(trigger);
  }
}
