import { Redis } from 'ioredis';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { startRedis, startRedisCluster, startRedisSentinel } from './support/redis.js';
import { login, post, refresh, signIn, status, suite } from './support/session-instances.js';
import { until } from './support/until.js';

/**
 * The Redis shapes teams run, each with real redis-server processes on loopback: Sentinel (a primary, a replica,
 * a sentinel), a three-master Cluster built by `redis-cli --cluster create`, and a client the application makes.
 */
let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());
const baseEnv = (): Record<string, string> => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath });

describe('Redis Sentinel (JWT_REDIS_SENTINELS, JWT_REDIS_SENTINEL_MASTER)', () => {
  const { instances, started } = suite(
    () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_REVOCATION_MAX_STALENESS: '3' }),
    async (keep) => keep(await startRedisSentinel()),
  );

  it('after the primary is killed, sign-in works again within 15 s on the promoted replica, and a logout-all made then is honoured by every instance', async () => {
    const set = started();
    const env = { JWT_REDIS_SENTINELS: `127.0.0.1:${set.sentinelPort}`, JWT_REDIS_SENTINEL_MASTER: set.master };
    const [a, b] = [await instances.start(env), await instances.start(env)];
    const before = await login(a, 'failover');
    expect(await status(b, before.accessToken)).toBe(200);

    await set.primary.kill();
    await until(
      async () => (await signIn(a, 'failover')).status === 200 && (await signIn(b, 'failover')).status === 200,
      15_000,
      'sign-in on the promoted replica',
    );
    // The sentinel logs the switch once it has reconfigured the replicas, which may come just after the promoted
    // replica already answers.
    await until(async () => Promise.resolve(set.sentinelOutput().includes('+switch-master')), 5000, 'the sentinel announcing the switch');

    const after = await login(b, 'failover');
    await until(async () => (await status(a, after.accessToken)) === 200, 5000, 'A serving after the failover');
    expect((await post(a, '/session/logout-all', after.accessToken)).status).toBe(204);
    for (const instance of [a, b]) {
      await until(async () => (await status(instance, after.accessToken)) === 401, 2000, 'logout-all honoured');
      expect(await status(instance, before.accessToken)).toBe(401);
      // 503 (try again) until the instance knows the new primary was given back what instances know: then 401.
      await until(async () => (await refresh(instance, after.refreshToken)).status === 401, 2000, 'the refresh token refused');
    }
  }, 60_000);
});

describe('Redis Cluster (JWT_REDIS_CLUSTER_NODES)', () => {
  const { instances, started } = suite(baseEnv, async (keep) => keep(await startRedisCluster()));

  it('sign-in on one instance, refresh on another, logout-all on the first: the token is refused on the second within 1 s', async () => {
    const cluster = started();
    // Each instance knows one seed node; whichever owns the store's slot, the other nodes answer MOVED.
    const [first, second] = cluster.nodes;
    const a = await instances.start({ JWT_REDIS_CLUSTER_NODES: `127.0.0.1:${first.port}` });
    const b = await instances.start({ JWT_REDIS_CLUSTER_NODES: `127.0.0.1:${second.port}` });
    // Started, an instance has waited for the cluster at most its timeout: it may still be learning the slots.
    await until(async () => (await signIn(a, 'cluster')).status === 200 && (await signIn(b, 'cluster')).status === 200, 10_000, 'cluster reachable');
    const signedIn = await login(a, 'cluster');
    const refreshed = await refresh(b, signedIn.refreshToken);
    expect(refreshed.status).toBe(200);
    expect(await status(b, refreshed.body.accessToken)).toBe(200);

    expect((await post(a, '/session/logout-all', refreshed.body.accessToken)).status).toBe(204);
    await until(async () => (await status(b, refreshed.body.accessToken)) === 401, 1000, 'logout-all on A refused on B');
    expect((await refresh(b, refreshed.body.refreshToken)).status).toBe(401);
    expect(await status(b, signedIn.accessToken)).toBe(401);

    // Every key of the store in one slot, named with the prefix as its hash tag.
    const slots = new Set<number>();
    for (const node of cluster.nodes) {
      const direct = new Redis({ port: node.port, host: '127.0.0.1' });
      try {
        for (const key of await direct.keys('*')) {
          expect(key.startsWith('{rs256-auth:}')).toBe(true);
          slots.add(Number(await direct.cluster('KEYSLOT', key)));
        }
      } finally {
        direct.disconnect();
      }
    }
    expect(slots.size).toBe(1);
  }, 60_000);
});

describe('sessions.redis.client option', () => {
  const { instances, started } = suite(baseEnv, async (keep) => keep(await startRedis()));

  it('sends the store through the client the factory returns, and leaves it open when the application closes', async () => {
    const redis = started();
    const own = new Redis(redis.url);
    try {
      const a = await instances.start({}, { sessions: { redis: { client: () => own } } });
      const b = await instances.start({ JWT_REDIS_URL: redis.url });
      const pair = await login(a, 'factory');
      expect(await own.exists(`rs256-auth:session:{${pair.sessionId}}`)).toBe(1);
      expect((await post(a, '/session/logout', pair.accessToken)).status).toBe(204);
      await until(async () => (await status(b, pair.accessToken)) === 401, 1000, 'logout through the given client seen by B');

      await instances.stop(a);
      expect(own.status).toBe('ready');
      expect(await own.ping()).toBe('PONG');
    } finally {
      own.disconnect();
    }
  });
});

describe('no credentials in a log', () => {
  const { instances } = suite(baseEnv, async () => undefined);

  it.each([
    ['Sentinel', { JWT_REDIS_SENTINELS: 'redis://:hunter2@127.0.0.1:1', JWT_REDIS_SENTINEL_MASTER: 'rediss://:hunter2@mymaster/0' }],
    ['Cluster', { JWT_REDIS_CLUSTER_NODES: 'redis://admin:hunter2@127.0.0.1:1' }],
    ['URL', { JWT_REDIS_URL: 'redis://admin:hunter2@127.0.0.1:1/0' }],
  ])('%s out of reach: the warning names the failure, never the password', async (_shape, env) => {
    const instance = await instances.start({ ...env, JWT_REDIS_TIMEOUT: '0.2' });
    await until(async () => instance.logs.matching(/Redis session store unreachable/).length > 0, 5000, 'the warning');
    expect(instance.logs.lines.join('\n')).not.toContain('hunter2');
  });
});
