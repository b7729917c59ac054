import { Injectable, Module, type INestApplication } from '@nestjs/common';
import { EventEmitterModule, OnEvent } from '@nestjs/event-emitter';
import { JwtService } from '@nestjs/jwt';
import { Test } from '@nestjs/testing';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { ExecutionContextHost } from '@nestjs/core/helpers/execution-context-host.js';
import { JwtAuthGuard, KeyReloader, RemoteJwks, SessionService, type Rs256AuthAuditEvent } from '../src/index.js';
import { appModule, createApp } from './fixtures/app.js';
import { listen, request } from './support/http.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { LogCapture } from './support/log-capture.js';
import { sum, TestMetrics } from './support/metrics.js';
import { startRedis } from './support/redis.js';
import { login, post, status, suite } from './support/session-instances.js';
import { b64url, nowSeconds, rs256Token, validClaims } from './support/tokens.js';
import { until } from './support/until.js';

const API = 'https://api.example.test';

/** Waits for `check`, giving the event loop a turn each time: audit events are sent on a later turn. */
function eventually(check: () => boolean, what: string): Promise<number> {
  return until(
    async () => {
      await new Promise((resolve) => setImmediate(resolve));
      return check();
    },
    5000,
    what,
  );
}
const ISSUER = 'https://issuer.example.test';

