import { Injectable } from '@nestjs/common';
import { HealthIndicatorService, type HealthIndicatorResult } from '@nestjs/terminus';
import { KeyTelemetry } from '../observability/key-telemetry.js';
import { RevocationList } from '../sessions/revocation-list.js';

/**
 * A `@nestjs/terminus` health indicator for readiness probes: down when the module cannot verify tokens as it
 * should. It checks that verification keys are loaded; that each fetched JWK Set (the module's own, or a configured
 * trusted issuer's) was fetched successfully within its staleness bound (`keys.remote.maxStale`); and, with sessions in a
 * shared store, that the revocation list was confirmed within `sessions.revocationMaxStaleness` (the store is reachable).
 * It reads state the module keeps anyway: no request leaves the process.
 *
 * Imported from `nestjs-rs256-auth/health`, so that only applications that use it load `@nestjs/terminus`.
 * @example
 * @Module({ imports: [TerminusModule, Rs256AuthModule.forRoot()], controllers: [HealthController], providers: [Rs256AuthHealthIndicator] })
 * // in HealthController: @Get('ready') @HealthCheck() ready() { return this.health.check([() => this.auth.isHealthy()]); }
 */
@Injectable()
export class Rs256AuthHealthIndicator {
  constructor(
    private readonly indicators: HealthIndicatorService,
    private readonly keys: KeyTelemetry,
    private readonly revocations: RevocationList,
  ) {}

  /** The state of the keys and of the revocation list under `key`; `down` with the problems found. */
  isHealthy<const Key extends string = 'rs256-auth'>(key: Key = 'rs256-auth' as Key): HealthIndicatorResult<Key> {
    const indicator = this.indicators.check(key);
    const now = Date.now();
    const problems: string[] = [];
    const own = this.keys.ownKeyStore;
    if (own !== undefined && own.keys.verificationKeys.length === 0) {
      problems.push('no verification key is loaded');
    }
    let oldestFetch: number | undefined;
    for (const { keyStore, maxStaleMs, lastSuccess } of this.keys.remoteStores()) {
      if (lastSuccess === undefined || keyStore.keys.verificationKeys.length === 0) {
        problems.push('a JWK Set has not been fetched yet');
      } else if (keyStore.keys.stale === true || now - lastSuccess > maxStaleMs) {
        problems.push(
          `a JWK Set was last fetched ${Math.round((now - lastSuccess) / 1000)} s ago, past keys.remote.maxStale (${maxStaleMs / 1000} s)`,
        );
      }
      if (lastSuccess !== undefined) oldestFetch = Math.min(oldestFetch ?? lastSuccess, lastSuccess);
    }
    const revocationAge = this.revocations.ageMs(now);
    if (revocationAge !== undefined && revocationAge > this.revocations.maxAgeMs) {
      problems.push(`the revocation list is stale (the session store is unreachable; limit ${this.revocations.maxAgeMs} ms)`);
    }
    const details = {
      ...(own !== undefined && { keys: own.keys.verificationKeys.length }),
      ...(oldestFetch !== undefined && { keyAgeSeconds: Math.round((now - oldestFetch) / 1000) }),
      ...(revocationAge !== undefined && { revocationListAgeMs: Number.isFinite(revocationAge) ? revocationAge : null }),
    };
    return problems.length === 0 ? indicator.up(details) : indicator.down({ ...details, problems });
  }
}
