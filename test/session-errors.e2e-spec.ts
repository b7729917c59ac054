import type { INestApplication } from '@nestjs/common';
import { lastValueFrom } from 'rxjs';
import { PLATFORMS } from './fixtures/app.js';
import { createGatewayApp, type GatewayApp } from './fixtures/gateway-app.js';
import { createGraphqlApp, type GraphqlApp } from './fixtures/graphql-app.js';
import { createMicroserviceApp, type MicroserviceApp } from './fixtures/microservice-app.js';
import { createTokenEndpointApp } from './fixtures/token-endpoint-app.js';
import { connectSocketIo, connectWs, type GatewayConnection } from './support/gateway-clients.js';
import { request, type HttpResult } from './support/http.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { LogCapture } from './support/log-capture.js';
import { freePort, SETUP_TIMEOUT } from './support/processes.js';
import { startRedis, type RedisServer } from './support/redis.js';

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

/** A token endpoint of a user's app, with no error handling of its own, on both HTTP platforms. */
describe.each(PLATFORMS)('session failures answer by themselves (%s)', (platform) => {
  let redis: RedisServer;
  const apps: INestApplication[] = [];
  const logs = new LogCapture();
  let memory: string;
  let shared: string;

  beforeAll(async () => {
    redis = await startRedis();
    // No reuse grace period (`refreshReuseGrace`, where the module has one): a second presentation is reuse at once.
    const noReuseGrace = { refreshReuseGrace: 0 };
    const base = { keys: { privateKeyPath: keys.privatePath } };
    const started = [
      await createTokenEndpointApp(platform, { ...base, sessions: { ...noReuseGrace, store: 'memory' } }, logs),
      // A short Redis timeout: this app serves the test that stops Redis, whose requests must fail fast with a 503.
      await createTokenEndpointApp(
        platform,
        { ...base, sessions: { ...noReuseGrace, store: 'redis', redis: { url: redis.url, timeout: 0.2 } } },
        logs,
      ),
    ];
    apps.push(...started.map(({ app }) => app));
    [memory, shared] = started.map(({ url }) => url);
  }, SETUP_TIMEOUT);
  afterAll(async () => {
    for (const app of apps) await app.close();
    await redis?.stop();
  });

  const signIn = (url: string): Promise<HttpResult> => request(url, '/tokens', { method: 'POST', body: { sub: 'ada' } });
  const refresh = (url: string, token: string): Promise<HttpResult> =>
    request(url, '/tokens/refresh', { method: 'POST', body: { refresh_token: token } });

  it('answers sign-in and refresh in the OAuth 2.0 token-response shape, not to be cached', async () => {
    const signedIn = await signIn(memory);
    expect(signedIn.status).toBe(200);
    expect(signedIn.headers.get('cache-control')).toBe('no-store');
    expect(signedIn.body).toEqual({
      access_token: expect.stringMatching(/^ey/),
      token_type: 'Bearer',
      expires_in: 900,
      refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43,}$/),
      refresh_expires_in: 14 * 86_400,
    });
    const refreshed = await refresh(memory, signedIn.body.refresh_token);
    expect(refreshed.status).toBe(200);
    expect(Object.keys(refreshed.body).sort()).toEqual(['access_token', 'expires_in', 'refresh_expires_in', 'refresh_token', 'token_type']);
  });

  it('a refresh token that is not one: 401 with the code, not a 500', async () => {
    const refused = await refresh(memory, 'nope');
    expect(refused.status).toBe(401);
    expect(refused.body).toEqual({
      statusCode: 401,
      error: 'Unauthorized',
      message: 'refresh token not accepted',
      code: 'RS256_REFRESH_TOKEN_INVALID',
    });
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });

  it('a refresh token presented twice: 401 with the reuse code', async () => {
    const { refresh_token: token } = (await signIn(memory)).body as { refresh_token: string };
    expect((await refresh(memory, token)).status).toBe(200);
    const reused = await refresh(memory, token);
    expect(reused.status).toBe(401);
    expect(reused.body.code).toBe('RS256_REFRESH_TOKEN_REUSED');
  });

  it('the session store unreachable: 503 with Retry-After, and the code', async () => {
    const { refresh_token: token } = (await signIn(shared)).body as { refresh_token: string };
    await redis.stop();
    try {
      for (const response of [await refresh(shared, token), await signIn(shared)]) {
        expect(response.status).toBe(503);
        expect(response.headers.get('retry-after')).toBe('5');
        expect(response.body).toMatchObject({
          statusCode: 503,
          code: 'RS256_SESSION_STORE_UNAVAILABLE',
          message: 'session store unavailable; try again later',
        });
      }
    } finally {
      await redis.start();
    }
    // Back once the store has reconnected; no request waited for it meanwhile.
    const deadline = Date.now() + 10_000;
    while ((await signIn(shared)).status !== 200) {
      expect(Date.now()).toBeLessThan(deadline);
      await new Promise((done) => setTimeout(done, 50));
    }
  });

  it('leaves every other error alone: sessions disabled is still a server error', async () => {
    const { app, url } = await createTokenEndpointApp(platform, { keys: { privateKeyPath: keys.privatePath } }, new LogCapture());
    try {
      expect((await signIn(url)).status).toBe(500);
    } finally {
      await app.close();
    }
  });

  // Declared last, so that it sees what every case above logged.
  it('logs none of these refusals as an error', () => {
    expect(logs.matching(/^ERROR/)).toEqual([]);
  });
});

