import type { INestApplication } from '@nestjs/common';
import type { JwtService } from '@nestjs/jwt';
import { Rs256Strategy } from '../src/index.js';
import { createApp, PLATFORMS } from './fixtures/app.js';
import { listen, request } from './support/http.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { rs256Token, validClaims } from './support/tokens.js';

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

describe.each(PLATFORMS)('JWT_VERIFY_OFF_THREAD=true over HTTP (%s)', (platform) => {
  let app: INestApplication;
  let jwt: JwtService;
  let url: string;

  beforeAll(async () => {
    ({ app, jwt } = await createApp({ platform, env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_VERIFY_OFF_THREAD: 'true' } }));
    url = await listen(app);
  });
  afterAll(() => app?.close());

  it('accepts a valid token, new and then cached, with the same claims', async () => {
    const token = jwt.sign({ sub: 'user-7', scope: 'orders:read' });
    for (let i = 0; i < 2; i++) {
      const response = await request(url, '/profile', { token });
      expect(response.status).toBe(200);
      expect(response.body.claims).toMatchObject({ sub: 'user-7', scope: 'orders:read' });
    }
    expect((await request(url, '/orders', { token })).status).toBe(200);
  });

  it('answers refused tokens with the same 401 challenges as on the event loop', async () => {
    const cases: [string, string][] = [
      [rs256Token(keys.other.privateKey, validClaims()), 'invalid signature'],
      [rs256Token(keys.main.privateKey, validClaims({ exp: Math.floor(Date.now() / 1000) - 10 })), 'token expired'],
      [`${jwt.sign({ sub: 'u' })}A`, 'invalid signature'],
      ['not-a-token', 'malformed token: expected three dot-separated segments'],
    ];
    for (const [token, reason] of cases) {
      const response = await request(url, '/profile', { token });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe(`Bearer realm="api", error="invalid_token", error_description="${reason}"`);
    }
    expect((await request(url, '/profile')).headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });

  it('still checks route requirements on tokens verified off the event loop', async () => {
    const response = await request(url, '/orders', { token: jwt.sign({ sub: 'u', scope: 'profile' }) });
    expect(response.status).toBe(403);
    expect(response.headers.get('www-authenticate')).toMatch(/error="insufficient_scope"/);
  });
});

describe.each([false, true])('the strategy with JWT_VERIFY_OFF_THREAD=%s', (offThread) => {
  let app: INestApplication;
  let jwt: JwtService;

  beforeAll(async () => {
    ({ app, jwt } = await createApp({ env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_VERIFY_OFF_THREAD: String(offThread) } }));
  });
  afterAll(() => app?.close());

  // The guard's hot path: no microtask for a token already verified once, whichever thread checked it first.
  it('answers a cached token synchronously, and a new one in a promise only when it is checked off the event loop', async () => {
    const strategy = app.get(Rs256Strategy);
    const token = jwt.sign({ sub: 'user-7' });
    const first = strategy.authenticateToken(token);
    expect(first instanceof Promise).toBe(offThread);
    expect((await first).claims).toMatchObject({ sub: 'user-7' });
    const cached = strategy.authenticateToken(token);
    expect(cached).not.toBeInstanceOf(Promise);
    expect(cached).toMatchObject({ user: { sub: 'user-7' }, claims: { sub: 'user-7' } });
  });
});
