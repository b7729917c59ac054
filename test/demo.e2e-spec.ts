import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { request } from './support/http.js';
import { ROOT } from './support/paths.js';
import { createDevKeys, SETUP_TIMEOUT, startDemo, stopDemo, type ServerProcess } from './support/processes.js';

function devKeys(cwd: string): string {
  const result = createDevKeys(cwd);
  expect(result.status).toBe(0);
  return result.stdout;
}

async function login(url: string, username: string, password: string): Promise<string> {
  const response = await request(url, '/auth/login', { method: 'POST', body: { username, password } });
  expect(response.status).toBe(200);
  return response.body.access_token;
}

describe('the demo server, as npm start runs it', () => {
  let cwd: string;
  let demo: ServerProcess;
  let devKeysOutput: string;

  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'rs256-auth-demo-'));
    devKeysOutput = devKeys(cwd);
    demo = await startDemo(cwd);
  }, SETUP_TIMEOUT);
  afterAll(async () => {
    await stopDemo(demo);
    rmSync(cwd, { recursive: true, force: true });
  });

  it('creates development keys once, saying so in one line', () => {
    expect(existsSync(join(cwd, 'keys/private.pem'))).toBe(true);
    expect(existsSync(join(cwd, 'keys/public.pem'))).toBe(true);
    expect(devKeysOutput.trim().split('\n')).toEqual([expect.stringMatching(/development keys/)]);
    const before = readFileSync(join(cwd, 'keys/public.pem'), 'utf8');
    expect(devKeys(cwd)).toBe('');
    expect(readFileSync(join(cwd, 'keys/public.pem'), 'utf8')).toBe(before);
  });

  it('GET /health is public', async () => {
    expect(await request(demo.url, '/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
  });

  it('POST /auth/login issues a Bearer token for the default user', async () => {
    const response = await request(demo.url, '/auth/login', { method: 'POST', body: { username: 'demo', password: 'demo-password' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.body).toEqual({
      access_token: expect.stringMatching(/^eyJ/),
      token_type: 'Bearer',
      expires_in: 900,
      refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{86}$/),
      refresh_expires_in: 14 * 86400,
    });
  });

  it('POST /auth/login answers 401 to wrong credentials and unknown users', async () => {
    for (const body of [
      { username: 'demo', password: 'wrong' },
      { username: 'nobody', password: 'demo-password' },
    ]) {
      expect((await request(demo.url, '/auth/login', { method: 'POST', body })).status).toBe(401);
    }
  });

  it.each([
    ['invalid JSON', '{"username":'],
    ['a JSON array', '[1, 2]'],
    ['a missing password', { username: 'demo' }],
    ['a non-string username', { username: 7, password: 'demo-password' }],
    ['an empty username', { username: '', password: 'demo-password' }],
    ['an overlong password', { username: 'demo', password: 'x'.repeat(300) }],
  ])('POST /auth/login answers 400 to %s', async (_name, body) => {
    const response = await request(demo.url, '/auth/login', { method: 'POST', body });
    expect(response.status).toBe(400);
    expect(typeof response.body.message).toBe('string');
  });

  it('GET /profile returns the verified claims, and 401 with a challenge without a token', async () => {
    const token = await login(demo.url, 'demo', 'demo-password');
    const response = await request(demo.url, '/profile', { token });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ sub: 'demo', scope: 'profile orders:read', iss: 'nestjs-rs256-auth-demo' });
    const anonymous = await request(demo.url, '/profile');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });

  it('GET /orders needs the orders:read scope: 200 for demo, 403 insufficient_scope for guest', async () => {
    const allowed = await request(demo.url, '/orders', { token: await login(demo.url, 'demo', 'demo-password') });
    expect(allowed.status).toBe(200);
    expect(allowed.body.owner).toBe('demo');
    const denied = await request(demo.url, '/orders', { token: await login(demo.url, 'guest', 'guest-password') });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
  });

  it("GET /.well-known/jwks.json lets jose verify the demo's tokens", async () => {
    const jwks = await request(demo.url, '/.well-known/jwks.json');
    expect(jwks.status).toBe(200);
    const token = await login(demo.url, 'demo', 'demo-password');
    const { payload } = await jwtVerify(token, createLocalJWKSet(jwks.body), {
      algorithms: ['RS256'],
      issuer: 'nestjs-rs256-auth-demo',
      audience: 'nestjs-rs256-auth-demo',
    });
    expect(payload.sub).toBe('demo');
  });

  it('POST /auth/refresh rotates the refresh token; logout ends the session; logout-all every session of the user', async () => {
    const login = async (username = 'demo', password = 'demo-password') =>
      (await request(demo.url, '/auth/login', { method: 'POST', body: { username, password } })).body;
    const refresh = (token: string) => request(demo.url, '/auth/refresh', { method: 'POST', body: { refresh_token: token } });
    const first = await login();
    const second = await refresh(first.refresh_token);
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    expect((await request(demo.url, '/profile', { token: second.body.access_token })).status).toBe(200);
    expect((await request(demo.url, '/auth/refresh', { method: 'POST', body: {} })).status).toBe(400);

    expect((await request(demo.url, '/auth/logout', { method: 'POST' })).status).toBe(401);
    expect((await request(demo.url, '/auth/logout', { method: 'POST', token: second.body.access_token })).status).toBe(204);
    expect((await request(demo.url, '/profile', { token: first.access_token })).status).toBe(401);
    expect((await refresh(second.body.refresh_token)).status).toBe(401);

    const sessions = [await login('guest', 'guest-password'), await login('guest', 'guest-password')];
    const other = await login();
    expect((await request(demo.url, '/auth/logout-all', { method: 'POST', token: sessions[0].access_token })).status).toBe(204);
    for (const session of sessions) {
      expect((await request(demo.url, '/profile', { token: session.access_token })).status).toBe(401);
      expect((await refresh(session.refresh_token)).status).toBe(401);
    }
    expect((await request(demo.url, '/profile', { token: other.access_token })).status).toBe(200);
  });

  it('never writes a password or a token to its log', async () => {
    const token = await login(demo.url, 'demo', 'demo-password');
    await request(demo.url, '/profile', { token: `${token}x` });
    expect(demo.output()).not.toContain('demo-password');
    expect(demo.output()).not.toContain(token.split('.')[2].slice(0, 20));
    const { refresh_token: refreshToken } = (
      await request(demo.url, '/auth/login', { method: 'POST', body: { username: 'demo', password: 'demo-password' } })
    ).body;
    await request(demo.url, '/auth/refresh', { method: 'POST', body: { refresh_token: refreshToken } });
    await request(demo.url, '/auth/refresh', { method: 'POST', body: { refresh_token: refreshToken } });
    expect(demo.output()).not.toContain(refreshToken);
    expect(demo.output()).not.toContain('PRIVATE KEY');
  });
});

