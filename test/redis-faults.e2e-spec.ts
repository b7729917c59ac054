import { JwtService } from '@nestjs/jwt';
import { Redis } from 'ioredis';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Rs256AuthError } from '../src/index.js';
import { startDelayProxy } from './support/delay-proxy.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { fillRevocations, startRedis } from './support/redis.js';
import { login, post, refresh, signIn, status, suite } from './support/session-instances.js';
import { until } from './support/until.js';

/**
 * Redis at scale and in faults, with real redis-server processes: a million revocations, a restart that empties it,
 * a restart from an older snapshot, an eviction policy that could drop the list, a connection that goes silent.
 * How fast (load time, RSS, re-seed time) is measured by `npm run bench`, not asserted here.
 */
let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

const baseEnv = (): Record<string, string> => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath });

describe('a million revocations', () => {
  const { instances, started } = suite(baseEnv, async (keep) => {
    const redis = keep(await startRedis());
    await fillRevocations(redis.url, 1_000_000, 'bulk-');
    return redis;
  });

  it('load in pages: a new instance (default 1 s timeout) accepts a valid token and refuses one of the million', async () => {
    const redis = started();
    const a = await instances.start({ JWT_REDIS_URL: redis.url });
    const jwt = a.app.get(JwtService);
    const valid = jwt.sign({ sub: 'someone', sid: 'not-revoked' });
    const revoked = jwt.sign({ sub: 'someone', sid: 'bulk-765432' });
    // Functional bound only: the figures (about 2 s here) are the bench's.
    await until(async () => (await status(a, valid)) === 200, 60_000, 'the list loaded');
    expect(await status(a, revoked)).toBe(401);
    // A slow load is not an unreachable server.
    expect(a.logs.matching(/Redis session store unreachable/)).toEqual([]);
  }, 90_000);
});

describe('an empty Redis restart', () => {
  const { instances, started } = suite(baseEnv, async (keep) => keep(await startRedis()));

  it('one instance gives the list back without publishing it; the others load it once; no valid token refused past the staleness bound', async () => {
    const redis = started();
    const entries = 20_000;
    await fillRevocations(redis.url, entries, 'known-');
    const env = { JWT_REDIS_URL: redis.url, JWT_REVOCATION_MAX_STALENESS: '2' };
    const all = [await instances.start(env), await instances.start(env), await instances.start(env)];
    const jwt = all[0].app.get(JwtService);
    const valid = jwt.sign({ sub: 'someone', sid: 'live' });
    const revoked = jwt.sign({ sub: 'someone', sid: 'known-12345' });
    for (const instance of all) await until(async () => (await status(instance, valid)) === 200, 10_000, 'loaded');

    await redis.stop();
    await redis.start();
    const restarted = performance.now();
    // Everything published on the channel from now on, counted as revocations.
    const listener = new Redis(redis.url);
    let published = 0;
    listener.on('message', (_channel: string, message: string) => {
      const parsed: unknown = JSON.parse(message);
      published += Array.isArray(parsed) ? parsed.length : 0;
    });
    try {
      await listener.subscribe('rs256-auth:revocations');
      const client = new Redis(redis.url);
      try {
        await until(async () => (await client.hlen('rs256-auth:revocations')) === entries, 20_000, 'the list given back');
      } finally {
        client.disconnect();
      }
      for (const instance of all) {
        await until(async () => (await status(instance, valid)) === 200, 10_000, 'serving again');
        expect(await status(instance, revoked)).toBe(401);
      }
      // Accepted again well within the staleness bound plus a reconnection (about 1 s).
      expect(performance.now() - restarted).toBeLessThan(2000 + 5000);
      // One instance gave the list back, as script calls that publish nothing: no instance received N x M entries.
      // Counted over every capture: in one process, Nest's static logger writes to the last application's.
      expect(all.flatMap((instance) => instance.logs.matching(/gave \d+ revocations back/))).toHaveLength(1);
      expect(published).toBe(0);
    } finally {
      listener.disconnect();
    }
    // A new instance finds the whole list in Redis.
    const late = await instances.start(env);
    await until(async () => (await status(late, valid)) === 200, 10_000, 'a new instance loaded');
    expect(await status(late, revoked)).toBe(401);
  }, 90_000);
});

/** Has the server write its snapshot (`SAVE`), which it loads when it starts again. */
async function saveSnapshot(url: string): Promise<void> {
  const client = new Redis(url);
  try {
    await client.save();
  } finally {
    client.disconnect();
  }
}

