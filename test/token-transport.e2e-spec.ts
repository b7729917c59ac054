import type { INestApplication } from '@nestjs/common';
import type { JwtService } from '@nestjs/jwt';
import { Test } from '@nestjs/testing';
import { ExtractJwt } from 'passport-jwt';
import { firstOf, fromAuthHeader, fromCookie, fromQuery, Rs256AuthModule } from '../src/index.js';
import { createApp, PLATFORM_WIRINGS, type AppScenario } from './fixtures/app.js';
import { listen, request } from './support/http.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

/** Starts an app for the scenario and hands its URL and JwtService to the tests in the block. */
function withApp(scenario: () => AppScenario): { url: () => string; jwt: () => JwtService } {
  let app: INestApplication;
  let jwt: JwtService;
  let url: string;
  beforeAll(async () => {
    ({ app, jwt } = await createApp(scenario()));
    url = await listen(app);
  });
  afterAll(() => app?.close());
  return { url: () => url, jwt: () => jwt };
}

describe.each(PLATFORM_WIRINGS)('token transport over HTTP (%s, %s)', (platform, wiring) => {
  describe('JWT_AUTH_SCHEME=JWT (Flask-JWT clients)', () => {
    const { url, jwt } = withApp(() => ({ platform, wiring, env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_AUTH_SCHEME: 'JWT' } }));

    it('accepts `JWT <token>`, the scheme in any case', async () => {
      const token = jwt().sign({ sub: 'flask' });
      for (const scheme of ['JWT', 'jwt', 'Jwt']) {
        expect(await request(url(), '/profile', { authorization: `${scheme} ${token}` })).toMatchObject({ status: 200, body: { subject: 'flask' } });
      }
    });

    it('no longer accepts Bearer, and every challenge names the JWT scheme', async () => {
      const token = jwt().sign({ sub: 'u' });
      const bearer = await request(url(), '/profile', { token });
      expect(bearer.status).toBe(401);
      expect(bearer.headers.get('www-authenticate')).toBe('JWT realm="api"');
      const refused = await request(url(), '/profile', { authorization: 'JWT not.a-token.at-all' });
      expect(refused.headers.get('www-authenticate')).toMatch(/^JWT realm="api", error="invalid_token", error_description="malformed token/);
      const forbidden = await request(url(), '/orders', { authorization: `JWT ${token}` });
      expect(forbidden.status).toBe(403);
      expect(forbidden.headers.get('www-authenticate')).toMatch(/^JWT realm="api", error="insufficient_scope"/);
    });
  });

  describe('JWT_COOKIE_NAME=access_token', () => {
    const { url, jwt } = withApp(() => ({ platform, wiring, env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_COOKIE_NAME: 'access_token' } }));
    const cookie = (value: string): { headers: Record<string, string> } => ({ headers: { cookie: value } });

    it('reads the token from the cookie, among others, quoted or not', async () => {
      const token = jwt().sign({ sub: 'browser' });
      for (const header of [`access_token=${token}`, `theme=dark; access_token=${token}; lang=en`, `access_token="${token}"`]) {
        expect(await request(url(), '/profile', cookie(header))).toMatchObject({ status: 200, body: { subject: 'browser' } });
      }
    });

    it('ignores cookies of other names, including ones that merely contain the name', async () => {
      const token = jwt().sign({ sub: 'u' });
      for (const header of [`token=${token}`, `my_access_token=${token}`, `access_token_old=${token}`, 'access_token=']) {
        const response = await request(url(), '/profile', cookie(header));
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
      }
    });

    it('takes the Authorization header first, the cookie only without one', async () => {
      const token = jwt().sign({ sub: 'header' });
      expect(await request(url(), '/profile', { token, ...cookie('access_token=garbage') })).toMatchObject({
        status: 200,
        body: { subject: 'header' },
      });
      const refused = await request(url(), '/profile', { token: 'garbage', ...cookie(`access_token=${token}`) });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toContain('error="invalid_token"');
    });

    it('still refuses a token in the query string', async () => {
      expect((await request(url(), `/profile?access_token=${jwt().sign({ sub: 'u' })}`)).status).toBe(401);
    });
  });

  describe('a token in the URL, opted into in code with fromQuery', () => {
    const { url, jwt } = withApp(() => ({
      platform,
      wiring,
      env: { JWT_PRIVATE_KEY_PATH: keys.privatePath },
      options: { transport: { extractor: firstOf(fromAuthHeader(), fromQuery('access_token')) } },
    }));

    it('reads ?access_token= and still the header', async () => {
      const token = jwt().sign({ sub: 'query' });
      expect(await request(url(), `/profile?x=1&access_token=${token}`)).toMatchObject({ status: 200, body: { subject: 'query' } });
      expect((await request(url(), '/profile', { token })).status).toBe(200);
      expect((await request(url(), '/profile?access_token=')).status).toBe(401);
    });
  });
});

describe('the transport settings are checked at start-up', () => {
  const build = (options: Parameters<typeof Rs256AuthModule.forRoot>[0]) =>
    Test.createTestingModule({
      imports: [Rs256AuthModule.forRoot({ keys: { privateKeyPath: keys.privatePath }, ...options } as Parameters<typeof Rs256AuthModule.forRoot>[0])],
    }).compile();

  it.each([
    ['transport.scheme option', { transport: { scheme: 'Bearer token' } }, 'an authorization scheme'],
    ['transport.scheme option', { transport: { scheme: '' } }, 'an authorization scheme'],
    ['transport.cookie option', { transport: { cookie: 'access token' } }, 'a cookie name'],
    ['transport.cookie option', { transport: { cookie: 'a=b' } }, 'a cookie name'],
  ])('refuses the %s %j', async (setting, options, expected) => {
    await expect(build(options)).rejects.toMatchObject({ code: 'RS256_CONFIG_INVALID', message: expect.stringContaining(setting) });
    await expect(build(options)).rejects.toThrow(expected);
  });

  it('refuses JWT_COOKIE_NAME together with a custom transport.extractor, which would ignore it', async () => {
    await expect(build({ transport: { cookie: 'access_token', extractor: ExtractJwt.fromAuthHeaderAsBearerToken() } })).rejects.toMatchObject({
      code: 'RS256_CONFIG_INVALID',
      message: expect.stringContaining('fromCookie'),
    });
  });

  it('the extractor factories refuse names that cannot be a scheme or a cookie name', () => {
    expect(() => fromAuthHeader('Bearer x')).toThrow(TypeError);
    expect(() => fromCookie('a;b')).toThrow(TypeError);
  });
});
