import { jest } from '@jest/globals';
import { MemorySessionStore } from './memory-session.store.js';
import type { NewSession, RotationRequest } from './session-store.interface.js';

const NOW = 1_750_000_000_000;
const LIFETIMES = { idleMs: 60_000, maxMs: 300_000, graceMs: 10_000 };

const session = (sid: string, sub = 'alice'): NewSession => ({ sid, sub, claims: { scope: 'a' }, family: `f-${sid}`, current: `${sid}-0` });
/** Presents token `n` of session `sid`, offering `${sid}-${n + 1}` as its successor. */
/** How long a reuse keeps the session's `sid` revocation. */
const REUSE = { accessMs: 1000, refreshMs: 60_000 };
const present = (sid: string, n: number, family = `f-${sid}`): RotationRequest => ({
  sid,
  presented: `${sid}-${n}`,
  family,
  next: `${sid}-${n + 1}`,
  nonce: `nonce-${n + 1}`,
  reuse: REUSE,
});

/** Only the clock is fake: the store reads Date.now(). */
const at = (ms: number): void => {
  jest.setSystemTime(ms);
};

describe('MemorySessionStore (explicit clock)', () => {
  beforeEach(() =>
    jest.useFakeTimers({
      now: NOW,
      doNotFake: [
        'nextTick',
        'setImmediate',
        'queueMicrotask',
        'setTimeout',
        'clearTimeout',
        'setInterval',
        'clearInterval',
        'hrtime',
        'performance',
      ],
    }),
  );
  afterEach(() => jest.useRealTimers());

  it('rotates once; within the grace period the spent token replays that rotation and an older one is refused harmlessly; past it, reuse deletes the session', async () => {
    const store = new MemorySessionStore();
    expect(await store.createSession(session('s'), LIFETIMES)).toBe(NOW);
    at(NOW + 1000);
    const rotated = await store.rotate(present('s', 0), LIFETIMES);
    expect(rotated).toEqual({ status: 'rotated', state: { sub: 'alice', claims: { scope: 'a' }, bornAt: NOW, stamp: NOW + 1000, nonce: 'nonce-1' } });
    // A concurrent caller with the same token offers another successor: it gets the first rotation's state instead.
    expect(await store.rotate({ ...present('s', 0), next: 'other', nonce: 'other' }, LIFETIMES)).toEqual({ ...rotated, status: 'replayed' });
    await store.rotate(present('s', 1), LIFETIMES);
    at(NOW + 999 + LIFETIMES.graceMs);
    expect(await store.rotate(present('s', 0), LIFETIMES)).toEqual({ status: 'superseded' });
    // A token that does not carry the session's family secret is not the session's: unknown, nothing revoked.
    expect(await store.rotate(present('s', 0, 'forged'), LIFETIMES)).toEqual({ status: 'unknown' });
    at(NOW + 1000 + LIFETIMES.graceMs);
    expect(await store.rotate(present('s', 1), LIFETIMES)).toEqual({
      status: 'reused',
      sub: 'alice',
      revoked: [{ kind: 'sid', value: 's', until: NOW + 1000 + LIFETIMES.graceMs + REUSE.accessMs }],
    });
    expect(await store.rotate(present('s', 2), LIFETIMES)).toEqual({ status: 'unknown' });
  });

  it('with no grace period, the spent token presented again in the same millisecond is reuse', async () => {
    const store = new MemorySessionStore();
    const lifetimes = { ...LIFETIMES, graceMs: 0 };
    await store.createSession(session('s'), lifetimes);
    expect((await store.rotate(present('s', 0), lifetimes)).status).toBe('rotated');
    expect(await store.rotate(present('s', 0), lifetimes)).toEqual({
      status: 'reused',
      sub: 'alice',
      revoked: [{ kind: 'sid', value: 's', until: NOW + REUSE.accessMs }],
    });
  });

  it("reuse revokes the session's sid in the same call: every watching sink has it when rotate returns", async () => {
    const store = new MemorySessionStore();
    const applied: unknown[] = [];
    await store.watch({ apply: (revocations) => applied.push(...revocations), confirm: () => undefined });
    const lifetimes = { ...LIFETIMES, graceMs: 0 };
    await store.createSession(session('s'), lifetimes);
    await store.rotate(present('s', 0), lifetimes);
    expect(applied).toEqual([]);
    await store.rotate(present('s', 0), lifetimes);
    expect(applied).toEqual([{ kind: 'sid', value: 's', until: NOW + REUSE.accessMs }]);
  });

  it('the absolute lifetime asked for now is checked, also where it is shorter than the one the session was created with (a replay included)', async () => {
    const store = new MemorySessionStore();
    await store.createSession(session('s'), LIFETIMES);
    await store.createSession(session('r'), LIFETIMES);
    at(NOW + 1000);
    expect((await store.rotate(present('s', 0), LIFETIMES)).status).toBe('rotated');
    expect((await store.rotate(present('r', 0), LIFETIMES)).status).toBe('rotated');
    // A later deployment lowers the absolute lifetime to 1.5 s: within the grace period, past the new lifetime.
    at(NOW + 1500);
    const shorter = { ...LIFETIMES, maxMs: 1500 };
    expect(await store.rotate(present('r', 0), shorter)).toEqual({ status: 'unknown' });
    expect(await store.rotate(present('s', 1), shorter)).toEqual({ status: 'unknown' });
    // The session is gone, whatever lifetime is asked for next.
    expect(await store.rotate(present('s', 1), LIFETIMES)).toEqual({ status: 'unknown' });
  });

  it('a refresh token expires after the idle timeout, and no refresh succeeds past the absolute lifetime', async () => {
    const store = new MemorySessionStore();
    await store.createSession(session('idle'), LIFETIMES);
    await store.createSession(session('busy'), LIFETIMES);
    at(NOW + LIFETIMES.idleMs);
    expect(await store.rotate(present('idle', 0), LIFETIMES)).toEqual({ status: 'unknown' });
    let n = 0;
    for (let t = NOW + LIFETIMES.idleMs - 1; t < NOW + LIFETIMES.maxMs; t += LIFETIMES.idleMs - 1) {
      at(t);
      expect((await store.rotate(present('busy', n++), LIFETIMES)).status).toBe('rotated');
    }
    at(NOW + LIFETIMES.maxMs);
    expect(await store.rotate(present('busy', n), LIFETIMES)).toEqual({ status: 'unknown' });
  });

  it('cut-offs: a session stamped up to one is revoked, one created in the same millisecond after it is not; a revoked sid is gone', async () => {
    const store = new MemorySessionStore();
    await store.createSession(session('before', 'bob'), LIFETIMES);
    await store.createSession(session('other', 'carol'), LIFETIMES);
    await store.createSession(session('gone'), LIFETIMES);
    const recorded = await store.revoke([
      { kind: 'sub', value: 'bob', accessMs: 1000, refreshMs: 60_000 },
      { kind: 'sid', value: 'gone', accessMs: 1000, refreshMs: 60_000 },
    ]);
    expect(recorded).toEqual([
      { kind: 'sub', value: 'bob', until: NOW + 1000, before: NOW },
      { kind: 'sid', value: 'gone', until: NOW + 1000 },
    ]);
    expect(await store.createSession(session('after', 'bob'), LIFETIMES)).toBe(NOW + 1);
    expect(await store.rotate(present('before', 0), LIFETIMES)).toEqual({ status: 'revoked' });
    expect((await store.rotate(present('after', 0), LIFETIMES)).status).toBe('rotated');
    expect(await store.rotate(present('gone', 0), LIFETIMES)).toEqual({ status: 'unknown' });
    expect((await store.rotate(present('other', 0), LIFETIMES)).status).toBe('rotated');

    // The bulk cut-off covers every subject; a time later than now counts as now.
    at(NOW + 5);
    expect(await store.revoke([{ kind: 'all', value: '', before: NOW + 60_000, accessMs: 1000, refreshMs: 60_000 }])).toEqual([
      { kind: 'all', value: '', until: NOW + 1005, before: NOW + 5 },
    ]);
    expect(await store.rotate(present('other', 1), LIFETIMES)).toEqual({ status: 'revoked' });
    expect(await store.createSession(session('new', 'carol'), LIFETIMES)).toBe(NOW + 6);
  });

  it('hands revocations as recorded to every watching sink, and confirms it at once: a local store is never stale', async () => {
    const store = new MemorySessionStore();
    const applied: unknown[] = [];
    const confirmed: number[] = [];
    await store.watch({ apply: (revocations) => applied.push(...revocations), confirm: (time) => confirmed.push(time) });
    await store.revoke([{ kind: 'jti', value: 'j-1', until: NOW + 10 }]);
    expect(applied).toEqual([{ kind: 'jti', value: 'j-1', until: NOW + 10 }]);
    expect(confirmed).toEqual([NOW]);
  });
});
