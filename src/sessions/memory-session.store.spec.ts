import { MemorySessionStore } from './memory-session.store.js';
import type { RefreshRecord } from './session-store.interface.js';

const NOW = 1_750_000_000_000;
const record = (extra: Partial<RefreshRecord> = {}): RefreshRecord => ({
  sid: 's-1',
  sub: 'alice',
  iat: NOW / 1000,
  expiresAt: NOW + 60_000,
  claims: {},
  ...extra,
});

describe('MemorySessionStore (explicit clock)', () => {
  it('consumes a refresh token once, then reports reuse; refuses it at and after its expiry', async () => {
    const store = new MemorySessionStore();
    await store.saveRefreshToken('h-1', record());
    await store.saveRefreshToken('h-2', record());
    expect(await store.consumeRefreshToken('h-1', NOW)).toMatchObject({ status: 'used', record: { sid: 's-1' } });
    expect(await store.consumeRefreshToken('h-1', NOW)).toMatchObject({ status: 'reused', record: { sid: 's-1' } });
    expect(await store.consumeRefreshToken('h-2', NOW + 60_000)).toEqual({ status: 'unknown' });
    expect(await store.consumeRefreshToken('h-3', NOW)).toEqual({ status: 'unknown' });
  });

  it('refuses refresh tokens of a revoked session, and of a subject revoked after they were issued, until refreshUntil', async () => {
    const store = new MemorySessionStore();
    await store.saveRefreshToken('session', record({ sid: 's-2' }));
    await store.saveRefreshToken('older', record({ sid: 's-3', sub: 'bob', iat: 100 }));
    await store.saveRefreshToken('newer', record({ sid: 's-4', sub: 'bob', iat: 201 }));
    await store.saveRefreshToken('later', record({ sid: 's-5' }));
    await store.revoke([
      { kind: 'sid', value: 's-2', until: NOW + 1000, refreshUntil: NOW + 60_000 },
      { kind: 'sub', value: 'bob', until: NOW + 1000, before: 200, refreshUntil: NOW + 60_000 },
      { kind: 'sid', value: 's-5', until: NOW + 1000, refreshUntil: NOW + 10 },
    ]);
    expect(await store.consumeRefreshToken('session', NOW)).toEqual({ status: 'revoked' });
    expect(await store.consumeRefreshToken('older', NOW)).toEqual({ status: 'revoked' });
    expect((await store.consumeRefreshToken('newer', NOW)).status).toBe('used');
    // Past refreshUntil the entry is forgotten (any token it concerned has expired by then in real use).
    expect((await store.consumeRefreshToken('later', NOW + 10)).status).toBe('used');
  });

  it('hands revocations to every watching sink, and confirms it at once: a local store is never stale', async () => {
    const store = new MemorySessionStore();
    const applied: unknown[] = [];
    const confirmed: number[] = [];
    await store.watch({ apply: (revocations) => applied.push(...revocations), confirm: (at) => confirmed.push(at) });
    const revocation = { kind: 'jti', value: 'j-1', until: NOW } as const;
    await store.revoke([revocation]);
    expect(applied).toEqual([revocation]);
    expect(confirmed).toHaveLength(1);
  });
});
