import type { INestApplication } from '@nestjs/common';
import type { JwtService } from '@nestjs/jwt';
import { createApp, PLATFORMS, type GuardScope, type Platform } from './fixtures/app.js';
import { listen, request } from './support/http.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

const SCOPES: GuardScope[] = ['route', 'global'];
const CASES: [Platform, GuardScope][] = PLATFORMS.flatMap((platform) => SCOPES.map((scope): [Platform, GuardScope] => [platform, scope]));

describe.each(CASES)('@OptionalAuth() over HTTP (%s, %s guard)', (platform, guard) => {
  let app: INestApplication;
  let jwt: JwtService;
  let url: string;

  beforeAll(async () => {
    ({ app, jwt } = await createApp({ platform, guard, env: { JWT_PRIVATE_KEY_PATH: keys.privatePath } }));
    url = await listen(app);
  });
  afterAll(() => app?.close());

  it('runs the handler anonymously when no token is sent', async () => {
    expect(await request(url, '/greeting')).toMatchObject({ status: 200, body: { subject: null } });
  });

  it('hands the handler the claims of a valid token', async () => {
    expect(await request(url, '/greeting', { token: jwt.sign({ sub: 'ada' }) })).toMatchObject({ status: 200, body: { subject: 'ada' } });
  });

  it('still refuses a bad token with the usual challenge', async () => {
    const response = await request(url, '/greeting', { token: jwt.sign({ sub: 'ada' }, { expiresIn: -10 }) });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api", error="invalid_token", error_description="token expired"');
  });

  it('does not open routes without the decorator', async () => {
    expect((await request(url, '/profile')).status).toBe(401);
  });
});
