import { Controller, Get, UseGuards, type INestApplication } from '@nestjs/common';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { Claims, JwtAuthGuard, RemoteJwks, RequireClaims, Rs256AuthError, Rs256AuthModule, type JwtClaims } from '../src/index.js';
import { createAuthTestKit, createTestKeys, startFakeIssuer, type AuthTestKit, type FakeIssuer } from '../src/testing/index.js';
import { listen, request } from './support/http.js';

/** A user's controller: a guarded route, one needing a scope, one needing a role. */
@Controller()
@UseGuards(JwtAuthGuard)
class OrdersController {
  @Get('profile')
  profile(@Claims() claims: JwtClaims): JwtClaims {
    return claims;
  }

  @RequireClaims({ scopes: ['orders:read'] })
  @Get('orders')
  orders(): { orders: string[] } {
    return { orders: ['o-1'] };
  }

  @RequireClaims({ roles: ['admin'] })
  @Get('admin')
  admin(): { admin: true } {
    return { admin: true };
  }
}

const REASONS = [
  'expired',
  'not yet valid',
  'signed by another key',
  'unknown kid',
  'alg none',
  'HS256 keyed with the public key',
  'wrong issuer',
  'wrong audience',
  'tampered payload',
];

async function startApp(imports: Parameters<typeof Test.createTestingModule>[0]['imports']): Promise<{ app: INestApplication; url: string }> {
  const moduleRef = await Test.createTestingModule({ imports, controllers: [OrdersController] }).compile();
  const app = moduleRef.createNestApplication({ logger: false });
  try {
    return { app, url: await listen(app) };
  } catch (error) {
    await app.close();
    throw error;
  }
}