/** The same failure in a resolver, a gateway handler and a message handler: the transport's own form, never a crash. */
describe('session failures in the other transports', () => {
  const logs = new LogCapture();
  let gql: GraphqlApp;
  let ws: GatewayApp;
  let io: GatewayApp;
  let rpc: MicroserviceApp;
  const connections: GatewayConnection[] = [];
  const refused = { status: 'error', code: 'UNAUTHENTICATED', message: 'refresh token not accepted' };

  beforeAll(async () => {
    const options = { sessions: true };
    gql = await createGraphqlApp('apollo', 'express', 'route', keys.privatePath, logs, options);
    ws = await createGatewayApp('ws', 'express', 'route', keys.privatePath, logs, options);
    io = await createGatewayApp('socket.io', 'fastify', 'route', keys.privatePath, logs, options);
    rpc = await createMicroserviceApp('tcp', 'route', keys.privatePath, await freePort(), logs, undefined, options);
  }, SETUP_TIMEOUT);
  afterAll(async () => {
    connections.forEach((connection) => connection.close());
    for (const app of [gql?.app, ws?.app, io?.app]) await app?.close();
    await rpc?.close();
  });

  it('GraphQL: an error with extensions.code UNAUTHENTICATED', async () => {
    const response = await request(gql.url, '', { method: 'POST', body: { query: 'mutation { refresh(refreshToken: "nope") }' } });
    expect(response.status).toBeLessThan(500);
    expect(response.body.errors).toEqual([
      expect.objectContaining({ message: 'refresh token not accepted', extensions: expect.objectContaining({ code: 'UNAUTHENTICATED' }) }),
    ]);
  });

  it('gateways: an exception event, and the connection serves on', async () => {
    for (const connection of [await connectWs(ws.url), await connectSocketIo(io.url)]) {
      connections.push(connection);
      expect(await connection.call('refresh', 'nope')).toEqual({ event: 'exception', data: refused });
      expect(await connection.call('ping')).toEqual({ event: 'ping', data: 'pong' });
    }
  });

  it('microservices: the error { status, code, message }', async () => {
    await expect(lastValueFrom(rpc.client.send('refresh', 'nope'))).rejects.toEqual(refused);
  });

  // Declared last, so that it sees what every case above logged.
  it('logs none of these refusals as an error', () => {
    expect(logs.matching(/^ERROR/)).toEqual([]);
  });
});