describe('observability: OpenTelemetry metrics (real SDK, in-memory reader) and audit events', () => {
  let keys: KeyFiles;
  const apps: INestApplication[] = [];
  const meters: TestMetrics[] = [];
  beforeAll(() => {
    keys = createKeyFiles();
  });
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await Promise.all(meters.splice(0).map((meter) => meter.shutdown()));
  });
  afterAll(() => keys.cleanup());

  function testMetrics(): TestMetrics {
    const meter = new TestMetrics();
    meters.push(meter);
    return meter;
  }

  it('counts verifications by outcome, transport and reason, times them cached and not, and reports the cache and the keys', async () => {
    const meter = testMetrics();
    const events: Rs256AuthAuditEvent[] = [];
    const { app, jwt } = await createApp({
      env: { JWT_PRIVATE_KEY_PATH: keys.privatePath },
      options: { observability: { meterProvider: meter.provider, onAuditEvent: (event) => void events.push(event) } },
    });
    apps.push(app);
    const url = await listen(app);
    const scoped = jwt.sign({ sub: 'ada', scope: 'orders:read' });
    const unscoped = jwt.sign({ sub: 'bob' });
    const now = nowSeconds();
    const expired = rs256Token(keys.main.privateKey, validClaims({ sub: 'carol', iat: now - 600, exp: now - 300 }));
    const wronglySigned = rs256Token(keys.other.privateKey, validClaims({ sub: 'dave' }));

    expect((await request(url, '/profile', { token: scoped })).status).toBe(200);
    expect((await request(url, '/profile', { token: scoped })).status).toBe(200);
    expect((await request(url, '/orders', { token: unscoped })).status).toBe(403);
    expect((await request(url, '/profile', { token: expired })).status).toBe(401);
    expect((await request(url, '/profile', { token: wronglySigned })).status).toBe(401);
    expect((await request(url, '/profile')).status).toBe(401);
    expect((await request(url, '/health')).status).toBe(200);

    const points = await meter.collect();
    const verifications = points.filter((point) => point.name === 'rs256auth.token.verifications');
    expect(
      verifications.map(({ attributes, value }) => ({ attributes, value })).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    ).toEqual(
      [
        { attributes: { 'rs256auth.outcome': 'accepted', 'rs256auth.transport': 'http' }, value: 2 },
        { attributes: { 'rs256auth.outcome': 'forbidden', 'rs256auth.transport': 'http', 'error.type': 'RS256_INSUFFICIENT_CLAIMS' }, value: 1 },
        { attributes: { 'rs256auth.outcome': 'refused', 'rs256auth.transport': 'http', 'error.type': 'RS256_TOKEN_EXPIRED' }, value: 1 },
        { attributes: { 'rs256auth.outcome': 'refused', 'rs256auth.transport': 'http', 'error.type': 'RS256_TOKEN_MISSING' }, value: 1 },
        { attributes: { 'rs256auth.outcome': 'refused', 'rs256auth.transport': 'http', 'error.type': 'RS256_TOKEN_SIGNATURE' }, value: 1 },
      ].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
    );
    expect(verifications.every((point) => point.unit === '{verification}')).toBe(true);

    // Timed: every verification once, the second request with the scoped token answered from the cache.
    expect(sum(points, 'rs256auth.token.verification.duration')).toBe(6);
    expect(sum(points, 'rs256auth.token.verification.duration', { 'rs256auth.cached': true, 'rs256auth.outcome': 'accepted' })).toBe(1);
    expect(sum(points, 'rs256auth.token.verification.duration', { 'rs256auth.cached': false, 'rs256auth.outcome': 'accepted' })).toBe(1);
    expect(points.find((point) => point.name === 'rs256auth.token.verification.duration')?.unit).toBe('s');
    // The cache's hit ratio: one of the six answered from the cache.
    expect(sum(points, 'rs256auth.token.verification.duration', { 'rs256auth.cached': true })).toBe(1);
    // The scoped and the unscoped token passed verification (the second only failed the route's requirement).
    expect(sum(points, 'rs256auth.token_cache.size')).toBe(2);
    expect(sum(points, 'rs256auth.keys.loaded')).toBe(1);
    const localAge = points.find((point) => point.name === 'rs256auth.keys.age' && point.attributes['rs256auth.key_source'] === 'local');
    expect(localAge?.value).toBeGreaterThanOrEqual(0);

    // No token, subject or key in any attribute.
    const values = points.flatMap((point) => Object.values(point.attributes).map(String));
    for (const secret of [scoped, unscoped, expired, wronglySigned, 'ada', 'bob', 'carol', 'dave']) {
      expect(values.some((value) => value.includes(secret))).toBe(false);
    }

    // Re-reading the key files is an audit event.
    expect(await app.get(KeyReloader).reload()).toBe(true);
    await eventually(() => events.length > 0, 'the key reload event');
    expect(events).toEqual([{ type: 'keys_reloaded', at: expect.any(Date), source: 'local', kids: [expect.any(String)], issuer: undefined }]);
  });

  it('counts sessions, reports the revocation list and sends reuse, sign-out everywhere and cut-off events; a failing subscriber fails nothing', async () => {
    const meter = testMetrics();
    const logs = new LogCapture();
    const events: Rs256AuthAuditEvent[] = [];
    const onAuditEvent = (event: Rs256AuthAuditEvent): Promise<void> => {
      events.push(event);
      // The first never settles (slow), the others throw: neither may hold up or fail the calls that sent them.
      if (events.length === 1) return new Promise(() => undefined);
      throw new Error('SIEM unreachable');
    };
    const { app } = await createApp({
      logger: logs,
      env: { JWT_PRIVATE_KEY_PATH: keys.privatePath },
      options: { observability: { meterProvider: meter.provider, onAuditEvent }, sessions: { refreshReuseGrace: 0 } },
    });
    apps.push(app);
    const sessions = app.get(SessionService);
    const first = await sessions.issue('ada');
    await sessions.refresh(first.refreshToken);
    await expect(sessions.refresh(first.refreshToken)).rejects.toMatchObject({ code: 'RS256_REFRESH_TOKEN_REUSED' });
    await sessions.revokeSubject('bob');
    const cutOff = new Date();
    await sessions.revokeIssuedBefore(cutOff);

    const points = await meter.collect();
    const operations = (operation: string): number => sum(points, 'rs256auth.session.operations', { 'rs256auth.session.operation': operation });
    expect([operations('issued'), operations('refreshed'), operations('reuse_detected'), operations('revoked')]).toEqual([1, 1, 1, 3]);
    // The reused session, the subject and the cut-off.
    expect(sum(points, 'rs256auth.revocation_list.size')).toBe(3);
    // A memory store is never stale: no staleness is reported.
    expect(points.some((point) => point.name === 'rs256auth.revocation_list.staleness')).toBe(false);

    await eventually(() => events.length === 3, 'three audit events');
    expect(events).toEqual([
      { type: 'refresh_token_reused', at: expect.any(Date), sessionId: first.sessionId, subject: 'ada' },
      { type: 'signed_out_everywhere', at: expect.any(Date), subject: 'bob' },
      { type: 'bulk_cut_off', at: expect.any(Date), before: cutOff },
    ]);
    await eventually(() => logs.matching(/subscriber failed/).length > 0, 'the subscriber failure logged');
    expect(logs.matching(/subscriber failed/)).toEqual([
      'ERROR An audit event subscriber failed (SIEM unreachable); further failures are not logged.',
    ]);
  });

  it('counts JWK Set fetches and discovery by outcome with their durations, reports the keys’ age, and sends fetch failures as events', async () => {
    const issuer = await createApp({
      env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_ISSUER: ISSUER, JWT_AUDIENCE: API, JWT_JWKS_ENABLED: 'true' },
    });
    apps.push(issuer.app);
    const issuerUrl = await listen(issuer.app);
    const meter = testMetrics();
    const events: Rs256AuthAuditEvent[] = [];
    const resource = await createApp({
      env: { JWT_JWKS_URI: `${issuerUrl}/.well-known/jwks.json`, JWT_AUDIENCE: API },
      options: { observability: { meterProvider: meter.provider, onAuditEvent: (event) => void events.push(event) } },
    });
    apps.push(resource.app);
    const remote = resource.app.get(RemoteJwks);
    expect(await remote.refreshNow()).toBe(false);
    await issuer.app.close();
    apps.splice(apps.indexOf(issuer.app), 1);
    expect(await remote.refreshNow()).toBe(false);

    const points = await meter.collect();
    const fetches = (outcome: string): number =>
      sum(points, 'rs256auth.issuer.fetches', { 'rs256auth.document': 'jwks', 'rs256auth.outcome': outcome });
    expect([fetches('changed'), fetches('unchanged'), fetches('failed')]).toEqual([1, 1, 1]);
    expect(sum(points, 'rs256auth.issuer.fetch.duration', { 'rs256auth.document': 'jwks' })).toBe(3);
    const age = points.find((point) => point.name === 'rs256auth.keys.age' && point.attributes['rs256auth.key_source'] === 'remote');
    expect(age?.value).toBeGreaterThanOrEqual(0);
    expect(age?.unit).toBe('s');

    await eventually(() => events.length === 2, 'two audit events');
    expect(events).toEqual([
      { type: 'keys_reloaded', at: expect.any(Date), source: 'remote', kids: [expect.any(String)], jwksUri: `${issuerUrl}/.well-known/jwks.json` },
      { type: 'jwks_fetch_failed', at: expect.any(Date), document: 'jwks', uri: `${issuerUrl}/.well-known/jwks.json`, reason: expect.any(String) },
    ]);

    // An issuer whose metadata cannot be read: one failed discovery, and its event.
    const closedPort = issuerUrl.replace(/:\d+$/, ':9');
    const discoveryMeter = testMetrics();
    const discoveryEvents: Rs256AuthAuditEvent[] = [];
    const discovering = await createApp({
      logger: new LogCapture(),
      env: { JWT_ISSUER_URL: closedPort, JWT_AUDIENCE: API },
      options: { observability: { meterProvider: discoveryMeter.provider, onAuditEvent: (event) => void discoveryEvents.push(event) } },
    });
    apps.push(discovering.app);
    expect(await discoveryMeter.total('rs256auth.issuer.fetches', { 'rs256auth.document': 'discovery', 'rs256auth.outcome': 'failed' })).toBe(1);
    await eventually(() => discoveryEvents.length === 1, 'the discovery failure event');
    expect(discoveryEvents[0]).toMatchObject({ type: 'jwks_fetch_failed', document: 'discovery', uri: closedPort });
  });

  it('sends an event when new issuers are refused by the rate bound, and counts their tokens as refused', async () => {
    const meter = testMetrics();
    const events: Rs256AuthAuditEvent[] = [];
    const { app } = await createApp({
      logger: new LogCapture(),
      options: {
        keys: { issuerResolver: async () => undefined, newIssuersPerMinute: 1 },
        observability: { meterProvider: meter.provider, onAuditEvent: (event) => void events.push(event) },
        tokens: { audience: API },
      },
    });
    apps.push(app);
    const url = await listen(app);
    const junk = (iss: string): string =>
      `${b64url({ alg: 'RS256', typ: 'JWT', kid: 'x' })}.${b64url(validClaims({ iss, aud: API }))}.${randomBytes(256).toString('base64url')}`;
    for (const iss of ['https://a.example.test', 'https://b.example.test', 'https://c.example.test']) {
      expect((await request(url, '/profile', { token: junk(iss) })).status).toBe(401);
    }
    await eventually(() => events.length === 1, 'the rate-bound event');
    expect(events).toEqual([{ type: 'issuer_resolution_refused', at: expect.any(Date), newIssuersPerMinute: 1 }]);
    expect(await meter.total('rs256auth.token.verifications', { 'error.type': 'RS256_TOKEN_ISSUER' })).toBe(3);
  });

  it('sends the same events through @nestjs/event-emitter when the application has set it up; a throwing listener fails nothing', async () => {
    const received: Rs256AuthAuditEvent[] = [];
    @Injectable()
    class SecurityListener {
      @OnEvent('rs256auth.signed_out_everywhere')
      signedOut(event: Rs256AuthAuditEvent): void {
        received.push(event);
      }

      @OnEvent('rs256auth.bulk_cut_off', { async: true, promisify: true })
      async cutOff(): Promise<void> {
        throw new Error('listener down');
      }
    }
    const logs = new LogCapture();
    @Module({
      imports: [EventEmitterModule.forRoot(), appModule({ env: { JWT_PRIVATE_KEY_PATH: keys.privatePath }, options: { sessions: true } })],
      providers: [SecurityListener],
    })
    class EventsApp {}
    const moduleRef = await Test.createTestingModule({ imports: [EventsApp] })
      .setLogger(logs)
      .compile();
    const app = moduleRef.createNestApplication({ logger: logs });
    await app.init();
    apps.push(app);
    const sessions = app.get(SessionService);
    await sessions.revokeSubject('ada');
    await sessions.revokeIssuedBefore();
    await eventually(() => received.length === 1 && logs.matching(/listener down/).length === 1, 'the event and the listener failure');
    expect(received).toEqual([{ type: 'signed_out_everywhere', at: expect.any(Date), subject: 'ada' }]);
    // The failing listener's error is caught (here by the event emitter itself, which logs it): no unhandled rejection.
    expect(logs.matching(/listener down/)).toHaveLength(1);
  });

  it('counts GraphQL, WebSocket and microservice requests under their own transport', async () => {
    const meter = testMetrics();
    const { app, jwt } = await createApp({
      env: { JWT_PRIVATE_KEY_PATH: keys.privatePath },
      options: { observability: { meterProvider: meter.provider } },
    });
    apps.push(app);
    const guard = app.get(JwtAuthGuard);
    class Handlers {
      guarded(): void {}
    }
    /** The arguments each transport hands its handlers, as Nest builds them (see bench/apps.ts). */
    const context = (type: 'graphql' | 'ws' | 'rpc', authorization: string): ExecutionContextHost => {
      const args = {
        graphql: [undefined, {}, { req: { headers: { authorization } } }, {}],
        ws: [{ request: { headers: { authorization } }, handshake: { auth: {} }, emit: () => true, disconnect: () => undefined }, {}],
        rpc: [{ authorization }, {}],
      }[type];
      const host = new ExecutionContextHost(args, Handlers, Handlers.prototype.guarded);
      host.setType(type);
      return host;
    };
    const good = `Bearer ${jwt.sign({ sub: 'ada' })}`;
    for (const type of ['graphql', 'ws', 'rpc'] as const) {
      expect(await guard.canActivate(context(type, good))).toBe(true);
    }
    await expect(Promise.resolve().then(() => guard.canActivate(context('rpc', 'Bearer not-a-token')))).rejects.toBeDefined();

    const points = await meter.collect();
    const counted = points
      .filter((point) => point.name === 'rs256auth.token.verifications')
      .map(
        ({ attributes, value }) =>
          `${attributes['rs256auth.transport']} ${attributes['rs256auth.outcome']} ${attributes['error.type'] ?? '-'} ${value}`,
      )
      .sort();
    expect(counted).toEqual(['graphql accepted - 1', 'rpc accepted - 1', 'rpc refused RS256_TOKEN_MALFORMED 1', 'ws accepted - 1']);
  });
});

