import type { INestApplication } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { Redis } from 'ioredis';
import { Test } from '@nestjs/testing';
import { SessionService, Rs256AuthError } from '../src/index.js';
import { appModule, createApp, WIRINGS, type Wiring } from './fixtures/app.js';
import { SessionsController } from './fixtures/sessions.controller.js';
import { listen, request, type HttpResult } from './support/http.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { SETUP_TIMEOUT } from './support/processes.js';
import { startRedis, type RedisServer } from './support/redis.js';
import { until } from './support/until.js';

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

interface Pair {
  accessToken: string;
  refreshToken: string;
  sessionId: string;
}

const payload = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());

type Store = 'memory' | 'redis';

/**
 * The reuse grace period of the apps below (s): long enough that what must happen within it (a retry, 50
 * concurrent refreshes) does on a busy machine, however slow a request.
 */
const GRACE = 30;
/** The grace period of the apps whose tests go past it: they poll until it has passed, so it is kept short. */
const SHORT_GRACE = 2;

/** A Nest app serving the sessions fixture over HTTP, with the tests' ways of calling it. */
interface SessionsOverHttp {
  readonly app: INestApplication;
  readonly url: string;
  /** The redis-server behind a 'redis' store. */
  readonly redis: RedisServer | undefined;
  /** A subject of its own per test, so one test's "sign out everywhere" never reaches another's tokens. */
  newSubject(): string;
  login(sub: string, scope?: string): Promise<Pair>;
  refresh(refreshToken: string): Promise<HttpResult>;
  profile(token: string): Promise<HttpResult>;
  expectRevoked(token: string, reason?: RegExp): Promise<void>;
}

/**
 * Starts the app (and for the 'redis' store a redis-server of its own) before the tests of the enclosing describe
 * and stops both after them. The store comes from the environment with forRoot, from module options with
 * forRootAsync.
 */
function sessionsOverHttp(store: Store, wiring: Wiring, lifetimes: { grace?: number; maxLifetime?: number } = {}): SessionsOverHttp {
  let redis: RedisServer | undefined;
  let app: INestApplication;
  let url: string;
  let subjects = 0;

  beforeAll(async () => {
    redis = store === 'redis' ? await startRedis() : undefined;
    const { grace = GRACE, maxLifetime } = lifetimes;
    const settings =
      wiring === 'forRoot'
        ? {
            env: {
              JWT_SESSIONS_ENABLED: 'true',
              JWT_SESSION_STORE: store,
              JWT_REFRESH_REUSE_GRACE: String(grace),
              ...(maxLifetime !== undefined && { JWT_SESSION_MAX_LIFETIME: String(maxLifetime) }),
              ...(redis && { JWT_REDIS_URL: redis.url }),
            },
          }
        : { options: { sessions: { store, redis: { url: redis?.url }, refreshReuseGrace: grace, maxLifetime } } };
    ({ app } = await createApp({
      wiring,
      ...settings,
      env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, ...settings.env },
      controllers: [SessionsController],
    }));
    url = await listen(app);
  }, SETUP_TIMEOUT);
  afterAll(async () => {
    await app?.close();
    await redis?.stop();
  });

  const profile = (token: string): Promise<HttpResult> => request(url, '/profile', { token });
  return {
    get app() {
      return app;
    },
    get url() {
      return url;
    },
    get redis() {
      return redis;
    },
    newSubject: () => `user-${store}-${wiring}-${++subjects}`,
    async login(sub, scope) {
      const response = await request(url, '/session/login', { method: 'POST', body: { sub, scope } });
      expect(response.status).toBe(200);
      return response.body;
    },
    refresh: (refreshToken) => request(url, '/session/refresh', { method: 'POST', body: { refresh_token: refreshToken } }),
    profile,
    async expectRevoked(token, reason = /revoked/) {
      const response = await profile(token);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
      expect(response.body.message).toMatch(reason);
    },
  };
}

/** Each store with each wiring. */
const STORE_WIRINGS = (['memory', 'redis'] as const).flatMap((store) => WIRINGS.map((wiring) => [store, wiring] as const));

