import { Inject, Injectable, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Rs256AuthConfig } from '../options/rs256-auth-config.js';
import { RS256_AUTH_CONFIG } from '../rs256-auth.constants.js';
import { LocalKeySource } from '../keys/local-key-source.js';
import { KeyTelemetry } from '../observability/key-telemetry.js';

/**
 * Re-reads the module's key files without a restart (see {@link LocalKeySource} for the rules): on `SIGHUP`
 * (unless `reloadOnSignal` is off), and when a key file changes if `watchKeyFiles` is on. Where keys are fetched, or
 * with several issuers, the module has no key file of its own: `RemoteJwks` answers `SIGHUP` instead, and with
 * several issuers the IssuerRegistry re-reads (and with `watchKeyFiles` watches) the issuers' own key files and fetches
 * the others' sets.
 */
@Injectable()
export class KeyReloader implements OnModuleInit, OnModuleDestroy {
  private readonly onSignal = (): void => {
    void this.reload();
  };
  private readonly source: LocalKeySource;

  constructor(
    @Inject(RS256_AUTH_CONFIG) private readonly config: Rs256AuthConfig,
    @Optional() telemetry?: KeyTelemetry,
  ) {
    this.source = new LocalKeySource(config.keySources, config.keyStore, undefined, telemetry);
    if (!config.trustedIssuers) telemetry?.ownKeys(config.keyStore, !config.remoteJwks);
  }

  onModuleInit(): void {
    // With key rotation there is no key file: the keys come from the rotation store, on its schedule.
    if (this.config.reloadOnSignal && !this.config.remoteJwks && !this.config.trustedIssuers && !this.config.keyRotation) {
      process.on('SIGHUP', this.onSignal);
    }
    if (this.config.watchKeyFiles) {
      this.source.watch();
    }
  }

  onModuleDestroy(): void {
    process.off('SIGHUP', this.onSignal);
    this.source.unwatch();
  }

  /**
   * Reloads now, after any reload under way. Resolves to whether the new set took over; on failure the current set
   * stays in force (it never rejects).
   */
  reload(): Promise<boolean> {
    return this.source.reload();
  }
}
