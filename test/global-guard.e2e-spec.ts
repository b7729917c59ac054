import type { INestApplication } from '@nestjs/common';
import type { JwtService } from '@nestjs/jwt';
import { createApp, PLATFORM_WIRINGS } from './fixtures/app.js';
import { listen, request } from './support/http.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

describe.each(PLATFORM_WIRINGS)('JwtAuthGuard as APP_GUARD (%s, %s)', (platform, wiring) => {
  let app: INestApplication;
  let jwt: JwtService;
  let url: string;

  beforeAll(async () => {
    ({ app, jwt } = await createApp({ platform, wiring, guard: 'global', env: { JWT_PRIVATE_KEY_PATH: keys.privatePath } }));
    url = await listen(app);
  });
  afterAll(() => app?.close());

  it('protects routes that carry no guard decorator', async () => {
    const response = await request(url, '/profile');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    expect((await request(url, '/profile', { token: jwt.sign({ sub: 'u' }) })).status).toBe(200);
  });

  it('lets @Public() routes through without a token, and with a bad one', async () => {
    expect(await request(url, '/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect((await request(url, '/health', { token: 'not.a.token' })).status).toBe(200);
  });

  it('lets every route of a @Public() controller through', async () => {
    expect(await request(url, '/open')).toMatchObject({ status: 200, body: { open: true } });
  });

  it('enforces @RequireClaims() under the global guard', async () => {
    expect((await request(url, '/orders', { token: jwt.sign({ sub: 'u' }) })).status).toBe(403);
    expect((await request(url, '/orders', { token: jwt.sign({ sub: 'u', scope: 'orders:read' }) })).status).toBe(200);
  });
});
