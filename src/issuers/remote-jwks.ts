import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Rs256AuthConfig } from '../config/rs256-auth.config.js';
import { RS256_AUTH_CONFIG } from '../rs256-auth.constants.js';
import { RemoteKeySource } from './remote-key-source.js';

/**
 * Resource-server mode with one issuer: the module's key set is filled from the issuer's JWK Set, given as
 * `JWT_JWKS_URI` or found by discovery from `JWT_ISSUER_URL` (see {@link RemoteKeySource} for when it fetches).
 * Fetched at start-up without holding the application back, and at once on `SIGHUP` (a resource server has no key
 * file to re-read, so KeyReloader leaves the signal to this class).
 */
@Injectable()
export class RemoteJwks implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly source?: RemoteKeySource;
  private readonly onSignal = (): void => {
    void this.refreshNow();
  };

  constructor(@Inject(RS256_AUTH_CONFIG) private readonly config: Rs256AuthConfig) {
    if (config.remoteJwks) {
      this.source = new RemoteKeySource(config.remoteJwks, config.keyStore);
    }
  }

  /** True in resource-server mode. */
  get enabled(): boolean {
    return this.source !== undefined;
  }

  onModuleInit(): void {
    if (this.source && this.config.reloadOnSignal) {
      process.on('SIGHUP', this.onSignal);
    }
  }

  onModuleDestroy(): void {
    process.off('SIGHUP', this.onSignal);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.source?.refresh();
  }

  /** Per request, and cheap: starts a background fetch once the cached set is older than its max age. */
  refreshIfStale(): void {
    this.source?.refreshIfStale();
  }

  /**
   * Fetches the set unless a fetch started within the cooldown window; concurrent callers share one fetch.
   * Resolves to whether the key set changed.
   */
  refresh(): Promise<boolean> {
    return this.source?.refresh() ?? Promise.resolve(false);
  }

  /** Fetches the set now, whatever the cooldown (an operator's request, not a token's). Resolves to whether it changed. */
  refreshNow(): Promise<boolean> {
    return this.source?.refreshNow() ?? Promise.resolve(false);
  }
}