describe.each(STORE_WIRINGS)('sessions over HTTP (%s store, %s)', (store, wiring) => {
  const http = sessionsOverHttp(store, wiring);
  const { newSubject, login, refresh, profile, expectRevoked } = http;

  it('issues an access token with sub, sid, jti, iat_ms and the extra claims, and an opaque 512-bit refresh token', async () => {
    const pair = await login(newSubject(), 'orders:read');
    expect(pair.refreshToken).toMatch(/^[A-Za-z0-9_-]{86}$/);
    expect(Buffer.from(pair.refreshToken, 'base64url')).toHaveLength(64);
    const claims = payload(pair.accessToken);
    expect(claims).toMatchObject({ sid: pair.sessionId, scope: 'orders:read', jti: expect.any(String), iat_ms: expect.any(Number) });
    expect(Math.floor((claims.iat_ms as number) / 1000)).toBe(claims.iat);
    expect((await profile(pair.accessToken)).status).toBe(200);
  });

  it('rotates the refresh token at every refresh, within the same session', async () => {
    const sub = newSubject();
    const first = await login(sub, 'profile');
    const second = (await refresh(first.refreshToken)).body as Pair;
    const third = (await refresh(second.refreshToken)).body as Pair;
    expect(new Set([first.refreshToken, second.refreshToken, third.refreshToken]).size).toBe(3);
    expect(new Set([first.accessToken, second.accessToken, third.accessToken]).size).toBe(3);
    for (const pair of [second, third]) {
      expect(pair.sessionId).toBe(first.sessionId);
      expect(payload(pair.accessToken)).toMatchObject({ sub, sid: first.sessionId, scope: 'profile' });
      expect((await profile(pair.accessToken)).status).toBe(200);
    }
  });

  it('within the grace period a spent token gets the same pair again and an older one is refused harmlessly', async () => {
    const sub = newSubject();
    const family = [await login(sub)];
    for (let i = 0; i < 3; i++) family.push((await refresh(family[i].refreshToken)).body);
    // Every access token of the family has been verified once, so each sits in the verified-token cache.
    for (const pair of family) expect((await profile(pair.accessToken)).status).toBe(200);
    // A retry of the last refresh (its answer was lost, say): the very same pair.
    const retry = await refresh(family[2].refreshToken);
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual(family[3]);

    // Within the grace period an older token is refused, and nothing is revoked.
    const reuse = await refresh(family[1].refreshToken);
    expect(reuse.status).toBe(401);
    expect(reuse.body.message).toMatch(/superseded/);
    for (const pair of family) expect((await profile(pair.accessToken)).status).toBe(200);
    expect((await refresh(family[3].refreshToken)).status).toBe(200);
  });

  it('of 50 concurrent refreshes with one token (two tabs, retries) all get the one successor pair, and it works', async () => {
    const pair = await login(newSubject());
    const responses = await Promise.all(Array.from({ length: 50 }, () => refresh(pair.refreshToken)));
    expect(responses.map((response) => response.status)).toEqual(Array(50).fill(200));
    const successor = responses[0].body as Pair;
    for (const response of responses) expect(response.body).toEqual(successor);
    expect((await profile(successor.accessToken)).status).toBe(200);
    const next = await refresh(successor.refreshToken);
    expect(next.status).toBe(200);
    expect((await profile(next.body.accessToken)).status).toBe(200);
  });

  it('signs in again right after "sign out everywhere": tokens issued after the revocation pass', async () => {
    const sub = newSubject();
    for (let i = 0; i < 3; i++) {
      const before = await login(sub);
      expect((await request(http.url, '/session/logout-all', { method: 'POST', token: before.accessToken })).status).toBe(204);
      const after = await login(sub);
      await expectRevoked(before.accessToken, /signed out everywhere/);
      expect((await profile(after.accessToken)).status).toBe(200);
      const refreshed = await refresh(after.refreshToken);
      expect(refreshed.status).toBe(200);
      expect((await profile(refreshed.body.accessToken)).status).toBe(200);
    }
  });

  it('never takes a refresh token as an access token, nor the reverse', async () => {
    const pair = await login(newSubject());
    const asAccess = await profile(pair.refreshToken);
    expect(asAccess.status).toBe(401);
    expect(asAccess.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    const asRefresh = await refresh(pair.accessToken);
    expect(asRefresh.status).toBe(401);
    expect(asRefresh.body.code).toBe('RS256_REFRESH_TOKEN_INVALID');
    // Neither attempt spent anything.
    expect((await refresh(pair.refreshToken)).status).toBe(200);
  });

  it('revokes one access token by jti; the session lives on', async () => {
    const first = await login(newSubject());
    expect((await profile(first.accessToken)).status).toBe(200);
    expect((await request(http.url, '/session/revoke-token', { method: 'POST', token: first.accessToken })).status).toBe(204);
    await expectRevoked(first.accessToken, /^token revoked$/);
    const next = (await refresh(first.refreshToken)).body as Pair;
    expect((await profile(next.accessToken)).status).toBe(200);
  });

  it('JwtService.verify and verifyAsync refuse a revoked token as the guard does', async () => {
    const pair = await login(newSubject());
    const jwt = http.app.get(JwtService);
    expect(jwt.verify(pair.accessToken)).toMatchObject({ sid: pair.sessionId });
    expect((await request(http.url, '/session/logout', { method: 'POST', token: pair.accessToken })).status).toBe(204);
    expect(() => jwt.verify(pair.accessToken)).toThrow(expect.objectContaining({ code: 'RS256_TOKEN_REVOKED' }));
    await expect(jwt.verifyAsync(pair.accessToken)).rejects.toMatchObject({ code: 'RS256_TOKEN_REVOKED' });
  });

  it('logout revokes the session (sid): its access and refresh tokens; other sessions live on', async () => {
    const sub = newSubject();
    const session = await login(sub);
    const rotated = (await refresh(session.refreshToken)).body as Pair;
    const other = await login(sub);
    expect((await profile(session.accessToken)).status).toBe(200);
    expect((await request(http.url, '/session/logout', { method: 'POST', token: rotated.accessToken })).status).toBe(204);
    await expectRevoked(session.accessToken, /session revoked/);
    await expectRevoked(rotated.accessToken, /session revoked/);
    expect((await refresh(rotated.refreshToken)).status).toBe(401);
    expect((await profile(other.accessToken)).status).toBe(200);
  });

  it("logout-all revokes every token of the subject issued until now, and no one else's", async () => {
    const sub = newSubject();
    const sessions = [await login(sub), await login(sub)];
    const direct = http.app.get(JwtService).sign({ sub });
    const bystander = await login(newSubject());
    expect((await profile(direct)).status).toBe(200);
    expect((await request(http.url, '/session/logout-all', { method: 'POST', token: sessions[0].accessToken })).status).toBe(204);
    for (const session of sessions) {
      await expectRevoked(session.accessToken, /signed out everywhere/);
      expect((await refresh(session.refreshToken)).status).toBe(401);
    }
    // Tokens signed outside any session are covered too: the check is by sub and iat.
    await expectRevoked(direct, /signed out everywhere/);
    expect((await profile(bystander.accessToken)).status).toBe(200);
  });

  it('refuses malformed refresh tokens without touching the store', async () => {
    for (const token of ['', 'x'.repeat(42), `${'A'.repeat(42)}!`, 'A'.repeat(44)]) {
      const response = await refresh(token);
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('RS256_REFRESH_TOKEN_INVALID');
    }
  });

  it('refuses another spelling of a refresh token: the same 64 bytes, with the ignored last 4 bits set', async () => {
    const pair = await login(newSubject());
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(pair.refreshToken.slice(-1));
    // The last character carries 2 bits of the 64th byte and 4 that the decoder drops.
    const respelled = pair.refreshToken.slice(0, -1) + alphabet[last ^ 0b1111];
    expect(Buffer.from(respelled, 'base64url').equals(Buffer.from(pair.refreshToken, 'base64url'))).toBe(true);
    const response = await refresh(respelled);
    expect(response.status).toBe(401);
    expect(response.body.code).toBe('RS256_REFRESH_TOKEN_INVALID');
    // The token as issued still refreshes: the respelling did not spend it.
    expect((await refresh(pair.refreshToken)).status).toBe(200);
  });

  it('revokeIssuedBefore: one cut-off for every subject, access and refresh tokens alike; tokens issued after it pass', async () => {
    const pairs = [await login(newSubject()), await login(newSubject())];
    const direct = http.app.get(JwtService).sign({ sub: newSubject() });
    const sessions = http.app.get(SessionService);
    await sessions.revokeIssuedBefore();
    for (const pair of pairs) {
      await expectRevoked(pair.accessToken, /every token issued before a cut-off/);
      expect((await refresh(pair.refreshToken)).status).toBe(401);
    }
    await expectRevoked(direct, /every token issued before a cut-off/);
    const after = await login(newSubject());
    expect((await profile(after.accessToken)).status).toBe(200);
    expect((await refresh(after.refreshToken)).status).toBe(200);
    // A cut-off in the past leaves what was issued since alone.
    await sessions.revokeIssuedBefore(new Date(Date.now() - 60_000));
    expect((await profile(after.accessToken)).status).toBe(200);
    await expect(sessions.revokeIssuedBefore(new Date(Number.NaN))).rejects.toThrow(TypeError);
  });
});

/** Past the (short) grace period: polled for, never slept through. */
describe.each(STORE_WIRINGS)('reuse past the grace period (%s store, %s)', (store, wiring) => {
  const { newSubject, login, refresh, profile, expectRevoked } = sessionsOverHttp(store, wiring, { grace: SHORT_GRACE });

  it('past the grace period, reuse of a spent token kills the whole family, and only that family', async () => {
    const sub = newSubject();
    const family = [await login(sub)];
    for (let i = 0; i < 3; i++) family.push((await refresh(family[i].refreshToken)).body);
    const other = await login(sub);
    // Every access token of the family has been verified once, so each sits in the verified-token cache.
    for (const pair of family) expect((await profile(pair.accessToken)).status).toBe(200);

    // Within the grace period an older token is refused, and nothing is revoked; past it, the same token is reuse.
    await until(
      async () => {
        const reuse = await refresh(family[1].refreshToken);
        expect(reuse.status).toBe(401);
        return reuse.body.code === 'RS256_REFRESH_TOKEN_REUSED';
      },
      SHORT_GRACE * 1000 + 5000,
      'reuse past the grace period',
    );
    for (const pair of family) {
      await expectRevoked(pair.accessToken, /session revoked/);
      expect((await refresh(pair.refreshToken)).status).toBe(401);
    }
    // The newest refresh token had never been used: refused as revoked, not as reused.
    expect((await refresh(family[3].refreshToken)).body.code).toBe('RS256_REFRESH_TOKEN_INVALID');
    expect((await profile(other.accessToken)).status).toBe(200);
    expect((await refresh(other.refreshToken)).status).toBe(200);
  });
});

/** What the Redis store keeps can be read from outside the app: no token in it, and every key expiring. */
describe.each(WIRINGS)('sessions in Redis (%s)', (wiring) => {
  const http = sessionsOverHttp('redis', wiring);
  const { newSubject, login } = http;

  it('keeps one hash per session, rewritten in place at each refresh, holding hashes only and expiring with the session', async () => {
    const pair = await login(newSubject());
    const client = new Redis(http.redis!.url);
    try {
      const key = `rs256-auth:session:{${pair.sessionId}}`;
      const keys = await client.keys('rs256-auth:*');
      expect(keys).toContain(key);
      let current = pair;
      const tokens = [pair.refreshToken];
      for (let i = 0; i < 5; i++) {
        current = (await http.refresh(current.refreshToken)).body;
        tokens.push(current.refreshToken);
      }
      // Redis grows with sessions, not with refreshes: besides its hash, a session has one entry in the rotation marks.
      const marks = ['rs256-auth:rotations', 'rs256-auth:rotations:expiry'];
      expect((await client.keys('rs256-auth:*')).sort()).toEqual([...new Set([...keys, ...marks])].sort());
      const [markUntil, markAt] = (await client.hget('rs256-auth:rotations', pair.sessionId))!.split('|').map(Number);
      // Kept as long as the session's record: the stamp of its latest rotation, until its refresh token expires.
      expect(markUntil).toBe(Number(await client.zscore('rs256-auth:rotations:expiry', pair.sessionId)));
      expect(Math.abs(markUntil - (Date.now() + (await client.pttl(key))))).toBeLessThan(1000);
      expect(markAt).toBeLessThan(markUntil);
      const stored = JSON.stringify(await client.hgetall(key));
      for (const token of tokens) {
        const bytes = Buffer.from(token, 'base64url');
        // Neither a token nor its session's family secret nor its rotation secret.
        for (const part of [token, bytes.subarray(16, 32).toString('base64url'), bytes.subarray(32).toString('base64url')])
          expect(stored).not.toContain(part);
      }
      const day = 86_400_000;
      expect(await client.pttl(key)).toBeGreaterThan(14 * day - 60_000);
      expect(await client.pttl(key)).toBeLessThanOrEqual(14 * day);

      // A logout deletes the session's refresh state; the list entry lives as long as its refresh tokens could (14 d),
      // so that every instance holds it and can give it back, refresh side included, to a server that lost it.
      expect((await request(http.url, '/session/logout', { method: 'POST', token: current.accessToken })).status).toBe(204);
      expect(await client.exists(key)).toBe(0);
      const until = Number((await client.hget('rs256-auth:revocations', `sid:${pair.sessionId}`))!.split('|')[0]);
      expect(until - Date.now()).toBeGreaterThan(14 * day - 60_000);
      expect(until - Date.now()).toBeLessThanOrEqual(14 * day);
      expect(Number(await client.zscore('rs256-auth:revocations:expiry', `sid:${pair.sessionId}`))).toBe(until);
    } finally {
      client.disconnect();
    }
  });
});

/** Refreshing without pause keeps a session alive only until its absolute lifetime (2 s here), on both stores. */
describe.each(['memory', 'redis'] as const)('absolute session lifetime (%s store)', (store) => {
  const http = sessionsOverHttp(store, 'forRoot', { maxLifetime: 2 });

  it('no refresh succeeds past JWT_SESSION_MAX_LIFETIME, however often the session was refreshed', async () => {
    const start = Date.now();
    let current = await http.login(http.newSubject());
    expect((current as Pair & { refreshExpiresIn: number }).refreshExpiresIn).toBeLessThanOrEqual(2);
    let refused: HttpResult | undefined;
    while (!refused && Date.now() - start < 10_000) {
      const response = await http.refresh(current.refreshToken);
      if (response.status === 200) current = response.body;
      else refused = response;
    }
    expect(refused?.status).toBe(401);
    expect(refused?.body.code).toBe('RS256_REFRESH_TOKEN_INVALID');
    expect(Date.now() - start).toBeGreaterThanOrEqual(1900);
  });
});

describe('sessions disabled (the default)', () => {
  it('SessionService says how to enable them; verification does not check revocations', async () => {
    const { app } = await createApp({ env: { JWT_PRIVATE_KEY_PATH: keys.privatePath } });
    try {
      const sessions = app.get(SessionService);
      await expect(sessions.issue('u')).rejects.toMatchObject({
        code: 'RS256_SESSIONS_DISABLED',
        message: expect.stringContaining('JWT_SESSIONS_ENABLED=true'),
      });
      await expect(sessions.refresh('A'.repeat(43))).rejects.toBeInstanceOf(Rs256AuthError);
      const url = await listen(app);
      expect((await request(url, '/profile', { token: app.get(JwtService).sign({ sub: 'u' }) })).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('session settings', () => {
  async function startupError(env: Record<string, string>): Promise<unknown> {
    try {
      const moduleRef = await Test.createTestingModule({
        imports: [appModule({ env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_SESSIONS_ENABLED: 'true', ...env } })],
      }).compile();
      await moduleRef.close();
      return undefined;
    } catch (error) {
      return error;
    }
  }

  it.each([
    [{ JWT_SESSION_STORE: 'postgres' }, /JWT_SESSION_STORE is "postgres"; expected 'memory' or 'redis'/],
    [{ JWT_SESSION_STORE: 'redis' }, /JWT_SESSION_STORE is "redis" but JWT_REDIS_URL is not set/],
    [
      { JWT_SESSION_STORE: 'redis', JWT_REDIS_URL: 'http://user:hunter2@host' },
      /JWT_REDIS_URL is "http:\/\/host\/"; expected a redis:\/\/ or rediss:\/\/ URL/,
    ],
    [{ JWT_REDIS_URL: 'redis://127.0.0.1:6379' }, /JWT_REDIS_URL is set but JWT_SESSION_STORE is not set; set JWT_SESSION_STORE to "redis"/],
    [{ JWT_SESSION_STORE: 'memory', JWT_REDIS_URL: 'redis://127.0.0.1:6379' }, /JWT_REDIS_URL is set but JWT_SESSION_STORE is "memory"/],
    [{ JWT_REDIS_CLUSTER_NODES: '127.0.0.1:7000' }, /JWT_REDIS_CLUSTER_NODES is set but JWT_SESSION_STORE is not set/],
    [{ JWT_SESSION_STORE: 'redis', JWT_REDIS_SENTINELS: '127.0.0.1:26379' }, /JWT_REDIS_SENTINELS is set but JWT_REDIS_SENTINEL_MASTER is not/],
    [
      { JWT_SESSION_STORE: 'redis', JWT_REDIS_URL: 'redis://127.0.0.1:6379', JWT_REDIS_CLUSTER_NODES: '127.0.0.1:7000' },
      /exactly one of JWT_REDIS_URL, JWT_REDIS_SENTINELS with JWT_REDIS_SENTINEL_MASTER, JWT_REDIS_CLUSTER_NODES, or the sessions.redis.client option; JWT_REDIS_URL and JWT_REDIS_CLUSTER_NODES are set/,
    ],
    [
      { JWT_SESSION_STORE: 'redis', JWT_REDIS_CLUSTER_NODES: 'redis://:hunter2@10.0.0.1:notaport' },
      /JWT_REDIS_CLUSTER_NODES is "redis:\/\/10.0.0.1:notaport"; expected comma-separated host:port items/,
    ],
    [
      { JWT_SESSION_STORE: 'redis', JWT_REDIS_CLUSTER_NODES: '10.0.0.1' },
      /JWT_REDIS_CLUSTER_NODES is "10.0.0.1"; expected comma-separated host:port items/,
    ],
    [{ JWT_SESSION_STORE: 'redis', JWT_REDIS_SENTINELS: '[::1', JWT_REDIS_SENTINEL_MASTER: 'm' }, /JWT_REDIS_SENTINELS is "\[::1"; expected/],
    [
      { JWT_SESSION_STORE: 'redis', JWT_REDIS_SENTINELS: 'redis://:hunter2@10.0.0.1:26379,10.0.0.2:26379', JWT_REDIS_SENTINEL_MASTER: 'm' },
      /JWT_REDIS_SENTINELS names nodes with different credentials or TLS/,
    ],
    [
      { JWT_SESSION_STORE: 'redis', JWT_REDIS_SENTINELS: '10.0.0.1:26379', JWT_REDIS_SENTINEL_MASTER: 'rediss://:hunter2@mymaster:6379/0' },
      /JWT_REDIS_SENTINEL_MASTER is "rediss:\/\/mymaster:6379\/0"; expected a master name, or a URL such as/,
    ],
    [{ JWT_REFRESH_EXPIRES_IN: 'forever' }, /JWT_REFRESH_EXPIRES_IN is "forever"/],
    [{ JWT_SESSION_MAX_LIFETIME: '0' }, /JWT_SESSION_MAX_LIFETIME is "0"; expected a positive lifetime/],
    [{ JWT_REFRESH_REUSE_GRACE: '-1' }, /JWT_REFRESH_REUSE_GRACE is "-1"; expected a whole number of at least 0/],
    [{ JWT_REVOCATION_MAX_STALENESS: '-5' }, /JWT_REVOCATION_MAX_STALENESS is "-5"/],
    [{ JWT_REVOCATION_FAIL_OPEN: 'maybe' }, /JWT_REVOCATION_FAIL_OPEN is "maybe"; expected one of true, false, 1, 0, yes, no/],
  ])('refuses %j at start-up', async (env, message) => {
    const error = await startupError(env);
    expect(error).toBeInstanceOf(Rs256AuthError);
    expect((error as Rs256AuthError).code).toBe('RS256_CONFIG_INVALID');
    expect((error as Error).message).toMatch(message);
    expect((error as Error).message).not.toContain('hunter2');
  });
});
