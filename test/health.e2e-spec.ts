import { jest } from '@jest/globals';
import { Controller, Get, Module, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { HealthCheck, HealthCheckService, TerminusModule, type HealthCheckResult } from '@nestjs/terminus';
import { Public, RemoteJwks, type Rs256AuthModuleOptions } from '../src/index.js';
import { Rs256AuthHealthIndicator } from '../src/health/index.js';
import { appModule, createApp } from './fixtures/app.js';
import { listen, request } from './support/http.js';
import { clockAt } from './support/fake-clock.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { LogCapture } from './support/log-capture.js';
import { startRedis, type RedisServer } from './support/redis.js';
import { until } from './support/until.js';

const API = 'https://api.example.test';
const ISSUER = 'https://issuer.example.test';
const MAX_STALENESS_MS = 400;
const MAX_STALE_SECONDS = 3600;

/** A readiness route as an application writes it with @nestjs/terminus. */
@Controller('health')
class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly auth: Rs256AuthHealthIndicator,
  ) {}

  @Public()
  @Get('ready')
  @HealthCheck()
  ready(): Promise<HealthCheckResult> {
    return this.health.check([() => this.auth.isHealthy()]);
  }
}

async function appWithHealth(options: Rs256AuthModuleOptions, env: Record<string, string> = {}): Promise<INestApplication> {
  @Module({
    imports: [TerminusModule.forRoot({ logger: false }), appModule({ options, env })],
    controllers: [HealthController],
    providers: [Rs256AuthHealthIndicator],
  })
  class HealthApp {}
  const moduleRef = await Test.createTestingModule({ imports: [HealthApp] }).compile();
  const app = moduleRef.createNestApplication({ logger: new LogCapture() });
  await app.init();
  return app;
}

describe('Rs256AuthHealthIndicator (nestjs-rs256-auth/health) behind a @nestjs/terminus readiness route', () => {
  let keys: KeyFiles;
  const apps: INestApplication[] = [];
  let redis: RedisServer | undefined;
  beforeAll(() => {
    keys = createKeyFiles();
  });
  afterEach(async () => {
    jest.useRealTimers();
    await Promise.all(apps.splice(0).map((app) => app.close()));
    await redis?.stop();
    redis = undefined;
  });
  afterAll(() => keys.cleanup());

  it('is up with keys loaded and Redis reachable, and down once Redis is stopped and the revocation list goes stale', async () => {
    redis = await startRedis();
    const app = await appWithHealth({
      keys: { privateKeyPath: keys.privatePath },
      sessions: {
        store: 'redis',
        redis: { url: redis.url, timeout: 0.2 },
        revocationMaxStaleness: MAX_STALENESS_MS / 1000,
      },
    });
    apps.push(app);
    const url = await listen(app);
    const ready = await request(url, '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.info['rs256-auth']).toEqual({ status: 'up', keys: 1, revocationListAgeMs: expect.any(Number) });

    await redis.stop();
    await until(async () => (await request(url, '/health/ready')).status === 503, MAX_STALENESS_MS * 20, 'readiness going down');
    const down = await request(url, '/health/ready');
    expect(down.body.error['rs256-auth']).toMatchObject({
      status: 'down',
      keys: 1,
      problems: [expect.stringContaining('the revocation list is stale (the session store is unreachable')],
    });
  });

  it('is down once the fetched JWK Set is older than keys.remote.maxStale, and up again when a fetch succeeds', async () => {
    const issuer = await createApp({
      env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_ISSUER: ISSUER, JWT_AUDIENCE: API, JWT_JWKS_ENABLED: 'true' },
    });
    apps.push(issuer.app);
    const issuerUrl = await listen(issuer.app);
    const port = Number(new URL(issuerUrl).port);
    const start = Date.now();
    clockAt(start);
    const app = await appWithHealth(
      {},
      { JWT_JWKS_URI: `${issuerUrl}/.well-known/jwks.json`, JWT_AUDIENCE: API, JWT_JWKS_MAX_STALE: String(MAX_STALE_SECONDS) },
    );
    apps.push(app);
    const url = await listen(app);
    const ready = await request(url, '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.info['rs256-auth']).toEqual({ status: 'up', keys: 1, keyAgeSeconds: 0 });

    // The issuer goes away, and the clock moves past the bound: no request needs to have come in meanwhile.
    await issuer.app.close();
    apps.splice(apps.indexOf(issuer.app), 1);
    clockAt(start + (MAX_STALE_SECONDS + 60) * 1000);
    const down = await request(url, '/health/ready');
    expect(down.status).toBe(503);
    expect(down.body.error['rs256-auth']).toEqual({
      status: 'down',
      keys: 1,
      keyAgeSeconds: MAX_STALE_SECONDS + 60,
      problems: [`a JWK Set was last fetched ${MAX_STALE_SECONDS + 60} s ago, past keys.remote.maxStale (${MAX_STALE_SECONDS} s)`],
    });

    // The issuer is back on its port: the next fetch makes the keys fresh, and the service ready.
    const back = await createApp({
      env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_ISSUER: ISSUER, JWT_AUDIENCE: API, JWT_JWKS_ENABLED: 'true' },
    });
    apps.push(back.app);
    await back.app.listen(port, '127.0.0.1');
    await app.get(RemoteJwks).refreshNow();
    expect((await request(url, '/health/ready')).status).toBe(200);
  });

  it('is down while no JWK Set could be fetched yet (the issuer down at start-up)', async () => {
    const app = await appWithHealth({}, { JWT_JWKS_URI: 'http://127.0.0.1:9/.well-known/jwks.json', JWT_AUDIENCE: API });
    apps.push(app);
    const url = await listen(app);
    const down = await request(url, '/health/ready');
    expect(down.status).toBe(503);
    expect(down.body.error['rs256-auth']).toEqual({
      status: 'down',
      keys: 0,
      problems: ['no verification key is loaded', 'a JWK Set has not been fetched yet'],
    });
  });
});
