import type { INestApplication } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { Redis } from 'ioredis';
import { SessionService } from '../src/index.js';
import { createApp } from './fixtures/app.js';
import { SessionsController } from './fixtures/sessions.controller.js';
import { startDelayProxy, type DelayProxy } from './support/delay-proxy.js';
import { listen, request, type HttpResult } from './support/http.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { SETUP_TIMEOUT } from './support/processes.js';
import { startRedis, type RedisServer } from './support/redis.js';
import { until } from './support/until.js';

/** Redis is this slow for the slow instance, each way. */
const DELAY_MS = 600;

interface Pair {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
}

interface Instance {
  app: INestApplication;
  url: string;
}

/**
 * Three Nest apps on one real redis-server, as three instances of one service, and a fourth whose path to Redis goes
 * through a proxy that delays every packet: races a single app cannot show.
 */
describe('sessions across instances on one redis-server: races', () => {
  let keys: KeyFiles;
  let redis: RedisServer;
  let proxy: DelayProxy;
  const instances: Instance[] = [];
  let a: Instance;
  let b: Instance;
  let c: Instance;
  /** Reaches Redis through the delaying proxy. */
  let slow: Instance;

  async function start(redisUrl: string, timeoutMs: number): Promise<Instance> {
    const { app } = await createApp({
      env: {
        JWT_PRIVATE_KEY_PATH: keys.privatePath,
        JWT_SESSIONS_ENABLED: 'true',
        JWT_SESSION_STORE: 'redis',
        JWT_REDIS_URL: redisUrl,
        JWT_REDIS_TIMEOUT: String(timeoutMs / 1000),
      },
      controllers: [SessionsController],
    });
    const instance = { app, url: '' };
    instances.push(instance);
    instance.url = await listen(app);
    return instance;
  }

  beforeAll(async () => {
    keys = createKeyFiles();
    redis = await startRedis();
    proxy = await startDelayProxy(redis.port, DELAY_MS);
    [a, b, c] = [await start(redis.url, 1000), await start(redis.url, 1000), await start(redis.url, 1000)];
    // A round trip takes 2 x DELAY_MS: the timeout leaves room for it.
    slow = await start(proxy.url, 5 * DELAY_MS);
  }, SETUP_TIMEOUT);
  afterAll(async () => {
    for (const { app } of instances) await app.close();
    await proxy?.close();
    await redis?.stop();
    keys?.cleanup();
  });

  const login = async (instance: Instance, sub: string): Promise<Pair> => {
    const response = await request(instance.url, '/session/login', { method: 'POST', body: { sub } });
    expect(response.status).toBe(200);
    return response.body;
  };
  const refresh = (instance: Instance, token: string): Promise<HttpResult> =>
    request(instance.url, '/session/refresh', { method: 'POST', body: { refresh_token: token } });
  const status = async (instance: Instance, token: string): Promise<number> => (await request(instance.url, '/profile', { token })).status;

  it('50 concurrent refreshes with one token over three instances: one successor pair, which every caller gets, and which works everywhere', async () => {
    const pair = await login(a, 'tabs');
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => refresh([a, b, c][i % 3], pair.refreshToken)));
    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
    const successor = responses[0].body as Pair;
    for (const response of responses) expect(response.body).toEqual(successor);
    for (const instance of [a, b, c]) expect(await status(instance, successor.accessToken)).toBe(200);
    const next = await refresh(c, successor.refreshToken);
    expect(next.status).toBe(200);
    for (const instance of [a, b, c]) expect(await status(instance, next.body.accessToken)).toBe(200);
  });

  it('"sign out everywhere" acknowledged while a refresh is in flight on a slow instance: what that refresh returns is unusable', async () => {
    const pair = await login(a, 'in-flight');
    expect(await status(slow, pair.accessToken)).toBe(200);
    // The refresh's script reaches Redis DELAY_MS after it is sent; its answer is held on the way back until the
    // revocation has been acknowledged.
    const reached = new Promise<void>((done) => {
      const stop = proxy.onForward((chunk) => {
        if (/eval/i.test(chunk.toString('latin1'))) {
          stop();
          done();
        }
      });
    });
    let completed = false;
    const inFlight = refresh(slow, pair.refreshToken).then((response) => {
      completed = true;
      return response;
    });
    await reached;
    const release = proxy.holdAnswers();
    try {
      expect((await request(a.url, '/session/logout-all', { method: 'POST', token: pair.accessToken })).status).toBe(204);
      expect(completed).toBe(false);
    } finally {
      release();
    }

    // Redis ran the rotation before the revocation: the slow instance answers with a pair, after the revocation.
    const late = await inFlight;
    expect(late.status).toBe(200);
    const { accessToken, refreshToken } = late.body as Pair;
    expect(await status(a, accessToken)).toBe(401);
    await until(async () => (await status(b, accessToken)) === 401, 5000, 'revocation seen by B');
    // The slow instance hears of the revocation DELAY_MS after it was published.
    await until(async () => (await status(slow, accessToken)) === 401, 5 * DELAY_MS, 'revocation seen by the slow instance');
    for (const instance of [a, slow]) expect((await refresh(instance, refreshToken)).status).toBe(401);
    // And the user signs in again at once, on any instance.
    const again = await login(slow, 'in-flight');
    for (const instance of [a, b, slow]) expect(await status(instance, again.accessToken)).toBe(200);
  });

  it('a bulk cut-off is one record, given back to a Redis that restarted empty like the other revocations', async () => {
    const pairs = [await login(a, 'incident-1'), await login(b, 'incident-2')];
    await a.app.get(SessionService).revokeIssuedBefore();
    const client = new Redis(redis.url);
    try {
      // One entry for everyone, not one per subject or token.
      expect((await client.hkeys('rs256-auth:revocations')).filter((field) => field.startsWith('all'))).toEqual(['all:']);
    } finally {
      client.disconnect();
    }
    await redis.stop();
    await redis.start();
    // An instance started now may load the emptied server before the others give the cut-off back: it learns it then.
    const d = await start(redis.url, 1000);
    for (const pair of pairs) {
      await until(async () => (await status(d, pair.accessToken)) === 401, 5000, 'cut-off known to a new instance');
    }
    const after = await login(d, 'incident-1');
    for (const instance of [a, b, d]) {
      await until(async () => (await status(instance, after.accessToken)) === 200, 5000, 'instance serving again');
      for (const pair of pairs) expect(await status(instance, pair.accessToken)).toBe(401);
    }
  });

  it('a subject cut-off written by the previous version (in seconds) is read as the end of that second', async () => {
    // The next second: later than the bulk cut-off above, and within the clock tolerance for `iat`.
    const second = Math.floor(Date.now() / 1000) + 1;
    const client = new Redis(redis.url);
    try {
      await client.hset('rs256-auth:revocations', 'sub:legacy', `${Date.now() + 60_000}|${second}`);
    } finally {
      client.disconnect();
    }
    const e = await start(redis.url, 1000);
    const jwt = e.app.get(JwtService);
    expect(await status(e, jwt.sign({ sub: 'legacy', iat: second }))).toBe(401);
    expect(await status(e, jwt.sign({ sub: 'legacy', iat: second + 1 }))).toBe(200);
  });
});
