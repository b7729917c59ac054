import type { INestApplication } from '@nestjs/common';
import { createApp } from './fixtures/app.js';
import { listen, request } from './support/http.js';
import { rsaPair } from './support/keys.js';
import { DEFAULT_CLIENT, startOpenIdProvider, type OpenIdProvider } from './support/openid-provider.js';
import { SETUP_TIMEOUT } from './support/processes.js';
import { rs256Token, validClaims } from './support/tokens.js';

const AUDIENCE = 'https://api.example.test';

const decodeHeader = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString());

describe('RFC 9068 access tokens from a real OpenID Provider (oidc-provider)', () => {
  let provider: OpenIdProvider;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    provider = await startOpenIdProvider({
      audience: AUDIENCE,
      clients: [
        DEFAULT_CLIENT,
        // Keycloak puts realm roles under realm_access and client roles under resource_access.<client>.
        { client_id: 'auditor', client_secret: 'auditor-secret-for-tests-only', extra: { realm_access: { roles: ['auditor'] } } },
        {
          client_id: 'orders-admin',
          client_secret: 'orders-admin-secret-for-tests-only',
          extra: { resource_access: { 'orders-api': { roles: ['admin'] } } },
        },
        {
          client_id: 'other-admin',
          client_secret: 'other-admin-secret-for-tests-only',
          extra: { resource_access: { billing: { roles: ['admin'] } }, roles: ['admin'] },
        },
      ],
    });
    // The JWK Set URI looked up by hand, as resource-server mode needs it.
    ({ app } = await createApp({
      env: {
        JWT_JWKS_URI: `${provider.issuer}/jwks`,
        JWT_ISSUER: provider.issuer,
        JWT_AUDIENCE: AUDIENCE,
        JWT_TOKEN_TYPE: 'at+jwt',
        JWT_ROLES_CLAIM: 'realm_access.roles,resource_access.orders-api.roles',
      },
    }));
    url = await listen(app);
  }, SETUP_TIMEOUT);
  afterAll(async () => {
    await app?.close();
    await provider?.stop();
  });

  it('the provider issues client-credentials access tokens typed at+jwt', async () => {
    expect(decodeHeader(await provider.token())).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
  });

  it('JWT_TOKEN_TYPE=at+jwt accepts them and honours their scope', async () => {
    const token = await provider.token('service-a', 'orders:read');
    const profile = await request(url, '/profile', { token });
    expect(profile.status).toBe(200);
    expect(profile.body.claims).toMatchObject({ iss: provider.issuer, aud: AUDIENCE, client_id: 'service-a', sub: 'service-a' });
    expect((await request(url, '/orders', { token })).status).toBe(200);
    expect((await request(url, '/orders', { token: await provider.token('service-a', 'profile') })).status).toBe(403);
  });

  it('JWT_ROLES_CLAIM reads Keycloak-shaped roles: @RequireClaims({ roles: { anyOf } }) allows and denies', async () => {
    expect((await request(url, '/audit', { token: await provider.token('auditor') })).status).toBe(200);
    expect((await request(url, '/audit', { token: await provider.token('orders-admin') })).status).toBe(200);
    // Roles of another client, or a top-level roles claim, are not read once paths are configured.
    const denied = await request(url, '/audit', { token: await provider.token('other-admin') });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('www-authenticate')).toContain('error="insufficient_scope", error_description="missing role: one of admin auditor"');
    expect((await request(url, '/audit', { token: await provider.token('service-a') })).status).toBe(403);
  });

  it('@RequireClaims({ scopes: { anyOf } }) accepts either scope', async () => {
    expect((await request(url, '/reports', { token: await provider.token('service-a', 'orders:write') })).status).toBe(200);
    const denied = await request(url, '/reports', { token: await provider.token('service-a', 'profile') });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('www-authenticate')).toContain('scope="reports:read orders:write"');
  });

  it('JWT_TOKEN_TYPE=at+jwt refuses a token typed JWT with a reason', async () => {
    const token = rs256Token(rsaPair().privateKey, validClaims({ iss: provider.issuer, aud: AUDIENCE }), { typ: 'JWT' });
    const response = await request(url, '/profile', { token });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toContain('error_description="token type not accepted; expected at+jwt"');
  });
});
