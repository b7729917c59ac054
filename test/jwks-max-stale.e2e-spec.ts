import { jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { createApp } from './fixtures/app.js';
import { listen, request } from './support/http.js';
import { clockAt } from './support/fake-clock.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { LogCapture } from './support/log-capture.js';

const API = 'https://api.example.test';
const ISSUER = 'https://issuer.example.test';
const MAX_STALE_SECONDS = 3600;

describe('JWT_JWKS_MAX_STALE: fetched keys that cannot be refreshed stop verifying after a bound', () => {
  let keys: KeyFiles;
  const apps: INestApplication[] = [];
  beforeAll(() => {
    keys = createKeyFiles();
  });
  afterEach(async () => {
    jest.useRealTimers();
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  afterAll(() => keys.cleanup());

  /**
   * The issuer: signs with the key file and publishes its JWK Set, on `port` (any free one by default). Nest's
   * logger is one per process, set by the app created last: an issuer started later must log where the resource
   * server does.
   */
  async function startIssuer(port?: number, logger?: LogCapture): Promise<{ app: INestApplication; url: string; sign: () => string }> {
    const { app, jwt } = await createApp({
      logger,
      env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_ISSUER: ISSUER, JWT_AUDIENCE: API, JWT_JWKS_ENABLED: 'true' },
    });
    apps.push(app);
    const url = port === undefined ? await listen(app) : (await app.listen(port, '127.0.0.1'), `http://127.0.0.1:${port}`);
    // A day: the clock moves past the staleness bound, and the token must not expire meanwhile.
    return { app, url, sign: () => jwt.sign({ sub: 'ada' }, { expiresIn: 86_400 }) };
  }

  it('refuses tokens once the keys are older than the bound, says why, logs one error, and recovers with the issuer', async () => {
    const issuer = await startIssuer();
    const port = Number(new URL(issuer.url).port);
    const logs = new LogCapture();
    const start = Date.now();
    clockAt(start);
    const resource = await createApp({
      logger: logs,
      env: { JWT_JWKS_URI: `${issuer.url}/.well-known/jwks.json`, JWT_AUDIENCE: API, JWT_JWKS_MAX_STALE: String(MAX_STALE_SECONDS) },
    });
    apps.push(resource.app);
    const url = await listen(resource.app);
    const token = issuer.sign();
    const profile = (): Promise<{ status: number; headers: Headers }> => request(url, '/profile', { token });
    expect((await profile()).status).toBe(200);

    // The issuer goes away. Past the cache's max age the refresh fails, and the cached keys keep serving.
    await issuer.app.close();
    apps.splice(apps.indexOf(issuer.app), 1);
    clockAt(start + 601_000);
    expect((await profile()).status).toBe(200);

    // Past the bound: refused, with a reason that says the keys are stale, and one error however many requests.
    clockAt(start + (MAX_STALE_SECONDS + 60) * 1000);
    for (let attempt = 0; attempt < 5; attempt++) {
      const refused = await profile();
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toContain('error_description="verification keys are stale');
    }
    expect(logs.matching(/^ERROR /)).toEqual([
      expect.stringContaining('past keys.remote.maxStale (JWT_JWKS_MAX_STALE, 3600 s): its keys are stale and every token is refused'),
    ]);

    // The issuer is back: past the cooldown, a token that meets stale keys fetches again, and is accepted.
    await startIssuer(port, logs);
    clockAt(start + (MAX_STALE_SECONDS + 60 + 31) * 1000);
    expect((await profile()).status).toBe(200);
    expect(logs.matching(/fresh again/)).toHaveLength(1);
    expect(logs.matching(/^ERROR /)).toHaveLength(1);
  });

  it('keeps verifying within the bound, however long past the cache max age', async () => {
    const issuer = await startIssuer();
    const start = Date.now();
    clockAt(start);
    const resource = await createApp({
      env: { JWT_JWKS_URI: `${issuer.url}/.well-known/jwks.json`, JWT_AUDIENCE: API, JWT_JWKS_MAX_STALE: String(MAX_STALE_SECONDS) },
    });
    apps.push(resource.app);
    const url = await listen(resource.app);
    const token = issuer.sign();
    await issuer.app.close();
    apps.splice(apps.indexOf(issuer.app), 1);
    clockAt(start + (MAX_STALE_SECONDS - 60) * 1000);
    expect((await request(url, '/profile', { token })).status).toBe(200);
  });

  it("with several issuers, each issuer's keys go stale on their own bound the same way", async () => {
    const issuer = await startIssuer();
    const logs = new LogCapture();
    const start = Date.now();
    clockAt(start);
    const trusted = [{ issuer: ISSUER, jwksUri: `${issuer.url}/.well-known/jwks.json` }];
    const resource = await createApp({
      logger: logs,
      env: { JWT_TRUSTED_ISSUERS: JSON.stringify(trusted), JWT_AUDIENCE: API, JWT_JWKS_MAX_STALE: String(MAX_STALE_SECONDS) },
    });
    apps.push(resource.app);
    const url = await listen(resource.app);
    const token = issuer.sign();
    expect((await request(url, '/profile', { token })).status).toBe(200);
    await issuer.app.close();
    apps.splice(apps.indexOf(issuer.app), 1);
    clockAt(start + (MAX_STALE_SECONDS + 60) * 1000);
    for (let attempt = 0; attempt < 3; attempt++) {
      const refused = await request(url, '/profile', { token });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toContain('error_description="verification keys are stale');
    }
    expect(logs.matching(/^ERROR /)).toEqual([expect.stringContaining('past keys.remote.maxStale (JWT_JWKS_MAX_STALE, 3600 s)')]);
  });
});
