import type { AddressInfo } from 'node:net';
import type { INestApplication } from '@nestjs/common';
import { createApp } from './fixtures/app.js';
import { createCertificates, httpsGet, type Certificates } from './support/certificates.js';
import { startOpenIdProvider, type OpenIdProvider } from './support/openid-provider.js';
import { SETUP_TIMEOUT } from './support/processes.js';

const AUDIENCE = 'https://api.example.test';
const CLIENT = { client_id: 'bound-service', client_secret: 'bound-service-secret-for-tests-only', certificateBound: true };

/**
 * Interop with a real authorization server: oidc-provider with `features.mTLS.certificateBoundAccessTokens` issues a
 * client-credentials token bound to the client's certificate (RFC 8705 §3), and this module, as the resource server
 * served over HTTPS, accepts it over a connection with that certificate only.
 */
describe('certificate-bound tokens from oidc-provider (RFC 8705)', () => {
  let certs: Certificates;
  let provider: OpenIdProvider;
  let app: INestApplication;
  let url: string;
  let token: string;

  beforeAll(async () => {
    certs = createCertificates();
    provider = await startOpenIdProvider({ audience: AUDIENCE, clients: [CLIENT] });
    ({ app } = await createApp({
      https: { key: certs.server.key, cert: certs.server.cert, ca: certs.ca.cert, requestCert: true, rejectUnauthorized: false },
      env: { JWT_JWKS_URI: `${provider.issuer}/jwks`, JWT_ISSUER: provider.issuer, JWT_AUDIENCE: AUDIENCE, JWT_MTLS_BOUND: 'required' },
    }));
    await app.listen(0, '127.0.0.1');
    url = `https://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
    token = await provider.token(CLIENT.client_id, 'orders:read', certs.alice.cert);
  }, SETUP_TIMEOUT);
  afterAll(async () => {
    await app?.close();
    await provider?.stop();
    certs?.cleanup();
  });

  it('the provider binds the token to the certificate (cnf.x5t#S256)', () => {
    const claims = JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()) as { cnf?: Record<string, string> };
    expect(claims.cnf).toEqual({ 'x5t#S256': certs.alice.thumbprint });
  });

  it('is accepted over a connection with that certificate', async () => {
    expect(await httpsGet(url, '/orders', { ca: certs.ca.cert, client: certs.alice, token })).toMatchObject({
      status: 200,
      body: { orders: ['o-1'] },
    });
  });

  it('is refused without a certificate, and with another one', async () => {
    expect(await httpsGet(url, '/orders', { ca: certs.ca.cert, token })).toMatchObject({
      status: 401,
      body: { code: 'RS256_TOKEN_MTLS_CERTIFICATE_MISSING' },
    });
    expect(await httpsGet(url, '/orders', { ca: certs.ca.cert, client: certs.bob, token })).toMatchObject({
      status: 401,
      body: { code: 'RS256_TOKEN_MTLS_CERTIFICATE_MISMATCH' },
    });
  });
});