describe('the demo with a .env file', () => {
  it('takes settings from .env over the defaults', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'rs256-auth-demo-env-'));
    try {
      devKeys(cwd);
      writeFileSync(
        join(cwd, '.env'),
        'JWT_ISSUER=custom-issuer\nJWT_EXPIRES_IN=1h\nDEMO_USERS=alice:wonderland:profile\nJWT_SESSIONS_ENABLED=false\n',
      );
      const demo = await startDemo(cwd);
      try {
        const response = await request(demo.url, '/auth/login', { method: 'POST', body: { username: 'alice', password: 'wonderland' } });
        expect(response.body.expires_in).toBe(3600);
        const claims = JSON.parse(Buffer.from(response.body.access_token.split('.')[1], 'base64url').toString());
        expect(claims.iss).toBe('custom-issuer');
        expect((await request(demo.url, '/auth/login', { method: 'POST', body: { username: 'demo', password: 'demo-password' } })).status).toBe(401);
        // Sessions switched off: the session routes say so rather than failing with a 500.
        const refresh = await request(demo.url, '/auth/refresh', { method: 'POST', body: { refresh_token: 'A'.repeat(43) } });
        expect(refresh.status).toBe(404);
        expect(refresh.body.message).toMatch(/sessions are disabled/);
      } finally {
        await stopDemo(demo);
      }
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});

