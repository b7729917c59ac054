import { Inject, Injectable, Optional, type OnApplicationBootstrap, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Rs256AuthConfig } from '../options/rs256-auth-config.js';
import { RS256_AUTH_CONFIG } from '../rs256-auth.constants.js';
import type { Rs256AuthErrorCode } from '../errors/rs256-auth.error.js';
import { IssuerRegistry } from './issuer-registry.js';
import { RemoteKeySource } from './remote-key-source.js';
import { KeyTelemetry } from '../observability/key-telemetry.js';

/**
 * Keys fetched from issuers. With one issuer (resource-server mode) the module's key set is filled from the
 * issuer's JWK Set, given as `JWT_JWKS_URI` or found by discovery from `JWT_ISSUER_URL` (see
 * {@link RemoteKeySource} for when it fetches): at start-up without holding the application back, and at once on
 * `SIGHUP` (a resource server has no key file to re-read, so KeyReloader leaves the signal to this class). With
 * several issuers it hands over to the {@link IssuerRegistry}, so the guard, `JwtService` and the signal ask one
 * place; there `SIGHUP` also re-reads the key files of issuers with local keys.
 */
@Injectable()
export class RemoteJwks implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly source?: RemoteKeySource;
  private readonly onSignal = (): void => {
    void this.refreshNow();
  };

  constructor(
    @Inject(RS256_AUTH_CONFIG) private readonly config: Rs256AuthConfig,
    private readonly issuers: IssuerRegistry,
    @Optional() telemetry?: KeyTelemetry,
  ) {
    if (config.remoteJwks) {
      this.source = new RemoteKeySource(config.remoteJwks, config.keyStore, telemetry);
      telemetry?.track(config.keyStore, config.remoteJwks.maxStaleMs);
    }
  }

  /** True in resource-server mode. */
  get enabled(): boolean {
    return this.source !== undefined;
  }

  onModuleInit(): void {
    if ((this.source || this.issuers.enabled) && this.config.reloadOnSignal) {
      process.on('SIGHUP', this.onSignal);
    }
  }

  onModuleDestroy(): void {
    process.off('SIGHUP', this.onSignal);
  }

  async onApplicationBootstrap(): Promise<void> {
    await this.initialFetch();
  }

  /** The start-up fetch, made once (see RemoteKeySource.initialFetch); resolves at once with local keys. */
  async initialFetch(): Promise<void> {
    await this.source?.initialFetch();
    await this.issuers.initialFetch();
  }

  /** Per request, and cheap: starts a background fetch once a cached set is older than its max age. */
  refreshIfStale(): void {
    this.source?.refreshIfStale();
    this.issuers.refreshIfStale();
  }

  /**
   * After a token was refused, whether trying it again may succeed, having done what could make it succeed: with
   * one remote issuer, an unknown `kid` fetches its set (within the cooldown); with several issuers, the token's
   * issuer is asked the same way, and an `iss` not yet put to the `issuerResolver` is resolved. `undefined` when
   * there is nothing to try.
   * @param issuer reads the token's `iss`; called only with several issuers
   */
  recover(code: Rs256AuthErrorCode, issuer: () => unknown): Promise<boolean> | undefined {
    if (this.issuers.enabled) {
      return this.issuers.recover(issuer(), code);
    }
    return (code === 'RS256_TOKEN_KID_UNKNOWN' || code === 'RS256_TOKEN_KEYS_STALE') && this.source ? this.source.refresh() : undefined;
  }

  /**
   * Fetches the set (with several issuers, every issuer's set, and re-reads the key files of issuers with local
   * keys) now, whatever the cooldown: an operator's request, not a token's. Resolves to whether a key set changed.
   */
  refreshNow(): Promise<boolean> {
    return this.source?.refreshNow() ?? this.issuers.refreshNow();
  }
}
