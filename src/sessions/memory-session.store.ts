import { mergeCutOff, type CutOff } from './cut-off.js';
import type {
  NewSession,
  Revocation,
  RevocationRequest,
  RevocationSink,
  RotateResult,
  RotationRequest,
  SessionLifetimes,
  SessionState,
  SessionStore,
} from './session-store.interface.js';

/** Expired records are swept at most this often, when one is written. */
const SWEEP_INTERVAL_MS = 60_000;

interface SessionEntry extends SessionState {
  readonly family: string;
  current: string;
  previous?: string;
  expiresAt: number;
}

/**
 * The default store: one process's memory, whose clock is this process's. Nothing is shared between instances and
 * nothing survives a restart (every refresh token is then refused, and its user signs in again). Being synchronous
 * underneath, each operation is atomic by construction.
 */
export class MemorySessionStore implements SessionStore {
  readonly shared = false;
  private readonly sessions = new Map<string, SessionEntry>();
  /** Cut-offs of subjects, and the one for everyone, as long as refresh tokens they cover may still exist. */
  private readonly subjects = new Map<string, CutOff>();
  private everyone?: CutOff;
  private readonly sinks: RevocationSink[] = [];
  private nextSweep = 0;

  async createSession(session: NewSession, lifetimes: SessionLifetimes): Promise<number> {
    const now = Date.now();
    this.sweep(now);
    const stamp = Math.max(now, this.cutOff(session.sub, now) + 1);
    const { sid, sub, claims, family, current } = session;
    this.sessions.set(sid, { sub, claims, family, current, bornAt: stamp, stamp, nonce: '', expiresAt: expiry(stamp, stamp, lifetimes) });
    return stamp;
  }

  async rotate(request: RotationRequest, lifetimes: SessionLifetimes): Promise<RotateResult> {
    const now = Date.now();
    const entry = this.sessions.get(request.sid);
    if (!entry || entry.expiresAt <= now || entry.family !== request.family) {
      return { status: 'unknown' };
    }
    // The lifetime asked for now, which may be shorter than the one the entry's expiry was computed with.
    if (now >= entry.bornAt + lifetimes.maxMs) {
      this.sessions.delete(request.sid);
      return { status: 'unknown' };
    }
    const cutOff = this.cutOff(entry.sub, now);
    if (entry.stamp <= cutOff) {
      this.sessions.delete(request.sid);
      return { status: 'revoked' };
    }
    if (request.presented === entry.current) {
      const stamp = Math.max(now, entry.stamp, cutOff + 1);
      Object.assign(entry, {
        previous: entry.current,
        current: request.next,
        stamp,
        nonce: request.nonce,
        expiresAt: expiry(entry.bornAt, stamp, lifetimes),
      });
      return { status: 'rotated', state: stateOf(entry) };
    }
    if (now - entry.stamp < lifetimes.graceMs) {
      return request.presented === entry.previous ? { status: 'replayed', state: stateOf(entry) } : { status: 'superseded' };
    }
    return { status: 'reused', sub: entry.sub, revoked: this.record([{ kind: 'sid', value: request.sid, ...request.reuse }], now) };
  }

  async revoke(requests: readonly RevocationRequest[]): Promise<Revocation[]> {
    return this.record(requests, Date.now());
  }

  private record(requests: readonly RevocationRequest[], now: number): Revocation[] {
    const recorded = requests.map((request) => resolve(request, now));
    for (const [index, { kind, value, refreshMs }] of requests.entries()) {
      if (refreshMs === undefined) continue;
      const { before } = recorded[index];
      if (kind === 'sid') {
        this.sessions.delete(value);
      } else if (kind === 'sub') {
        this.subjects.set(value, mergeCutOff(this.subjects.get(value), before, now + refreshMs));
      } else if (kind === 'all') {
        this.everyone = mergeCutOff(this.everyone, before, now + refreshMs);
      }
    }
    for (const sink of this.sinks) sink.apply(recorded);
    return recorded;
  }

  async watch(sink: RevocationSink): Promise<void> {
    this.sinks.push(sink);
    sink.confirm(Date.now());
  }

  async close(): Promise<void> {
    this.sinks.length = 0;
  }

  /** The latest cut-off in force for the subject's refresh tokens (its own or everyone's); -Infinity if none. */
  private cutOff(sub: string, now: number): number {
    let latest = -Infinity;
    for (const cutOff of [this.subjects.get(sub), this.everyone]) {
      if (cutOff !== undefined && cutOff.until > now) latest = Math.max(latest, cutOff.before);
    }
    return latest;
  }

  private sweep(now: number): void {
    if (now < this.nextSweep) return;
    this.nextSweep = now + SWEEP_INTERVAL_MS;
    for (const [sid, { expiresAt }] of this.sessions) if (expiresAt <= now) this.sessions.delete(sid);
    for (const [sub, { until }] of this.subjects) if (until <= now) this.subjects.delete(sub);
    if (this.everyone && this.everyone.until <= now) this.everyone = undefined;
  }
}

/** A refresh token expires after the idle timeout, and never past the session's absolute lifetime. */
function expiry(bornAt: number, stamp: number, { idleMs, maxMs }: SessionLifetimes): number {
  return Math.min(stamp + idleMs, bornAt + maxMs);
}

function stateOf({ sub, claims, bornAt, stamp, nonce }: SessionEntry): SessionState {
  return { sub, claims, bornAt, stamp, nonce };
}

/** A request with its times fixed at `now`, as the Redis store's script fixes them by the server's clock. */
function resolve({ kind, value, until, accessMs, before }: RevocationRequest, now: number): Revocation {
  const revocation = { kind, value, until: until ?? now + (accessMs ?? 0) };
  if (kind === 'sub' || kind === 'all') {
    return { ...revocation, before: Math.min(before ?? now, now) };
  }
  return revocation;
}