describe('a restart from an older snapshot', () => {
  const { instances, started } = suite(baseEnv, async (keep) => {
    const dir = mkdtempSync(join(tmpdir(), 'rs256-auth-snapshot-'));
    keep({ stop: async () => rmSync(dir, { recursive: true, force: true }) });
    const redis = keep(await startRedis({ dir }));
    // A path to it that the test can cut: instances behind it stay away from a restarted server until it is mended.
    return { redis, proxy: keep(await startDelayProxy(redis.port, 0)) };
  });

  it('brings back neither a logged-out session nor a subject signed out everywhere, refresh tokens included', async () => {
    const { redis } = started();
    const env = { JWT_REDIS_URL: redis.url };
    const [a, b] = [await instances.start(env), await instances.start(env)];
    const loggedOut = await login(a, 'snapshot-one');
    const signedOut = await login(a, 'snapshot-all');
    // The snapshot, taken before the logout and the logout-all.
    await saveSnapshot(redis.url);
    expect((await post(a, '/session/logout', loggedOut.accessToken)).status).toBe(204);
    expect((await post(b, '/session/logout-all', signedOut.accessToken)).status).toBe(204);

    await redis.stop();
    await redis.start();
    expect(redis.output()).toMatch(/DB loaded from disk/);
    for (const instance of [a, b]) {
      await until(async () => (await refresh(instance, loggedOut.refreshToken)).status === 401, 10_000, 'the logged-out session refused again');
      expect((await refresh(instance, signedOut.refreshToken)).status).toBe(401);
      expect(await status(instance, loggedOut.accessToken)).toBe(401);
      expect(await status(instance, signedOut.accessToken)).toBe(401);
    }
  }, 60_000);

  it('brings back neither a spent refresh token nor a logged-out session, also while the server waits to be given back what it lost', async () => {
    const { redis } = started();
    // No reuse grace: a spent token presented again is a reuse at once.
    const env = { JWT_REDIS_URL: redis.url, JWT_REFRESH_REUSE_GRACE: '0' };
    const [a, b] = [await instances.start(env), await instances.start(env)];
    const spent = await login(a, 'snapshot-spent');
    const loggedOut = await login(a, 'snapshot-logout');
    const client = new Redis(redis.url);
    try {
      // In the snapshot, the re-seed lock of an instance that will never finish: after the restart, every instance
      // waits for it, which makes the time before the re-seed (milliseconds, usually) as long as this test needs.
      await client.set('rs256-auth:reseeding', 'an-instance-gone', 'PX', 60_000);
      await client.save();
      await client.del('rs256-auth:reseeding');
    } finally {
      client.disconnect();
    }
    // After the snapshot: a refresh on B (its token is now spent), a logout on A.
    expect((await refresh(b, spent.refreshToken)).status).toBe(200);
    expect((await post(a, '/session/logout', loggedOut.accessToken)).status).toBe(204);

    await redis.stop();
    await redis.start();
    expect(redis.output()).toMatch(/DB loaded from disk/);
    // Connected again (a sign-in goes through), the server not yet given back what it lost: no refresh reaches it.
    for (const instance of [a, b]) await until(async () => (await signIn(instance, 'snapshot-other')).status === 200, 10_000, 'reconnected');
    for (const instance of [a, b]) {
      expect((await refresh(instance, spent.refreshToken)).status).not.toBe(200);
      expect((await refresh(instance, loggedOut.refreshToken)).status).not.toBe(200);
      expect(await status(instance, loggedOut.accessToken)).toBe(401);
    }

    const restored = new Redis(redis.url);
    try {
      await restored.del('rs256-auth:reseeding');
    } finally {
      restored.disconnect();
    }
    for (const instance of [a, b]) {
      await until(async () => (await refresh(instance, loggedOut.refreshToken)).status === 401, 10_000, 'given back: the logged-out session refused');
      expect(await status(instance, loggedOut.accessToken)).toBe(401);
    }
    const reused = await refresh(b, spent.refreshToken);
    expect(reused.status).toBe(401);
    expect(reused.body.code).toBe('RS256_REFRESH_TOKEN_REUSED');
    // A reuse revokes the session: its access tokens too, on both instances.
    for (const instance of [a, b]) await until(async () => (await status(instance, spent.accessToken)) === 401, 5000, 'the reused session revoked');
  }, 60_000);

  it('a new instance started before the running ones reconnect serves no refresh until they have given back what the server lost', async () => {
    const { redis, proxy } = started();
    // The earlier tests' instances would give the server back what they know, sooner than this test looks.
    await instances.stopAll();
    const env = { JWT_REFRESH_REUSE_GRACE: '0' };
    // A and B reach the server through the proxy; C, started later (autoscaling, a deploy), directly.
    const [a, b] = [await instances.start({ ...env, JWT_REDIS_URL: proxy.url }), await instances.start({ ...env, JWT_REDIS_URL: proxy.url })];
    const spent = await login(a, 'late-spent');
    const loggedOut = await login(a, 'late-logout');
    await saveSnapshot(redis.url);
    expect((await refresh(b, spent.refreshToken)).status).toBe(200);
    expect((await post(a, '/session/logout', loggedOut.accessToken)).status).toBe(204);

    // A and B lose the server, which restarts from the snapshot taken before the refresh and the logout.
    const mend = proxy.cut();
    let mended = false;
    try {
      await redis.stop();
      await redis.start();
      expect(redis.output()).toMatch(/DB loaded from disk/);
      const c = await instances.start({ ...env, JWT_REDIS_URL: redis.url });
      // The server holds the session records as they were before the refresh and the logout: C does not rotate them.
      for (const token of [spent.refreshToken, loggedOut.refreshToken]) {
        const refused = await refresh(c, token);
        expect(refused.status).toBe(503);
        expect(refused.body.message).toMatch(/not yet given back what it lost/);
      }
      expect(await status(c, loggedOut.accessToken)).not.toBe(200);

      mend();
      mended = true;
      // A or B gives the server back what it lost; C then refuses both tokens for what they are.
      await until(async () => (await refresh(c, loggedOut.refreshToken)).status === 401, 10_000, 'given back: the logged-out session refused on C');
      expect(await status(c, loggedOut.accessToken)).toBe(401);
      const reused = await refresh(c, spent.refreshToken);
      expect(reused.status).toBe(401);
      expect(reused.body.code).toBe('RS256_REFRESH_TOKEN_REUSED');
      expect([a, b, c].flatMap((instance) => instance.logs.matching(/gave \d+ revocations back/))).toHaveLength(1);
    } finally {
      if (!mended) mend();
    }
  }, 60_000);

  it('a lone instance restarted with the server restored, nobody knowing more, serves refreshes again after a bounded wait', async () => {
    const { redis } = started();
    await instances.stopAll();
    const env = { JWT_REDIS_URL: redis.url };
    const a = await instances.start(env);
    await saveSnapshot(redis.url);
    await instances.stop(a);
    await redis.stop();
    await redis.start();

    const restarted = await instances.start(env);
    const fresh = await login(restarted, 'lone');
    expect((await refresh(restarted, fresh.refreshToken)).status).toBe(503);
    // The bound is the re-seed lock's lifetime (15 s); no instance comes, so it serves what the server holds.
    await until(async () => (await refresh(restarted, fresh.refreshToken)).status === 200, 30_000, 'refreshes served again');
    expect(restarted.logs.matching(/no instance gave it back what it lost within 15 s/)).toHaveLength(1);
    // Recorded: an instance started now does not wait.
    const later = await instances.start(env);
    expect((await refresh(later, (await login(later, 'lone-later')).refreshToken)).status).toBe(200);
  }, 60_000);
});