describe('nestjs-rs256-auth/testing: createAuthTestKit', () => {
  const kit: AuthTestKit = createAuthTestKit();
  let app: INestApplication | undefined;
  let url: string;

  beforeAll(async () => {
    ({ app, url } = await startApp([kit.module()]));
  });
  afterAll(async () => {
    await app?.close();
  });

  it('signs a token the module on its keys accepts, carrying the kit’s issuer and audience', async () => {
    const response = await request(url, '/profile', { token: kit.signTestToken({ sub: 'alice' }) });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ sub: 'alice', iss: 'https://issuer.test', aud: 'https://api.test' });
    expect(response.body.exp - response.body.iat).toBe(300);
  });

  it('writes scopes and roles where the module reads them', async () => {
    expect((await request(url, '/orders', { token: kit.signTestToken({}, { scopes: ['orders:read'] }) })).status).toBe(200);
    expect((await request(url, '/admin', { token: kit.signTestToken({}, { roles: ['admin'] }) })).status).toBe(200);
    const forbidden = await request(url, '/orders', { token: kit.signTestToken() });
    expect(forbidden.status).toBe(403);
    expect(forbidden.body).toMatchObject({ statusCode: 403, code: 'RS256_INSUFFICIENT_CLAIMS', message: 'missing scope orders:read' });
  });

  it('takes overrides of exp, nbf, iss, aud, kid and typ, and null to leave a claim out', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: [Parameters<AuthTestKit['signTestToken']>[1], number, string?][] = [
      [{ now: now - 1000, expiresIn: 60 }, 401, 'RS256_TOKEN_EXPIRED'],
      [{ exp: now + 30 }, 200],
      [{ nbf: now + 600 }, 401, 'RS256_TOKEN_NOT_YET_VALID'],
      [{ iss: 'https://elsewhere.test' }, 401, 'RS256_TOKEN_ISSUER'],
      [{ aud: ['https://other.test', 'https://api.test'] }, 200],
      [{ aud: null }, 401, 'RS256_TOKEN_AUDIENCE'],
      [{ kid: null }, 200],
      [{ kid: 'nope' }, 401, 'RS256_TOKEN_KID_UNKNOWN'],
      [{ typ: 'at+jwt' }, 200],
      [{ iat: null }, 401, 'RS256_TOKEN_CLAIM_MISSING'],
    ];
    for (const [options, status, code] of cases) {
      const response = await request(url, '/profile', { token: kit.signTestToken({}, options) });
      expect({ options, status: response.status, code: response.body.code }).toEqual({ options, status, code });
    }
  });

  it('makes one bad token per refusal reason', () => {
    expect(
      kit
        .badTokens()
        .map((bad) => bad.reason)
        .sort(),
    ).toEqual([...REASONS].sort());
  });

  it.each(kit.badTokens({ sub: 'mallory' }).map((bad) => [bad.reason, bad.code, bad.token]))(
    'the guard refuses the %s token as %s, with a 401, a challenge and the code in the body',
    async (_reason, code, token) => {
      const response = await request(url, '/profile', { token });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_token", error_description="/);
      expect(response.body).toMatchObject({ statusCode: 401, error: 'Unauthorized', code });
    },
  );

  it('gives its settings as environment variables, for an app whose module reads them', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, kit.env());
    let started: { app: INestApplication; url: string } | undefined;
    try {
      started = await startApp([Rs256AuthModule.forRoot()]);
      expect((await request(started.url, '/profile', { token: kit.signTestToken() })).status).toBe(200);
      expect((await request(started.url, '/profile', { token: kit.signTestToken({}, { aud: 'https://other.test' }) })).body.code).toBe(
        'RS256_TOKEN_AUDIENCE',
      );
    } finally {
      process.env = saved;
      await started?.app.close();
    }
  });

  it('writes key files only when asked, the private one readable by its owner only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs256-kit-'));
    try {
      const paths = kit.keys.writeKeyFiles(join(dir, 'keys'));
      expect(readFileSync(paths.privateKeyPath, 'utf8')).toBe(kit.keys.privateKey);
      expect(readFileSync(paths.publicKeyPath, 'utf8')).toBe(kit.keys.publicKey);
      expect(statSync(paths.privateKeyPath).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('makes an existing private.pem readable by its owner only before writing the key into it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rs256-kit-'));
    try {
      const privateKeyPath = join(dir, 'private.pem');
      writeFileSync(privateKeyPath, 'an old key', { mode: 0o644 });
      chmodSync(privateKeyPath, 0o644);
      expect(kit.keys.writeKeyFiles(dir).privateKeyPath).toBe(privateKeyPath);
      expect(readFileSync(privateKeyPath, 'utf8')).toBe(kit.keys.privateKey);
      expect(statSync(privateKeyPath).mode & 0o777).toBe(0o600);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('makes new keys for every kit: none is shipped', () => {
    expect(createAuthTestKit().keys.kid).not.toBe(kit.keys.kid);
    expect(createTestKeys().privateKey).not.toBe(kit.keys.privateKey);
  });
});

