import type { INestApplication } from '@nestjs/common';
import { createApp } from './fixtures/app.js';
import { DpopController } from './fixtures/dpop.controller.js';
import { dpopKey, dpopProof } from './support/dpop.js';
import { startExpressVerifier } from './support/express-verifier.js';
import { listen, request } from './support/http.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { DEFAULT_CLIENT, startOpenIdProvider, type OpenIdProvider } from './support/openid-provider.js';
import { SETUP_TIMEOUT } from './support/processes.js';

const AUDIENCE = 'https://api.example.test';
const claimsOf = (token: string): Record<string, unknown> => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());

describe('DPoP-bound tokens from a real OpenID Provider (oidc-provider, features.dPoP)', () => {
  let provider: OpenIdProvider;
  let app: INestApplication;
  let url: string;
  const client = dpopKey('ES256');

  /** A client-credentials token request with a DPoP proof, as a DPoP client sends it (RFC 9449 §5). */
  async function boundToken(): Promise<{ access_token: string; token_type: string }> {
    const response = await fetch(`${provider.issuer}/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        authorization: `Basic ${Buffer.from(`${DEFAULT_CLIENT.client_id}:${DEFAULT_CLIENT.client_secret}`).toString('base64')}`,
        dpop: dpopProof(client, { htm: 'POST', htu: `${provider.issuer}/token` }),
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'orders:read', resource: AUDIENCE }),
    });
    const body = (await response.json()) as { access_token: string; token_type: string };
    if (!body.access_token) throw new Error(`oidc-provider refused the token request: ${JSON.stringify(body)}`);
    return body;
  }

  beforeAll(async () => {
    provider = await startOpenIdProvider({ audience: AUDIENCE });
    ({ app } = await createApp({
      env: { JWT_JWKS_URI: `${provider.issuer}/jwks`, JWT_ISSUER: provider.issuer, JWT_AUDIENCE: AUDIENCE, JWT_DPOP: 'allowed' },
      controllers: [DpopController],
    }));
    url = await listen(app);
  }, SETUP_TIMEOUT);
  afterAll(async () => {
    await app?.close();
    await provider?.stop();
  });

  it('the provider binds the token to the proof key: token_type DPoP, cnf.jkt the RFC 7638 thumbprint', async () => {
    const { access_token: token, token_type } = await boundToken();
    expect(token_type).toBe('DPoP');
    expect(claimsOf(token).cnf).toEqual({ jkt: client.jkt });
  });

  it('our resource server accepts it with a proof and refuses it without', async () => {
    const { access_token: token } = await boundToken();
    const proof = dpopProof(client, { htm: 'GET', htu: `${url}/dpop/resource`, accessToken: token });
    expect(await request(url, '/dpop/resource', { authorization: `DPoP ${token}`, headers: { dpop: proof } })).toMatchObject({
      status: 200,
      body: { subject: DEFAULT_CLIENT.client_id },
    });
    expect(await request(url, '/dpop/resource', { authorization: `DPoP ${token}` })).toMatchObject({
      status: 401,
      body: { code: 'RS256_DPOP_PROOF_MISSING' },
    });
    expect(await request(url, '/dpop/resource', { token })).toMatchObject({ status: 401, body: { code: 'RS256_DPOP_TOKEN_BOUND' } });
    const thief = dpopKey('ES256');
    const stolen = dpopProof(thief, { htm: 'GET', htu: `${url}/dpop/resource`, accessToken: token });
    expect(await request(url, '/dpop/resource', { authorization: `DPoP ${token}`, headers: { dpop: stolen } })).toMatchObject({
      status: 401,
      body: { code: 'RS256_DPOP_KEY_MISMATCH' },
    });
  });
});

describe('express-oauth2-jwt-bearer with DPoP accepts DPoP-bound tokens our SessionService issued', () => {
  let keys: KeyFiles;
  let app: INestApplication;
  let url: string;
  let verifier: { url: string; close: () => Promise<void> } | undefined;
  const client = dpopKey('ES256');

  beforeAll(async () => {
    keys = createKeyFiles();
    ({ app } = await createApp({
      env: {
        JWT_PRIVATE_KEY_PATH: keys.privatePath,
        JWT_ISSUER: 'https://issuer.test',
        JWT_AUDIENCE: AUDIENCE,
        JWT_JWKS_ENABLED: 'true',
        JWT_SESSIONS_ENABLED: 'true',
        JWT_DPOP: 'allowed',
      },
      controllers: [DpopController],
    }));
    url = await listen(app);
    verifier = await startExpressVerifier({
      issuer: 'https://issuer.test',
      audience: AUDIENCE,
      jwksUri: `${url}/.well-known/jwks.json`,
      tokenSigningAlg: 'RS256',
      dpop: { enabled: true, required: true },
    });
  });
  afterAll(async () => {
    await verifier?.close();
    await app?.close();
    keys?.cleanup();
  });

  it('signs in with a proof, and express-oauth2-jwt-bearer accepts the token with a proof by the same key only', async () => {
    const login = await request(url, '/dpop/login', {
      method: 'POST',
      body: { sub: 'ada' },
      headers: { dpop: dpopProof(client, { htm: 'POST', htu: `${url}/dpop/login` }) },
    });
    expect(login).toMatchObject({ status: 200, body: { tokenType: 'DPoP' } });
    const token = (login.body as { accessToken: string }).accessToken;
    const proof = (key = client): string => dpopProof(key, { htm: 'GET', htu: `${verifier!.url}/resource`, accessToken: token });
    expect(await request(verifier!.url, '/resource', { authorization: `DPoP ${token}`, headers: { dpop: proof() } })).toMatchObject({
      status: 200,
      body: { ok: true },
    });
    expect((await request(verifier!.url, '/resource', { authorization: `DPoP ${token}`, headers: { dpop: proof(dpopKey('ES256')) } })).status).toBe(
      401,
    );
    expect((await request(verifier!.url, '/resource', { authorization: `DPoP ${token}` })).status).toBe(400);
  });
});
