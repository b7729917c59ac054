import type { ConsumeResult, RefreshRecord, Revocation, RevocationSink, SessionStore } from './session-store.interface.js';
import { mergeSubjectRevocation, type SubjectRevocation } from './subject-revocation.js';

/** Expired records are swept at most this often, when one is written. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * The default store: one process's memory. Nothing is shared between instances and nothing survives a restart
 * (every refresh token is then refused, and its user signs in again). Being synchronous underneath, each
 * operation is atomic by construction.
 */
export class MemorySessionStore implements SessionStore {
  readonly shared = false;
  private readonly refreshTokens = new Map<string, { record: RefreshRecord; used: boolean }>();
  /** Sessions and subjects revoked, as long as refresh tokens of theirs may still exist. */
  private readonly revokedSessions = new Map<string, number>();
  private readonly revokedSubjects = new Map<string, SubjectRevocation>();
  private readonly sinks: RevocationSink[] = [];
  private nextSweep = 0;

  async saveRefreshToken(hash: string, record: RefreshRecord): Promise<void> {
    this.sweep(Date.now());
    this.refreshTokens.set(hash, { record, used: false });
  }

  async consumeRefreshToken(hash: string, now: number): Promise<ConsumeResult> {
    const entry = this.refreshTokens.get(hash);
    if (!entry || entry.record.expiresAt <= now) {
      return { status: 'unknown' };
    }
    if (entry.used) {
      return { status: 'reused', record: entry.record };
    }
    const { sid, sub, iat } = entry.record;
    const subject = this.revokedSubjects.get(sub);
    if ((this.revokedSessions.get(sid) ?? 0) > now || (subject && subject.until > now && iat <= subject.before)) {
      return { status: 'revoked' };
    }
    entry.used = true;
    return { status: 'used', record: entry.record };
  }

  async revoke(revocations: readonly Revocation[]): Promise<void> {
    for (const { kind, value, before, refreshUntil } of revocations) {
      if (refreshUntil === undefined) continue;
      if (kind === 'sid') {
        this.revokedSessions.set(value, Math.max(this.revokedSessions.get(value) ?? 0, refreshUntil));
      } else if (kind === 'sub') {
        this.revokedSubjects.set(value, mergeSubjectRevocation(this.revokedSubjects.get(value), before, refreshUntil));
      }
    }
    for (const sink of this.sinks) sink.apply(revocations);
  }

  async watch(sink: RevocationSink): Promise<void> {
    this.sinks.push(sink);
    sink.confirm(Date.now());
  }

  async close(): Promise<void> {
    this.sinks.length = 0;
  }

  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + SWEEP_INTERVAL_MS;
    for (const [hash, { record }] of this.refreshTokens) if (record.expiresAt <= now) this.refreshTokens.delete(hash);
    for (const [sid, until] of this.revokedSessions) if (until <= now) this.revokedSessions.delete(sid);
    for (const [sub, { until }] of this.revokedSubjects) if (until <= now) this.revokedSubjects.delete(sub);
  }
}