describe('the demo under JWT_TOKEN_PROFILE=rfc9068', () => {
  let cwd: string;
  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'rs256-auth-demo-rfc9068-'));
    devKeys(cwd);
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it.each([['true'], ['false']])('POST /auth/login issues RFC 9068 access tokens (sessions %s), which its own routes accept', async (sessions) => {
    const demo = await startDemo(cwd, { JWT_TOKEN_PROFILE: 'rfc9068', JWT_SESSIONS_ENABLED: sessions });
    try {
      const response = await request(demo.url, '/auth/login', { method: 'POST', body: { username: 'demo', password: 'demo-password' } });
      expect(response.status).toBe(200);
      const [header, payload] = response.body.access_token
        .split('.')
        .slice(0, 2)
        .map((part: string) => JSON.parse(Buffer.from(part, 'base64url').toString()));
      expect(header.typ).toBe('at+jwt');
      expect(payload).toMatchObject({
        sub: 'demo',
        client_id: 'nestjs-rs256-auth-demo',
        iss: 'nestjs-rs256-auth-demo',
        aud: 'nestjs-rs256-auth-demo',
      });
      expect(typeof payload.jti).toBe('string');
      expect((await request(demo.url, '/orders', { token: response.body.access_token })).status).toBe(200);
      if (sessions === 'true') {
        const refreshed = await request(demo.url, '/auth/refresh', { method: 'POST', body: { refresh_token: response.body.refresh_token } });
        expect(JSON.parse(Buffer.from(refreshed.body.access_token.split('.')[1], 'base64url').toString()).client_id).toBe('nestjs-rs256-auth-demo');
      }
    } finally {
      await stopDemo(demo);
    }
  });
});

describe('the demo in OpenAPI and npm scripts', () => {
  it('documents the JSON bodies of POST /auth/login and /auth/refresh, so Swagger UI can send them', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'rs256-auth-demo-openapi-'));
    try {
      devKeys(cwd);
      const demo = await startDemo(cwd);
      try {
        const document = (await request(demo.url, '/docs-json')).body;
        const body = (path: string) => document.paths[path].post.requestBody;
        expect(body('/auth/login')).toMatchObject({
          required: true,
          content: {
            'application/json': {
              schema: {
                type: 'object',
                required: ['username', 'password'],
                properties: { username: { type: 'string' }, password: { type: 'string' } },
              },
            },
          },
        });
        expect(body('/auth/refresh').content['application/json'].schema.required).toEqual(['refresh_token']);
      } finally {
        await stopDemo(demo);
      }
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });

  it('npm start and npm run start:resource-server compile the library once (the ES module build the demo imports), then the demo', () => {
    const scripts: Record<string, string> = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).scripts;
    // The commands a script runs, with `npm run x` replaced by x's own, as npm runs them (pre-scripts included).
    const expand = (name: string): string[] =>
      [`pre${name}`, name]
        .filter((script) => scripts[script] !== undefined)
        .flatMap((script) => scripts[script].split('&&').map((command) => command.trim()))
        .flatMap((command) => (command.startsWith('npm run ') ? expand(command.slice('npm run '.length)) : [command]));
    for (const script of ['start', 'start:resource-server']) {
      const commands = expand(script);
      expect({ script, compiles: commands.filter((command) => /\btsc\b|build-commonjs/.test(command)) }).toEqual({
        script,
        compiles: ['tsc -p tsconfig.build.json', 'tsc -p examples/demo'],
      });
    }
  });
});