describe('observability: revocation propagation lag across two instances on a real redis-server (real SDK)', () => {
  let keys: KeyFiles;
  const meters = [new TestMetrics(), new TestMetrics()];
  const { instances, started } = suite(
    () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath }),
    async (keep) => {
      keys = createKeyFiles();
      keep({ stop: async () => keys.cleanup() });
      keep({ stop: () => Promise.all(meters.map((meter) => meter.shutdown())) });
      return keep(await startRedis());
    },
  );

  const LAG = 'rs256auth.revocation.propagation.duration';
  const lag = async (meter: TestMetrics): Promise<Histogram | undefined> =>
    (await meter.collect()).find((point) => point.name === LAG)?.value as Histogram | undefined;

  it('each instance records, per revocation it receives, the time since the store recorded it; an older version’s message is applied, not measured', async () => {
    const redis = started();
    const env = { JWT_REDIS_URL: redis.url };
    const [a, b] = [
      await instances.start(env, { observability: { meterProvider: meters[0].provider } }),
      await instances.start(env, { observability: { meterProvider: meters[1].provider } }),
    ];
    const pair = await login(a, 'lag');
    expect((await post(a, '/session/logout', pair.accessToken)).status).toBe(204);
    await until(async () => (await status(b, pair.accessToken)) === 401, 5000, 'the logout on B');
    // A, which made it, receives it through the channel too.
    for (const meter of meters) await until(async () => (await lag(meter))?.count === 1, 5000, 'one lag recorded');
    for (const meter of meters) {
      const recorded = (await lag(meter))!;
      expect((await meter.collect()).find((point) => point.name === LAG)?.unit).toBe('s');
      expect(recorded.min).toBeGreaterThanOrEqual(0);
      expect(recorded.max).toBeLessThan(5);
    }

    const jwt = a.app.get(JwtService);
    const later = Date.now() + 3_600_000;
    const publisher = new Redis(redis.url);
    try {
      // Recorded 3 s ago, by the store's clock (here the same machine's): a lag of 3 s.
      await publisher.publish('rs256-auth:revocations', JSON.stringify([{ kind: 'sid', value: 'late', until: later, at: Date.now() - 3000 }]));
      // As an older version publishes: no recording time.
      await publisher.publish('rs256-auth:revocations', JSON.stringify([{ kind: 'sid', value: 'old-format', until: later }]));
    } finally {
      publisher.disconnect();
    }
    for (const instance of [a, b]) {
      await until(
        async () => (await status(instance, jwt.sign({ sub: 'lag', sid: 'old-format' }))) === 401,
        5000,
        'the old-format revocation applied',
      );
      expect(await status(instance, jwt.sign({ sub: 'lag', sid: 'late' }))).toBe(401);
    }
    for (const meter of meters) {
      const recorded = (await lag(meter))!;
      expect(recorded.count).toBe(2);
      expect(recorded.max).toBeGreaterThanOrEqual(3);
      expect(recorded.max).toBeLessThan(8);
    }
  }, 60_000);
});
