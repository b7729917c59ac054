import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';
import { request } from './support/http.js';
import { ROOT } from './support/paths.js';
import { createDevKeys, SETUP_TIMEOUT, startDemo, stopDemo, type ServerProcess } from './support/processes.js';
import { startRedis, type RedisServer } from './support/redis.js';
import { until } from './support/until.js';

/** Small bounds, so the fault tests take about a second each instead of the defaults' ten. */
const MAX_STALENESS_MS = 1000;
const REDIS_TIMEOUT_MS = 200;
/** The reuse grace period (s) of A and B: long, so that what must happen within it does, however slow a request. */
const REUSE_GRACE = 30;
/** The grace period (s) of the instance the reuse test presents a spent token to: it polls until it has passed. */
const SHORT_GRACE = 2;
/** The stated propagation bound: a revocation on one instance is in force on the others within it (99th percentile). */
const PROPAGATION_BOUND_MS = 100;

interface Pair {
  access_token: string;
  refresh_token: string;
}

describe('two demo instances sharing one redis-server', () => {
  let redis: RedisServer;
  let cwd: string;
  let env: Record<string, string>;
  let a: ServerProcess;
  let b: ServerProcess;
  /** A third instance configured to fail open. */
  let open: ServerProcess;
  /** A fourth with a short reuse grace period, for the test that goes past it. */
  let short: ServerProcess;
  const started: ServerProcess[] = [];

  beforeAll(async () => {
    redis = await startRedis();
    cwd = mkdtempSync(join(tmpdir(), 'rs256-auth-instances-'));
    expect(createDevKeys(cwd).status).toBe(0);
    env = {
      JWT_SESSION_STORE: 'redis',
      JWT_REDIS_URL: redis.url,
      JWT_REDIS_TIMEOUT: String(REDIS_TIMEOUT_MS / 1000),
      JWT_REVOCATION_MAX_STALENESS: String(MAX_STALENESS_MS / 1000),
      JWT_REFRESH_REUSE_GRACE: String(REUSE_GRACE),
    };
    [a, b, open, short] = await Promise.all([
      startDemo(cwd, env),
      startDemo(cwd, env),
      startDemo(cwd, { ...env, JWT_REVOCATION_FAIL_OPEN: 'true' }),
      startDemo(cwd, { ...env, JWT_REFRESH_REUSE_GRACE: String(SHORT_GRACE) }),
    ]);
    started.push(a, b, open, short);
  }, SETUP_TIMEOUT);
  afterAll(async () => {
    redis?.resume();
    await Promise.all(started.map(stopDemo));
    await redis?.stop();
    rmSync(cwd, { recursive: true, force: true });
  });

  async function login(server: ServerProcess, username = 'demo', password = 'demo-password'): Promise<Pair> {
    const response = await request(server.url, '/auth/login', { method: 'POST', body: { username, password } });
    expect(response.status).toBe(200);
    return response.body;
  }
  const refresh = (server: ServerProcess, pair: Pair) =>
    request(server.url, '/auth/refresh', { method: 'POST', body: { refresh_token: pair.refresh_token } });
  const status = async (server: ServerProcess, pair: Pair): Promise<number> =>
    (await request(server.url, '/profile', { token: pair.access_token })).status;
  const post = (server: ServerProcess, path: string, pair: Pair) => request(server.url, path, { method: 'POST', token: pair.access_token });

  it('a session started on A refreshes on B; on A, a token spent on B gets the same pair within the grace period', async () => {
    const first = await login(a);
    const second = (await refresh(b, first)).body as Pair;
    expect(await status(a, second)).toBe(200);
    const replay = await refresh(a, first);
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(second);
  });

  it('a token spent on B and presented past the grace period ends the session on every instance', async () => {
    const first = await login(a);
    const second = (await refresh(b, first)).body as Pair;
    expect(await status(a, second)).toBe(200);
    let reuse: Awaited<ReturnType<typeof refresh>> | undefined;
    await until(
      async () => {
        reuse = await refresh(short, first);
        return reuse.status !== 200;
      },
      SHORT_GRACE * 1000 + 5000,
      'reuse past the grace period',
    );
    expect(reuse!.status).toBe(401);
    expect(reuse!.body.message).toMatch(/already used/);
    for (const server of [a, b]) {
      for (const pair of [first, second]) {
        await until(async () => (await status(server, pair)) === 401, PROPAGATION_BOUND_MS * 10, 'family revoked');
        expect((await refresh(server, pair)).status).toBe(401);
      }
    }
  });

  it(`a logout on A refuses the token on B within ${PROPAGATION_BOUND_MS} ms (99th percentile of 20)`, async () => {
    const delays: number[] = [];
    for (let i = 0; i < 20; i++) {
      const pair = await login(a);
      // Verified once on B: from now on B serves it from its verified-token cache.
      expect(await status(b, pair)).toBe(200);
      expect((await post(a, '/auth/logout', pair)).status).toBe(204);
      delays.push(await until(async () => (await status(b, pair)) === 401, 5000, 'logout on A seen by B'));
    }
    delays.sort((x, y) => x - y);
    expect(delays[Math.ceil(delays.length * 0.99) - 1]).toBeLessThan(PROPAGATION_BOUND_MS);
  });

  it('logout-all on B refuses every token of the user on A, refresh tokens included', async () => {
    const sessions = [await login(a, 'guest', 'guest-password'), await login(b, 'guest', 'guest-password')];
    const bystander = await login(a);
    for (const pair of sessions) expect(await status(a, pair)).toBe(200);
    expect((await post(b, '/auth/logout-all', sessions[1])).status).toBe(204);
    for (const pair of sessions) {
      await until(async () => (await status(a, pair)) === 401, PROPAGATION_BOUND_MS * 10, 'logout-all on B seen by A');
      expect((await refresh(a, pair)).status).toBe(401);
    }
    expect(await status(a, bystander)).toBe(200);
  });

  it('an instance whose clock runs 3 s fast issues nothing that escapes a logout-all done on another instance at once', async () => {
    const fast = await startDemo(cwd, {
      ...env,
      NODE_OPTIONS: `--import=${pathToFileURL(join(ROOT, 'test/support/clock-offset.mjs')).href}`,
      CLOCK_OFFSET_MS: '3000',
    });
    started.push(fast);
    const before = await login(fast, 'guest', 'guest-password');
    const refreshed = (await refresh(fast, before)).body as Pair;
    expect(await status(b, refreshed)).toBe(200);
    expect((await post(b, '/auth/logout-all', refreshed)).status).toBe(204);
    for (const server of [b, a, fast]) {
      await until(async () => (await status(server, refreshed)) === 401, PROPAGATION_BOUND_MS * 10, 'logout-all seen');
      expect(await status(server, before)).toBe(401);
    }
    expect((await refresh(fast, refreshed)).status).toBe(401);
    // Signed in again on the fast instance right after: accepted everywhere.
    const again = await login(fast, 'guest', 'guest-password');
    for (const server of [a, b, fast]) expect(await status(server, again)).toBe(200);
  });

  it('Redis stopped: no hang, 503 for refresh and logout, fail closed past the bound; once back, every revocation is in force everywhere', async () => {
    const revoked = await login(a);
    const live = await login(a);
    expect(await status(b, revoked)).toBe(200);
    expect((await post(a, '/auth/logout', revoked)).status).toBe(204);
    await until(async () => (await status(b, revoked)) === 401, PROPAGATION_BOUND_MS * 10, 'logout seen by B');

    await redis.stop();
    const stoppedAt = performance.now();
    // Within the bound, B goes on with its local view.
    expect(await status(b, live)).toBe(200);
    const calls = [
      () => refresh(a, live),
      () => post(b, '/auth/logout', live),
      () => request(a.url, '/auth/login', { method: 'POST', body: { username: 'demo', password: 'demo-password' } }),
    ];
    for (const call of calls) {
      const start = performance.now();
      expect((await call()).status).toBe(503);
      expect(performance.now() - start).toBeLessThan(REDIS_TIMEOUT_MS + 500);
    }

    // Past the staleness bound B refuses every token, and says why: unavailable (503), not a bad token (401).
    await until(async () => (await status(b, live)) === 503, MAX_STALENESS_MS * 3, 'fail closed');
    expect(performance.now() - stoppedAt).toBeGreaterThan(MAX_STALENESS_MS / 2);
    const refused = await request(b.url, '/profile', { token: live.access_token });
    expect(refused.body.message).toBe('revocation state unavailable; try again later');
    expect(refused.headers.get('retry-after')).toBe('5');
    await b.waitFor('fail closed');
    // Configured to fail open, an instance keeps accepting tokens on its stale list, still refusing what it knows.
    await until(
      async () => {
        expect(await status(open, live)).toBe(200);
        return open.output().includes('accepting tokens on the stale list (JWT_REVOCATION_FAIL_OPEN=true)');
      },
      MAX_STALENESS_MS * 3,
      'fail open',
    );
    expect(await status(open, revoked)).toBe(401);
    expect(b.output()).toMatch(/Redis session store unreachable/);
    expect(b.output()).not.toContain('redis://');
    // An instance started during the outage has never loaded the revocations: it refuses every token at once.
    const d = await startDemo(cwd, env);
    started.push(d);
    expect(await status(d, live)).toBe(503);
    expect((await request(d.url, '/health')).status).toBe(200);

    // Redis comes back empty (no persistence); the instances reconnect and give it their revocations back.
    await redis.start();
    await until(async () => (await status(b, live)) === 200, 5000, 'B serving again');
    await until(async () => (await status(a, live)) === 200, 5000, 'A serving again');
    await until(async () => (await status(d, live)) === 200, 5000, 'D serving');
    await b.waitFor('reachable again');
    // D may have loaded the emptied server before A and B gave it their revocations back: their re-seeding is
    // published, so D learns them all the same.
    await until(async () => (await status(d, revoked)) === 401, PROPAGATION_BOUND_MS * 10, 'D knows the revocation');
    for (const server of [a, b]) expect(await status(server, revoked)).toBe(401);
    // A new instance knows only what Redis holds: the revocation made before the outage is there.
    const c = await startDemo(cwd, env);
    started.push(c);
    expect(await status(c, live)).toBe(200);
    expect(await status(c, revoked)).toBe(401);
    // Refresh tokens were lost with Redis's data: refused, never accepted blindly.
    expect((await refresh(c, live)).status).toBe(401);
  });

  it('Redis frozen: refresh answers 503 within the timeout instead of waiting', async () => {
    const pair = await login(a);
    redis.pause();
    try {
      const start = performance.now();
      expect((await refresh(a, pair)).status).toBe(503);
      expect(performance.now() - start).toBeLessThan(REDIS_TIMEOUT_MS + 500);
    } finally {
      redis.resume();
    }
    // The frozen server ran the queued rotation once it resumed: the client's retry, within the reuse grace period,
    // gets the pair that rotation made instead of counting as reuse.
    let retried: Awaited<ReturnType<typeof refresh>> | undefined;
    await until(
      async () => {
        retried = await refresh(a, pair);
        return retried.status !== 503;
      },
      5000,
      'retry after the freeze',
    );
    expect(retried!.status).toBe(200);
    expect(await status(b, retried!.body as Pair)).toBe(200);
    expect((await refresh(b, retried!.body as Pair)).status).toBe(200);
  });
});
