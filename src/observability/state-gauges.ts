import { Inject, Injectable } from '@nestjs/common';
import type { Rs256AuthConfig } from '../config/rs256-auth.config.js';
import { RS256_AUTH_CONFIG } from '../rs256-auth.constants.js';
import { RevocationList } from '../sessions/revocation-list.js';
import { TokenVerifier } from '../token/token-verifier.js';
import { AuthMetrics } from './auth-metrics.js';
import { KeyTelemetry } from './key-telemetry.js';

/**
 * The observable gauges: read when the SDK collects, never on the request path. Registered once, when the module
 * is built; without an SDK the callbacks are never called.
 */
@Injectable()
export class StateGauges {
  constructor(
    metrics: AuthMetrics,
    @Inject(RS256_AUTH_CONFIG) config: Rs256AuthConfig,
    verifier: TokenVerifier,
    revocations: RevocationList,
    keys: KeyTelemetry,
  ) {
    metrics.gauge('rs256auth.token_cache.size', '{token}', 'Verified tokens remembered by the verified-token cache.', () => verifier.cachedTokens);
    if (config.sessions !== undefined) {
      metrics.gauge('rs256auth.revocation_list.size', '{entry}', 'Revocations held by this instance (tokens, sessions, subjects, bulk cut-off).', () => revocations.size);
      metrics.gauge('rs256auth.revocation_list.staleness', 's', 'Time since the shared session store last confirmed the revocation list (shared stores only).', () => {
        const age = revocations.ageMs();
        return age === undefined || age === Number.POSITIVE_INFINITY ? undefined : age / 1000;
      });
    }
    const ownKeys = config.trustedIssuers === undefined;
    if (ownKeys) {
      metrics.gauge('rs256auth.keys.loaded', '{key}', 'Verification keys in use (one issuer: the module’s own key set).', () => config.keyStore.keys.verificationKeys.length);
    }
    const describe = 'Age of the keys in use: since the oldest fetched JWK Set was last fetched successfully (remote), or the key files were last loaded (local).';
    metrics.gauge('rs256auth.keys.age', 's', describe, () => keys.remoteKeyAgeSeconds(), { 'rs256auth.key_source': 'remote' });
    if (ownKeys && config.remoteJwks === undefined) {
      metrics.gauge('rs256auth.keys.age', 's', describe, () => keys.localKeyAgeSeconds(), { 'rs256auth.key_source': 'local' });
    }
  }
}