describe('maxmemory-policy', () => {
  const { instances, started } = suite(baseEnv, async (keep) => ({
    lru: keep(await startRedis({ args: ['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru'] })),
    volatile: keep(await startRedis({ args: ['--maxmemory', '64mb', '--maxmemory-policy', 'volatile-lru'] })),
  }));

  it('a policy that can evict the revocation list stops start-up, naming the setting', async () => {
    const error = await instances.start({ JWT_REDIS_URL: started().lru.url }).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(Rs256AuthError);
    expect((error as Rs256AuthError).code).toBe('RS256_CONFIG_INVALID');
    expect((error as Error).message).toMatch(/maxmemory-policy is allkeys-lru.*set maxmemory-policy to noeviction/);
  });

  it('a policy that can evict only sessions starts, with a warning', async () => {
    const instance = await instances.start({ JWT_REDIS_URL: started().volatile.url });
    expect(instance.logs.matching(/WARN Redis maxmemory-policy is volatile-lru/)).toHaveLength(1);
  });
});

describe('a connection that goes silent', () => {
  const { instances, started } = suite(baseEnv, async (keep) => {
    const redis = keep(await startRedis());
    return { redis, proxy: keep(await startDelayProxy(redis.port, 0)) };
  });

  it('is ended and opened again: within the staleness bound + 5 s, valid tokens pass and a logout made elsewhere meanwhile is in force', async () => {
    const { redis, proxy } = started();
    const staleness = 1000;
    const silent = await instances.start({
      JWT_REDIS_URL: proxy.url,
      JWT_REDIS_TIMEOUT: '0.3',
      JWT_REVOCATION_MAX_STALENESS: String(staleness / 1000),
    });
    const direct = await instances.start({ JWT_REDIS_URL: redis.url });
    const valid = await login(silent, 'stall');
    const loggedOut = await login(direct, 'stall');
    expect(await status(silent, loggedOut.accessToken)).toBe(200);

    proxy.stallOpenConnections();
    const stalled = performance.now();
    // Made while the path is silent: the instance learns it only through a new connection.
    expect((await post(direct, '/session/logout', loggedOut.accessToken)).status).toBe(204);
    await until(
      async () => (await status(silent, loggedOut.accessToken)) === 401 && (await status(silent, valid.accessToken)) === 200,
      staleness + 5000,
      'recovered from the stall',
    );
    expect(performance.now() - stalled).toBeLessThan(staleness + 5000);
    await until(async () => (await refresh(silent, valid.refreshToken)).status === 200, 5000, 'refresh through a new connection');
  }, 30_000);
});
