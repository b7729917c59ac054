import { Injectable } from '@nestjs/common';
import { AuditTrail } from './audit-events.js';
import { AuthMetrics, type FetchedDocument, type FetchOutcome } from './auth-metrics.js';

/** What telemetry reads of a key store: the key set in force (described here so this folder imports no other). */
export interface ObservedKeyStore {
  readonly keys: { readonly verificationKeys: readonly unknown[]; readonly stale?: boolean };
}

/** What key sources report: how their fetches went and when their keys changed. */
export interface KeyObserver {
  /**
   * A remote key store whose age and freshness are reported (the module's own, or a configured trusted issuer's;
   * not an `issuerResolver`'s, which come and go), with its staleness bound (`keys.remote.maxStale`, ms).
   */
  track(keyStore: ObservedKeyStore, maxStaleMs: number): void;
  /** One fetch from an issuer; `failure` is the redacted reason of a failed one, `uri` the redacted URI asked. */
  fetched(keyStore: ObservedKeyStore, document: FetchedDocument, outcome: FetchOutcome, durationMs: number, uri: string, failure?: string): void;
  /** The keys of a store were replaced: key files re-read, or a JWK Set that differs. */
  reloaded(source: 'local' | 'remote', kids: readonly string[], where: { issuer?: string; jwksUri?: string }): void;
}

/** A remote key store as health checks see it. */
export interface RemoteKeyState {
  readonly keyStore: ObservedKeyStore;
  readonly maxStaleMs: number;
  /** When its JWK Set was last fetched successfully; `undefined` before the first. */
  lastSuccess?: number;
}

const KEY_AGE =
  'Age of the keys in use: since the oldest fetched JWK Set was last fetched successfully (remote), or the key files were last loaded (local).';

/**
 * Turns what key sources report into metrics and audit events, and remembers, per remote key store, when its JWK
 * Set was last fetched successfully: the age of the keys in use, and what the health indicator checks.
 */
@Injectable()
export class KeyTelemetry implements KeyObserver {
  private readonly remote = new Map<ObservedKeyStore, RemoteKeyState>();
  /** The module's own key store (one issuer); `undefined` with several issuers. */
  private own?: ObservedKeyStore;
  /** When local keys were last (re)loaded: the module's build counts as the first load. */
  private localLoadedAt = Date.now();

  constructor(
    private readonly metrics: AuthMetrics,
    private readonly audit: AuditTrail,
  ) {
    metrics.gauge('rs256auth.keys.age', 's', KEY_AGE, () => this.remoteKeyAgeSeconds(), { 'rs256auth.key_source': 'remote' });
  }

  /**
   * The module's own key store, with one issuer: reported as `rs256auth.keys.loaded`, and as the age of local keys
   * when they are read from files or given inline (`local`).
   */
  ownKeys(keyStore: ObservedKeyStore, local: boolean): void {
    this.own = keyStore;
    this.metrics.gauge(
      'rs256auth.keys.loaded',
      '{key}',
      'Verification keys in use (one issuer: the module’s own key set).',
      () => keyStore.keys.verificationKeys.length,
    );
    if (local) {
      this.metrics.gauge('rs256auth.keys.age', 's', KEY_AGE, () => (Date.now() - this.localLoadedAt) / 1000, { 'rs256auth.key_source': 'local' });
    }
  }

  track(keyStore: ObservedKeyStore, maxStaleMs: number): void {
    if (!this.remote.has(keyStore)) this.remote.set(keyStore, { keyStore, maxStaleMs });
  }

  fetched(keyStore: ObservedKeyStore, document: FetchedDocument, outcome: FetchOutcome, durationMs: number, uri: string, failure?: string): void {
    this.metrics.fetched(document, outcome, durationMs);
    const state = this.remote.get(keyStore);
    if (failure !== undefined) {
      this.audit.emit({ type: 'jwks_fetch_failed', document, uri, reason: failure });
    } else if (document === 'jwks' && state !== undefined) {
      state.lastSuccess = Date.now();
    }
  }

  reloaded(source: 'local' | 'remote', kids: readonly string[], where: { issuer?: string; jwksUri?: string }): void {
    if (source === 'local') this.localLoadedAt = Date.now();
    this.audit.emit({ type: 'keys_reloaded', source, kids, ...where });
  }

  /** The module's own key store, with one issuer. */
  get ownKeyStore(): ObservedKeyStore | undefined {
    return this.own;
  }

  /** Every remote key store (the module's, or each fetched issuer's), with when it was last fetched. */
  remoteStores(): Iterable<RemoteKeyState> {
    return this.remote.values();
  }

  /** Seconds since the oldest remote set was fetched successfully; `undefined` with none fetched yet. */
  private remoteKeyAgeSeconds(): number | undefined {
    let oldest: number | undefined;
    for (const { lastSuccess } of this.remote.values()) {
      if (lastSuccess !== undefined && (oldest === undefined || lastSuccess < oldest)) oldest = lastSuccess;
    }
    return oldest === undefined ? undefined : (Date.now() - oldest) / 1000;
  }
}
