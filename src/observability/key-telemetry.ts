import { Injectable } from '@nestjs/common';
import type { KeyStore } from '../keys/key-store.js';
import { AuditTrail } from './audit-events.js';
import { AuthMetrics, type FetchedDocument, type FetchOutcome } from './auth-metrics.js';

/** What key sources report: how their fetches went and when their keys changed. */
export interface KeyObserver {
  /** A remote source exists, with the store its keys go to (so that health checks and key age can see it). */
  track(keyStore: KeyStore): void;
  /** One fetch from an issuer; `failure` is the redacted reason of a failed one, `uri` the redacted URI asked. */
  fetched(keyStore: KeyStore, document: FetchedDocument, outcome: FetchOutcome, durationMs: number, uri: string, failure?: string): void;
  /** The keys of a store were replaced: key files re-read, or a JWK Set that differs. */
  reloaded(source: 'local' | 'remote', kids: readonly string[], where: { issuer?: string; jwksUri?: string }): void;
}

/**
 * Turns what key sources report into metrics and audit events, and remembers, per remote key store, when its JWK
 * Set was last fetched successfully: the age of the keys in use, and what the health indicator checks.
 */
@Injectable()
export class KeyTelemetry implements KeyObserver {
  /** Remote key stores, with when each last fetched successfully (`undefined` before the first). */
  private readonly remote = new Map<KeyStore, number | undefined>();
  /** When local keys were last (re)loaded: the module's build counts as the first load. */
  private localLoadedAt = Date.now();

  constructor(
    private readonly metrics: AuthMetrics,
    private readonly audit: AuditTrail,
  ) {}

  track(keyStore: KeyStore): void {
    if (!this.remote.has(keyStore)) this.remote.set(keyStore, undefined);
  }

  fetched(keyStore: KeyStore, document: FetchedDocument, outcome: FetchOutcome, durationMs: number, uri: string, failure?: string): void {
    this.metrics.fetched(document, outcome, durationMs);
    if (failure !== undefined) {
      this.audit.emit({ type: 'jwks_fetch_failed', document, uri, reason: failure });
    } else if (document === 'jwks') {
      this.remote.set(keyStore, Date.now());
    }
  }

  reloaded(source: 'local' | 'remote', kids: readonly string[], where: { issuer?: string; jwksUri?: string }): void {
    if (source === 'local') this.localLoadedAt = Date.now();
    this.audit.emit({ type: 'keys_reloaded', source, kids, ...where });
  }

  /** Remote key stores, each with when its set was last fetched successfully. */
  remoteStores(): ReadonlyMap<KeyStore, number | undefined> {
    return this.remote;
  }

  /** Seconds since the oldest remote set was fetched successfully; `undefined` with none fetched yet. */
  remoteKeyAgeSeconds(now = Date.now()): number | undefined {
    let oldest: number | undefined;
    for (const at of this.remote.values()) {
      if (at !== undefined && (oldest === undefined || at < oldest)) oldest = at;
    }
    return oldest === undefined ? undefined : (now - oldest) / 1000;
  }

  /** Seconds since local keys were last (re)loaded. */
  localKeyAgeSeconds(now = Date.now()): number {
    return (now - this.localLoadedAt) / 1000;
  }
}
