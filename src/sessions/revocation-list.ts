import { Inject, Injectable, Logger, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Rs256AuthConfig } from '../options/rs256-auth-config.js';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import type { JwtClaims } from '../interfaces/jwt-claims.interface.js';
import { RS256_AUTH_CONFIG, SESSION_STORE } from '../rs256-auth.constants.js';
import type { Revocation, RotationMark, SessionStore, SharedStateSink } from './session-store.interface.js';
import { covers, issueStamp, mergeCutOff, type CutOff } from './cut-off.js';
import { SETTINGS } from '../options/settings.js';
import { AuthMetrics } from '../observability/auth-metrics.js';

/** Expired entries are swept at most this often, when a revocation arrives. */
const PRUNE_INTERVAL_MS = 60_000;

/**
 * This instance's view of the revocations, checked on every authenticated request, cached token or not, with no
 * I/O: a few map lookups. The store keeps it current (for Redis, through publish/subscribe, and rebuilt on every
 * reconnect) and confirms how current it is; a view not confirmed for longer than the staleness bound refuses every
 * token (`RS256_TOKEN_REVOCATION_STALE`) unless fail-open is configured.
 */
@Injectable()
export class RevocationList implements SharedStateSink, OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Rs256Auth');
  private readonly byJti = new Map<string, number>();
  private readonly bySid = new Map<string, number>();
  private readonly bySub = new Map<string, CutOff>();
  /**
   * Each session's latest rotation, with a shared store: not checked here (the store checks it), but kept to be given
   * back to a server restored from an older snapshot, so that the tokens it spent stay spent.
   */
  private readonly rotations = new Map<string, RotationMark>();
  /** The bulk cut-off: every token issued until then, whoever its subject. */
  private everyone?: CutOff;
  /** Until the store has confirmed the view once, it knows nothing: stale. */
  private confirmedAt = 0;
  private staleReported = false;
  private nextPrune = 0;
  private readonly enabled: boolean;
  private readonly shared: boolean;
  private readonly maxStalenessMs: number;
  private readonly failOpen: boolean;
  private readonly applyListeners = new Set<(revocations: readonly Revocation[]) => void>();

  constructor(
    @Inject(RS256_AUTH_CONFIG) config: Rs256AuthConfig,
    @Inject(SESSION_STORE) private readonly store: SessionStore | null,
    @Optional() private readonly metrics?: AuthMetrics,
  ) {
    this.enabled = config.sessions !== undefined;
    this.shared = store?.shared === true;
    this.maxStalenessMs = config.sessions?.maxStalenessMs ?? 0;
    this.failOpen = config.sessions?.failOpen ?? false;
    if (this.enabled) this.observe(metrics);
  }

  private observe(metrics: AuthMetrics | undefined): void {
    metrics?.gauge(
      'rs256auth.revocation_list.size',
      '{entry}',
      'Revocations held by this instance (tokens, sessions, subjects, bulk cut-off).',
      () => this.size,
    );
    metrics?.gauge('rs256auth.revocation_list.staleness', 's', 'Time since the shared session store last confirmed the revocation list.', () => {
      const age = this.ageMs();
      return age === undefined || age === Number.POSITIVE_INFINITY ? undefined : age / 1000;
    });
  }

  /** Waits for the store's first snapshot (bounded by the store's timeout), so a fresh instance starts current. */
  async onModuleInit(): Promise<void> {
    await this.store?.watch(this);
  }

  /** Every module started: the store's connections may keep the process alive from now on. */
  onApplicationBootstrap(): void {
    this.store?.started?.();
  }

  async onModuleDestroy(): Promise<void> {
    await this.store?.close();
  }

  /**
   * Refuses revoked tokens, and every token while the view is too stale to be trusted (unless fail-open).
   * @throws Rs256AuthError `RS256_TOKEN_REVOKED` or `RS256_TOKEN_REVOCATION_STALE`
   */
  check(claims: JwtClaims, now?: number): void {
    if (!this.enabled) {
      return;
    }
    // Read after the test above: with sessions off every request passes here, and need not read the clock.
    now ??= Date.now();
    if (this.shared && now - this.confirmedAt > this.maxStalenessMs) {
      this.stale(now);
    }
    const { jti, sid, sub } = claims;
    if (jti !== undefined && (this.byJti.get(jti) ?? 0) > now) {
      throw new Rs256AuthError('RS256_TOKEN_REVOKED', 'token revoked');
    }
    if (typeof sid === 'string' && (this.bySid.get(sid) ?? 0) > now) {
      throw new Rs256AuthError('RS256_TOKEN_REVOKED', 'session revoked');
    }
    const stamp = issueStamp(claims);
    if (sub !== undefined && covers(this.bySub.get(sub), stamp, now)) {
      throw new Rs256AuthError('RS256_TOKEN_REVOKED', 'token revoked: the user signed out everywhere');
    }
    if (covers(this.everyone, stamp, now)) {
      throw new Rs256AuthError('RS256_TOKEN_REVOKED', 'token revoked: every token issued before a cut-off was revoked');
    }
  }

  /** Entries in force or not yet swept: tokens, sessions and subjects revoked, and a bulk cut-off. */
  get size(): number {
    return this.byJti.size + this.bySid.size + this.bySub.size + (this.everyone ? 1 : 0);
  }

  /**
   * Milliseconds since the shared store last confirmed this view (`Infinity` before it ever did); `undefined`
   * without sessions or with a store local to this process, whose view is never stale.
   */
  ageMs(now = Date.now()): number | undefined {
    return this.enabled && this.shared ? (this.confirmedAt === 0 ? Number.POSITIVE_INFINITY : now - this.confirmedAt) : undefined;
  }

  /** The staleness bound (`sessions.revocationMaxStaleness`), in milliseconds. */
  get maxAgeMs(): number {
    return this.maxStalenessMs;
  }

  private stale(now: number): void {
    if (!this.staleReported) {
      this.staleReported = true;
      const age = this.confirmedAt === 0 ? 'never loaded' : `${now - this.confirmedAt} ms old`;
      this.logger.warn(
        `Revocation list ${age} (limit ${this.maxStalenessMs / 1000} s, ${SETTINGS.revocationMaxStaleness.env}): the session store is unreachable; ` +
          (this.failOpen
            ? `accepting tokens on the stale list (${SETTINGS.revocationFailOpen.env}=true).`
            : 'refusing every token until it is back (fail closed).'),
      );
    }
    if (!this.failOpen) {
      throw new Rs256AuthError('RS256_TOKEN_REVOCATION_STALE', 'revocation state unavailable; try again later');
    }
  }

  /**
   * Calls `listener` with every batch of revocations applied from now on (made here, arriving from the store, or
   * reloaded on reconnection), once the view has taken them in; it must not throw. Returns what stops the calls.
   */
  onApply(listener: (revocations: readonly Revocation[]) => void): () => void {
    this.applyListeners.add(listener);
    return () => this.applyListeners.delete(listener);
  }

  apply(revocations: readonly Revocation[], receivedAt?: number): void {
    const now = Date.now();
    for (const { kind, value, until, before, at } of revocations) {
      // Recorded by the store's clock, received by this one's: the lag includes their difference (never below 0).
      if (receivedAt !== undefined && typeof at === 'number') this.metrics?.revocationPropagated(Math.max(0, receivedAt - at));
      if (until <= now) continue;
      if (kind === 'sub') {
        this.bySub.set(value, mergeCutOff(this.bySub.get(value), before, until));
      } else if (kind === 'all') {
        this.everyone = mergeCutOff(this.everyone, before, until);
      } else {
        const map = kind === 'jti' ? this.byJti : this.bySid;
        map.set(value, Math.max(map.get(value) ?? 0, until));
      }
    }
    if (now >= this.nextPrune) {
      this.prune(now);
    }
    for (const listener of this.applyListeners) listener(revocations);
  }

  rotated(marks: readonly RotationMark[]): void {
    const now = Date.now();
    for (const mark of marks) {
      const known = this.rotations.get(mark.sid);
      if (mark.until <= now || (known && known.at >= mark.at && known.until >= mark.until)) continue;
      this.rotations.set(mark.sid, known ? { sid: mark.sid, at: Math.max(known.at, mark.at), until: Math.max(known.until, mark.until) } : mark);
    }
    if (now >= this.nextPrune) this.prune(now);
  }

  confirm(at: number): void {
    if (at > this.confirmedAt) {
      this.confirmedAt = at;
    }
    if (this.staleReported && Date.now() - this.confirmedAt <= this.maxStalenessMs) {
      this.staleReported = false;
      this.logger.log('Revocation list current again: the session store is reachable.');
    }
  }

  /** The entries still in force, for a store to give back to a server that lost them. */
  entries(): Revocation[] {
    const now = Date.now();
    const list: Revocation[] = [];
    for (const [value, until] of this.byJti) if (until > now) list.push({ kind: 'jti', value, until });
    for (const [value, until] of this.bySid) if (until > now) list.push({ kind: 'sid', value, until });
    for (const [value, { before, until }] of this.bySub) if (until > now) list.push({ kind: 'sub', value, until, before });
    if (this.everyone && this.everyone.until > now) list.push({ kind: 'all', value: '', ...this.everyone });
    return list;
  }

  /** The rotation marks still in force, for a store to give back to a server that lost them. */
  marks(): RotationMark[] {
    const now = Date.now();
    return [...this.rotations.values()].filter(({ until }) => until > now);
  }

  private prune(now: number): void {
    this.nextPrune = now + PRUNE_INTERVAL_MS;
    for (const [sid, { until }] of this.rotations) if (until <= now) this.rotations.delete(sid);
    for (const map of [this.byJti, this.bySid]) {
      for (const [value, until] of map) if (until <= now) map.delete(value);
    }
    for (const [value, { until }] of this.bySub) if (until <= now) this.bySub.delete(value);
    if (this.everyone && this.everyone.until <= now) this.everyone = undefined;
  }
}
