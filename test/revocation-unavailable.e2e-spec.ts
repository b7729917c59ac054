import type { INestApplication } from '@nestjs/common';
import { lastValueFrom } from 'rxjs';
import { RevocationList } from '../src/sessions/revocation-list.js';
import type { Rs256AuthModuleOptions } from '../src/index.js';
import { createApp } from './fixtures/app.js';
import { createGatewayApp, type GatewayApp } from './fixtures/gateway-app.js';
import { createGraphqlApp, type GraphqlApp } from './fixtures/graphql-app.js';
import { createMicroserviceApp, type MicroserviceApp } from './fixtures/microservice-app.js';
import { connectSocketIo, connectWs, type GatewayConnection, type HandshakeRefusal } from './support/gateway-clients.js';
import { subscribeOnce } from './support/graphql-ws.js';
import { listen, request } from './support/http.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { LogCapture } from './support/log-capture.js';
import { freePort, SETUP_TIMEOUT } from './support/processes.js';
import { startRedis, type RedisServer } from './support/redis.js';
import { until } from './support/until.js';

/** A small staleness bound, so the list goes stale within a second of Redis stopping. */
const MAX_STALENESS_MS = 400;
const UNAVAILABLE = 'revocation state unavailable; try again later';

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

/**
 * Every transport of one set of applications sharing a real redis-server, which the test stops: past the staleness
 * bound, a good token is answered "unavailable, try again", never "bad token", while a bad token is still a 401.
 */
describe('revocation list unavailable (Redis stopped past the staleness bound)', () => {
  let redis: RedisServer;
  let http: INestApplication;
  let httpUrl: string;
  let gql: GraphqlApp;
  let ws: GatewayApp;
  let io: GatewayApp;
  let rpc: MicroserviceApp;
  const logs = new LogCapture();
  const connections: GatewayConnection[] = [];
  let token: string;
  let expired: string;

  beforeAll(async () => {
    redis = await startRedis();
    const options: Rs256AuthModuleOptions = {
      keys: { privateKeyPath: keys.privatePath },
      sessions: {
        store: 'redis',
        // Short: the test stops Redis, and the list must go stale (and requests fail fast) within the test's bounds.
        redis: { url: redis.url, timeout: 0.2 },
        revocationMaxStaleness: MAX_STALENESS_MS / 1000,
      },
    };
    ({ app: http } = await createApp({ options, logger: logs }));
    httpUrl = await listen(http);
    gql = await createGraphqlApp('apollo', 'express', 'route', keys.privatePath, logs, options);
    ws = await createGatewayApp('ws', 'express', 'route', keys.privatePath, logs, options);
    io = await createGatewayApp('socket.io', 'fastify', 'route', keys.privatePath, logs, options);
    rpc = await createMicroserviceApp('tcp', 'route', keys.privatePath, await freePort(), logs, undefined, options);
    token = gql.jwt.sign({ sub: 'ada' });
    expired = gql.jwt.sign({ sub: 'ada' }, { expiresIn: -10 });
  }, SETUP_TIMEOUT);
  afterAll(async () => {
    connections.forEach((connection) => connection.close());
    for (const app of [http, gql?.app, ws?.app, io?.app]) await app?.close();
    await rpc?.close();
    await redis?.stop();
  });

  const profile = (bearer: string) => request(httpUrl, '/profile', { token: bearer });

  it('serves as usual while Redis is up, then answers 503 with Retry-After, and a bad token still 401', async () => {
    expect((await profile(token)).status).toBe(200);
    const open = await connectWs(ws.url, token);
    connections.push(open);

    await redis.stop();
    await until(async () => (await profile(token)).status !== 200, MAX_STALENESS_MS * 25, 'the list going stale');
    // Each app has a store and a list of its own, which go stale each at its own heartbeat: wait for all of them.
    const lists = [gql.app, ws.app, io.app, rpc.app].map((app) => app.get(RevocationList));
    await until(async () => lists.every((list) => (list.ageMs() ?? 0) > MAX_STALENESS_MS), MAX_STALENESS_MS * 25, 'every list going stale');

    const unavailable = await profile(token);
    expect(unavailable.status).toBe(503);
    expect(unavailable.headers.get('retry-after')).toBe('5');
    expect(unavailable.headers.get('www-authenticate')).toBeNull();
    expect(unavailable.body).toMatchObject({ statusCode: 503, message: UNAVAILABLE });
    // The same body as every other refusal, and as SessionErrorFilter's 503: the code tells clients why.
    expect(unavailable.body).toEqual({ statusCode: 503, error: 'Service Unavailable', message: UNAVAILABLE, code: 'RS256_TOKEN_REVOCATION_STALE' });

    for (const bad of [expired, 'not-a-token']) {
      const refused = await profile(bad);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toMatch(/error="invalid_token"/);
    }

    // GraphQL: an error with extensions.code SERVICE_UNAVAILABLE; a graphql-ws connection closed 1013 "try again later".
    const query = await request(gql.url, '', { method: 'POST', body: { query: '{ me }' }, token });
    expect(query.body.errors).toEqual([
      expect.objectContaining({ message: UNAVAILABLE, extensions: expect.objectContaining({ code: 'SERVICE_UNAVAILABLE', retryAfter: 5 }) }),
    ]);
    expect((await request(gql.url, '', { method: 'POST', body: { query: '{ me }' }, token: expired })).body.errors[0].extensions.code).toBe(
      'UNAUTHENTICATED',
    );
    expect(await subscribeOnce(gql.wsUrl, 'subscription { ticks }', { authorization: `Bearer ${token}` })).toEqual({
      closed: { code: 1013, reason: UNAVAILABLE },
    });

    // Gateways: the ws upgrade refused with 503 and Retry-After; socket.io's connect_error says so in data.
    const refusal = (connect: Promise<GatewayConnection>): Promise<HandshakeRefusal> =>
      connect.then(
        (connection) => {
          connections.push(connection);
          throw new Error('the handshake was accepted');
        },
        (refused: HandshakeRefusal) => refused,
      );
    expect(await refusal(connectWs(ws.url, token))).toEqual({ status: 503, message: UNAVAILABLE, retryAfter: '5' });
    expect(await refusal(connectSocketIo(io.url, token))).toEqual({ message: UNAVAILABLE, data: { code: 'SERVICE_UNAVAILABLE', retryAfter: 5 } });
    expect((await refusal(connectWs(ws.url, expired))).status).toBe(401);
    // A connection opened before: its messages are refused as unavailable, and it stays open.
    const body = { status: 'error', code: 'SERVICE_UNAVAILABLE', message: UNAVAILABLE, retryAfter: 5 };
    expect(await open.call('whoami')).toEqual({ event: 'exception', data: body });

    // Microservices: the error carries the same body.
    const send = (bearer: string) =>
      lastValueFrom(rpc.client.send('whoami', { authorization: `Bearer ${bearer}` })).catch((error: unknown) => ({ error }));
    expect(await send(token)).toEqual({ error: body });
    expect(await send(expired)).toEqual({ error: { status: 'error', code: 'UNAUTHENTICATED', message: 'token expired' } });

    // Once Redis is back, the same token passes everywhere, and the open connection serves again.
    await redis.start();
    await until(async () => (await profile(token)).status === 200, 10_000, 'serving again');
    expect(await open.call('whoami')).toEqual({ event: 'whoami', data: 'ada' });
  });

  it('logs no refusal as an error', () => {
    expect(logs.matching(/^ERROR/)).toEqual([]);
  });
});
