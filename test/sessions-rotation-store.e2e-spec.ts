import { Redis } from 'ioredis';
import { RedisSessionStore } from '../src/sessions/redis-session.store.js';
import type { RotationRequest, SessionLifetimes } from '../src/sessions/session-store.interface.js';
import { startDelayProxy } from './support/delay-proxy.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { startRedis, type RedisServer } from './support/redis.js';
import { login, refresh, status, suite } from './support/session-instances.js';
import { until } from './support/until.js';

/**
 * The rotate script against a real redis-server: a reuse revokes the session's `sid` in the same atomic step as it
 * deletes the session (no second round trip that could time out), and no token is handed out past the absolute
 * lifetime asked for now. The memory store's side of both is in src/sessions/memory-session.store.spec.ts.
 */
let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

const LIFETIMES: SessionLifetimes = { idleMs: 60_000, maxMs: 300_000, graceMs: 30_000 };
const REUSE = { accessMs: 1000, refreshMs: 60_000 };
const present = (sid: string, n: number): RotationRequest => ({
  sid,
  presented: `${sid}-${n}`,
  family: `f-${sid}`,
  next: `${sid}-${n + 1}`,
  nonce: `nonce-${n + 1}`,
  reuse: REUSE,
});

describe('the Redis store, called directly', () => {
  let store: RedisSessionStore;
  let client: Redis;
  let listener: Redis;
  const { started } = suite(
    () => ({}),
    async (keep) => {
      const redis: RedisServer = keep(await startRedis());
      store = await RedisSessionStore.connect({ topology: { kind: 'url', url: redis.url }, timeoutMs: 1000, keyPrefix: 'rs256-auth:' }, 10_000);
      keep({ close: () => store.close() });
      // Watched, as the module does: no rotation goes to a server the store has not synced with.
      await store.watch({ apply: () => undefined, confirm: () => undefined, rotated: () => undefined, entries: () => [], marks: () => [] });
      client = new Redis(redis.url);
      keep({ close: async () => client.disconnect() });
      listener = new Redis(redis.url);
      keep({ close: async () => listener.disconnect() });
      return redis;
    },
  );
  const create = (sid: string, lifetimes = LIFETIMES): Promise<number> =>
    store.createSession({ sid, sub: 'alice', claims: {}, family: `f-${sid}`, current: `${sid}-0` }, lifetimes);
  const serverNow = async (): Promise<number> => {
    const [seconds, micros] = await client.time();
    return Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
  };

  it('reuse deletes the session and records and publishes its sid revocation in the same script call', async () => {
    expect(started()).toBeDefined();
    const messages: string[] = [];
    await listener.subscribe('rs256-auth:revocations');
    listener.on('message', (_channel: string, message: string) => messages.push(message));
    const lifetimes = { ...LIFETIMES, graceMs: 0 };
    await create('reused', lifetimes);
    expect((await store.rotate(present('reused', 0), lifetimes)).status).toBe('rotated');
    const before = await serverNow();
    const result = await store.rotate(present('reused', 0), lifetimes);
    expect(result).toEqual({
      status: 'reused',
      sub: 'alice',
      revoked: [{ kind: 'sid', value: 'reused', until: expect.any(Number), at: expect.any(Number) }],
    });
    const { until: untilMs } = (result as { revoked: { until: number }[] }).revoked[0];
    expect(untilMs).toBeGreaterThanOrEqual(before + REUSE.refreshMs);
    expect(untilMs).toBeLessThan(before + REUSE.refreshMs + 5000);
    expect(await client.exists('rs256-auth:session:{reused}')).toBe(0);
    expect(await client.hget('rs256-auth:revocations', 'sid:reused')).toBe(`${untilMs}|-1`);
    expect(Number(await client.zscore('rs256-auth:revocations:expiry', 'sid:reused'))).toBe(untilMs);
    await until(async () => messages.length > 1, 5000, 'the revocation published');
    // The rotation's mark (sid, stamp, until), then the revocation with its recording time.
    expect(messages.map((message) => JSON.parse(message))).toEqual([
      { rotated: ['reused', expect.any(String), expect.any(String)] },
      [{ kind: 'sid', value: 'reused', until: untilMs, at: expect.any(Number) }],
    ]);
  });

  it('no rotation and no replay past the absolute lifetime asked for now, though the key was set to live longer', async () => {
    const bornAt = await create('lowered');
    await create('replayed');
    expect((await store.rotate(present('lowered', 0), LIFETIMES)).status).toBe('rotated');
    expect((await store.rotate(present('replayed', 0), LIFETIMES)).status).toBe('rotated');
    // A later deployment lowers the absolute lifetime (here to 1 ms), within the grace period of both rotations.
    await until(async () => (await serverNow()) > bornAt + 1, 5000, 'the server clock past the lowered lifetime');
    const lowered = { ...LIFETIMES, maxMs: 1 };
    expect(await store.rotate(present('replayed', 0), lowered)).toEqual({ status: 'unknown' });
    expect(await store.rotate(present('lowered', 1), lowered)).toEqual({ status: 'unknown' });
    expect(await client.exists('rs256-auth:session:{lowered}', 'rs256-auth:session:{replayed}')).toBe(0);
  });
});

describe('a reuse whose answer never reaches the instance', () => {
  const { instances, started } = suite(
    () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath }),
    async (keep) => {
      const redis = keep(await startRedis());
      return { redis, proxy: keep(await startDelayProxy(redis.port, 0)) };
    },
  );

  it("the session's access tokens are refused everywhere all the same: the revocation was part of the reuse", async () => {
    const { redis, proxy } = started();
    // No reuse grace period: presenting a spent token again is reuse at once.
    const env = { JWT_REFRESH_REUSE_GRACE: '0', JWT_REDIS_TIMEOUT: '0.3' };
    const thief = await instances.start({ ...env, JWT_REDIS_URL: proxy.url });
    const other = await instances.start({ ...env, JWT_REDIS_URL: redis.url });
    const stolen = await login(thief, 'victim');
    const rotated = await refresh(thief, stolen.refreshToken);
    expect(rotated.status).toBe(200);
    expect(await status(other, rotated.body.accessToken)).toBe(200);

    // The path to Redis goes silent as soon as the reuse's command has been carried to it: the instance never hears
    // back, and has no second round trip to make.
    const stop = proxy.onForward((chunk) => {
      if (chunk.includes(stolen.sessionId)) proxy.stallOpenConnections();
    });
    try {
      expect([401, 503]).toContain((await refresh(thief, stolen.refreshToken)).status);
    } finally {
      stop();
    }
    await until(async () => (await status(other, rotated.body.accessToken)) === 401, 5000, 'the access token refused on the other instance');
    expect(await status(other, stolen.accessToken)).toBe(401);
    expect((await refresh(other, rotated.body.refreshToken)).status).toBe(401);
  }, 30_000);
});