describe('nestjs-rs256-auth/testing refuses to run with NODE_ENV=production', () => {
  const nodeEnv = process.env.NODE_ENV;
  afterEach(() => {
    process.env.NODE_ENV = nodeEnv;
  });

  it.each([
    ['createAuthTestKit', () => createAuthTestKit()],
    ['createTestKeys', () => createTestKeys()],
    ['startFakeIssuer', () => startFakeIssuer()],
  ])('%s throws RS256_TESTING_IN_PRODUCTION', async (name, start) => {
    process.env.NODE_ENV = 'production';
    let failure: unknown;
    try {
      await start();
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(Rs256AuthError);
    expect(failure).toMatchObject({ code: 'RS256_TESTING_IN_PRODUCTION', message: expect.stringContaining(`${name}()`) });
  });
});

describe('nestjs-rs256-auth/testing: startFakeIssuer, and a resource server on JWT_ISSUER_URL', () => {
  let issuer: FakeIssuer | undefined;
  let server: { app: INestApplication; url: string } | undefined;

  beforeAll(async () => {
    issuer = await startFakeIssuer();
    server = await startApp([Rs256AuthModule.forRoot({ keys: { issuerUrl: issuer.url }, tokens: { audience: [issuer.audience!] } })]);
  });
  afterAll(async () => {
    await server?.app.close();
    await issuer?.close();
  });

  it('serves OpenID discovery and RFC 8414 metadata naming its JWK Set and token endpoint, on loopback', async () => {
    expect(issuer!.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const response = await request(issuer!.url, path);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        issuer: issuer!.url,
        jwks_uri: issuer!.jwksUri,
        token_endpoint: issuer!.tokenEndpoint,
        grant_types_supported: ['client_credentials'],
      });
    }
    const jwks = await request(issuer!.url, '/jwks');
    expect(jwks.body).toEqual({ keys: [issuer!.signingKey.publicJwk] });
    expect(Object.keys(jwks.body.keys[0]).sort()).toEqual(['alg', 'e', 'kid', 'kty', 'n', 'use']);
  });

  it('hands a client_credentials token to a known client, which the resource server accepts', async () => {
    const token = await issuer!.requestToken({ scope: 'orders:read' });
    const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString());
    expect(header).toEqual({ alg: 'RS256', typ: 'at+jwt', kid: issuer!.signingKey.kid });
    expect((await request(server!.url, '/orders', { token })).status).toBe(200);
    const profile = await request(server!.url, '/profile', { token });
    expect(profile.body).toMatchObject({
      iss: issuer!.url,
      aud: 'https://api.test',
      sub: 'test-client',
      client_id: 'test-client',
      scope: 'orders:read',
    });
  });

  it('refuses an unknown client, a wrong secret and another grant type, as RFC 6749 §5.2 says', async () => {
    await expect(issuer!.requestToken({ clientSecret: 'wrong' })).rejects.toThrow('401 invalid_client');
    await expect(issuer!.requestToken({ clientId: 'stranger', clientSecret: 'x' })).rejects.toThrow('401 invalid_client');
    const basic = Buffer.from('test-client:test-secret').toString('base64');
    const response = await fetch(issuer!.tokenEndpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}` },
      body: new URLSearchParams({ grant_type: 'password', username: 'a', password: 'b' }),
    });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: 'unsupported_grant_type' });
  });

  it('answers a malformed Basic credential 401 invalid_client, and a request target that is no URL 400, and keeps serving', async () => {
    const basic = Buffer.from('test-client%:test-secret').toString('base64');
    const response = await fetch(issuer!.tokenEndpoint, {
      method: 'POST',
      headers: { authorization: `Basic ${basic}` },
      body: new URLSearchParams({ grant_type: 'client_credentials' }),
    });
    expect(response.status).toBe(401);
    expect(await response.json()).toMatchObject({ error: 'invalid_client' });

    const { port } = new URL(issuer!.url);
    const raw = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(port), '127.0.0.1', () => socket.end('GET http://[ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'));
      let answer = '';
      socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
      socket.on('end', () => resolve(answer)).on('error', reject);
    });
    expect(raw).toMatch(/^HTTP\/1\.1 400 /);
    expect((await fetch(`${issuer!.url}/jwks`)).status).toBe(200);
  });

  it.each(REASONS.map((reason) => [reason]))('the resource server refuses the issuer’s %s token with its code', async (reason) => {
    const bad = issuer!.badTokens().find((candidate) => candidate.reason === reason)!;
    const response = await request(server!.url, '/profile', { token: bad.token });
    expect(response.status).toBe(401);
    expect(response.body.code).toBe(bad.code);
  });

  it('rotates its key on demand: the new key signs, the old one stays published unless retired', async () => {
    const old = issuer!.signingKey;
    const oldToken = issuer!.signTestToken();
    const next = issuer!.rotate();
    expect(issuer!.signingKey).toBe(next);
    expect((await request(issuer!.url, '/jwks')).body.keys.map((key: { kid: string }) => key.kid)).toEqual([next.kid, old.kid]);
    // A refresh the operator asks for (SIGHUP), not one an unknown kid starts: those wait for the cooldown.
    expect(await server!.app.get(RemoteJwks).refreshNow()).toBe(true);
    expect((await request(server!.url, '/profile', { token: issuer!.signTestToken() })).status).toBe(200);
    expect((await request(server!.url, '/profile', { token: oldToken })).status).toBe(200);
    issuer!.rotate({ retirePrevious: true });
    expect((await request(issuer!.url, '/jwks')).body.keys).toHaveLength(1);
    expect(await server!.app.get(RemoteJwks).refreshNow()).toBe(true);
    expect((await request(server!.url, '/profile', { token: oldToken })).body.code).toBe('RS256_TOKEN_KID_UNKNOWN');
  });
});
