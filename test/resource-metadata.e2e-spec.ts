import type { INestApplication } from '@nestjs/common';
import type { JwtService } from '@nestjs/jwt';
import { Test } from '@nestjs/testing';
import { appModule, createApp, PLATFORM_WIRINGS, WIRINGS } from './fixtures/app.js';
import { listen, request } from './support/http.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';

const ISSUER = 'https://id.example.test';
const AUDIENCE = 'https://api.example.test';
const METADATA_URL = `${AUDIENCE}/.well-known/oauth-protected-resource`;

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

describe.each(PLATFORM_WIRINGS)('RFC 9728 protected-resource metadata (%s, %s)', (platform, wiring) => {
  let app: INestApplication;
  let jwt: JwtService;
  let url: string;

  beforeAll(async () => {
    ({ app, jwt } = await createApp({
      platform,
      wiring,
      guard: 'global',
      env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCE, JWT_RESOURCE_METADATA_ENABLED: 'true' },
    }));
    url = await listen(app);
  });
  afterAll(() => app?.close());

  it('serves the document outside the global guard, with the scopes the routes require', async () => {
    const response = await request(url, '/.well-known/oauth-protected-resource');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.body).toEqual({
      resource: AUDIENCE,
      authorization_servers: [ISSUER],
      // From @RequireClaims on the fixture's routes: all-of and any-of lists alike.
      scopes_supported: ['orders:read', 'orders:write', 'reports:read'],
      bearer_methods_supported: ['header'],
    });
  });

  it('announces the document in the challenge of a request without a token', async () => {
    const response = await request(url, '/profile');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Bearer realm="api", resource_metadata="${METADATA_URL}"`);
  });

  it('announces it with a refused token and with unmet requirements', async () => {
    const refused = await request(url, '/profile', { token: 'not.a.token' });
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toMatch(
      new RegExp(`^Bearer realm="api", resource_metadata="${METADATA_URL}", error="invalid_token"`),
    );
    const forbidden = await request(url, '/orders', { token: jwt.sign({ sub: 'u', scope: 'profile' }) });
    expect(forbidden.status).toBe(403);
    expect(forbidden.headers.get('www-authenticate')).toContain(`resource_metadata="${METADATA_URL}", error="insufficient_scope"`);
  });
});

describe.each(WIRINGS)('RFC 9728 settings (%s)', (wiring) => {
  it('is off by default: no document, and no resource_metadata in challenges', async () => {
    const { app } = await createApp({ wiring, guard: 'global', env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_AUDIENCE: AUDIENCE } });
    try {
      const url = await listen(app);
      expect((await request(url, '/.well-known/oauth-protected-resource')).status).toBe(404);
      expect((await request(url, '/profile')).headers.get('www-authenticate')).toBe('Bearer realm="api"');
    } finally {
      await app.close();
    }
  });

  it('serves a resource with a path at the RFC 9728 §3.1 location, with the configured authorization servers', async () => {
    const { app } = await createApp({
      wiring,
      options: {
        publishing: {
          resourceMetadata: {
            resource: 'https://api.example.test/orders',
            authorizationServers: ['https://a.example.test', 'https://b.example.test'],
          },
        },
      },
      env: { JWT_PRIVATE_KEY_PATH: keys.privatePath },
    });
    try {
      const url = await listen(app);
      const response = await request(url, '/.well-known/oauth-protected-resource/orders');
      expect(response.body).toMatchObject({
        resource: 'https://api.example.test/orders',
        authorization_servers: ['https://a.example.test', 'https://b.example.test'],
      });
      expect((await request(url, '/profile')).headers.get('www-authenticate')).toContain(
        'resource_metadata="https://api.example.test/.well-known/oauth-protected-resource/orders"',
      );
    } finally {
      await app.close();
    }
  });

  it.each([
    ['an audience that is not a URL and no JWT_RESOURCE', { JWT_AUDIENCE: 'orders-api' }, ['JWT_RESOURCE', '"orders-api"', 'https:']],
    ['a resource with a query', { JWT_RESOURCE: 'https://api.example.test/?tenant=a' }, ['JWT_RESOURCE', 'without query']],
    [
      'a resource whose path the router would read as a pattern',
      { JWT_RESOURCE: 'https://api.example.test/*' },
      ['JWT_RESOURCE', '"https://api.example.test/*"', 'routers read'],
    ],
    ['a resource path with a route parameter', { JWT_RESOURCE: 'https://api.example.test/:tenant' }, ['JWT_RESOURCE', 'routers read']],
    [
      'an authorization server that is not a URL',
      { JWT_RESOURCE: AUDIENCE, JWT_AUTHORIZATION_SERVERS: 'keycloak' },
      ['JWT_AUTHORIZATION_SERVERS', '"keycloak"'],
    ],
  ])('refuses %s at start-up', async (_name, env, mentions) => {
    const modulePromise = Test.createTestingModule({
      imports: [appModule({ wiring, env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_RESOURCE_METADATA_ENABLED: 'true', ...env } })],
    }).compile();
    const error = await modulePromise.then(
      () => undefined,
      (caught: unknown) => caught as { code?: string; message: string },
    );
    expect(error?.code).toBe('RS256_CONFIG_INVALID');
    for (const mention of mentions) expect(error?.message).toContain(mention);
  });
});
