import type { ResolvedRs256Auth } from './options/resolve.js';
import { IssuerRegistry } from './issuers/issuer-registry.js';
import { RemoteKeySource } from './issuers/remote-key-source.js';
import type { AuditTrail } from './observability/audit-events.js';
import type { KeyTelemetry } from './observability/key-telemetry.js';
import type { KeySource } from './keys/key-source.js';
import { KeyStore } from './keys/key-store.js';
import { LocalKeySource } from './keys/local-key-source.js';
import { RotatingKeySource } from './rotation/rotating-key-source.js';

/**
 * The module's own key store: the local keys read at start-up (which sign, and are served as the JWK Set), or the
 * one issuer's fetched keys; empty with several issuers, each of which has its own.
 */
export function createOwnKeyStore({ keys }: ResolvedRs256Auth): KeyStore {
  return new KeyStore(keys.own);
}

/**
 * The one key source the configuration names: several trusted issuers, one issuer's JWK Set, or local keys. The one
 * place that knows which kinds there are: a new kind of source is one more branch here (see KeySource).
 */
export function createKeySource(
  { config, keys }: ResolvedRs256Auth,
  own: KeyStore,
  telemetry?: KeyTelemetry,
  audit?: AuditTrail,
): KeySource | Promise<KeySource> {
  if (config.trustedIssuers) {
    return new IssuerRegistry(config.trustedIssuers, keys.issuers, telemetry, audit);
  }
  telemetry?.ownKeys(own, !config.remoteJwks);
  if (config.remoteJwks) {
    telemetry?.track(own, config.remoteJwks.maxStaleMs);
    return new RemoteKeySource(config.remoteJwks, own, telemetry);
  }
  if (config.keyRotation) {
    // Opened while the module is built: a store that cannot be reached stops start-up.
    return RotatingKeySource.open(config.keyRotation, own);
  }
  // A key in custody is rebuilt into every set a reload reads, so it goes with the sources.
  return new LocalKeySource({ ...config.keySources, custody: keys.custody }, own, undefined, telemetry);
}
