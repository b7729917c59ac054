import type { AddressInfo } from 'node:net';
import { Controller, Get, UseGuards, type INestApplication } from '@nestjs/common';
import type { JwtService } from '@nestjs/jwt';
import { JwtAuthGuard, RequireCertificateBound } from '../src/index.js';
import { createApp, PLATFORMS, type Platform } from './fixtures/app.js';
import { createGatewayApp, type GatewayApp } from './fixtures/gateway-app.js';
import { createGraphqlApp, GRAPHQL_CASES, type GraphqlApp } from './fixtures/graphql-app.js';
import { connectWs, type HandshakeRefusal } from './support/gateway-clients.js';
import { base64Der, createCertificates, httpsGet, type Certificates } from './support/certificates.js';
import { subscribeOnce, type GraphqlError } from './support/graphql-ws.js';
import { listen, request } from './support/http.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { LogCapture } from './support/log-capture.js';

/**
 * Certificate-bound access tokens (RFC 8705 §3) through a real Nest app: over HTTPS with client certificates made
 * per run by openssl, and behind a TLS-terminating proxy that passes the certificate in a header.
 */
/** Where the tests' TLS-terminating "proxy" (the test itself, on 127.0.0.1) passes the client certificate. */
const CERT_HEADER = 'x-ssl-client-cert';

let keys: KeyFiles;
let certs: Certificates;
beforeAll(() => {
  keys = createKeyFiles();
  certs = createCertificates();
});
afterAll(() => {
  keys.cleanup();
  certs.cleanup();
});

/** A route that takes certificate-bound tokens only, whatever the module's setting. */
@Controller('payments')
@UseGuards(JwtAuthGuard)
class PaymentsController {
  @RequireCertificateBound()
  @Get()
  pay(): { paid: boolean } {
    return { paid: true };
  }

  @Get('history')
  history(): { payments: string[] } {
    return { payments: [] };
  }
}

function httpsUrl(app: INestApplication): string {
  return `https://127.0.0.1:${(app.getHttpServer().address() as AddressInfo).port}`;
}

async function httpsApp(platform: Platform, env: Record<string, string>): Promise<{ app: INestApplication; jwt: JwtService; url: string }> {
  // The CA is trusted but a certificate is not demanded, so requests without one reach the guard.
  const https = { key: certs.server.key, cert: certs.server.cert, ca: certs.ca.cert, requestCert: true, rejectUnauthorized: false };
  const { app, jwt } = await createApp({
    platform,
    https,
    controllers: [PaymentsController],
    env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, ...env },
  });
  await app.listen(0, '127.0.0.1');
  return { app, jwt, url: httpsUrl(app) };
}

const challenge = (description: string): string => `Bearer realm="api", error="invalid_token", error_description="${description}"`;

describe.each(PLATFORMS)('JWT_MTLS_BOUND over HTTPS with client certificates (%s)', (platform) => {
  describe('when-bound', () => {
    let app: INestApplication;
    let jwt: JwtService;
    let url: string;
    let bound: string;
    beforeAll(async () => {
      ({ app, jwt, url } = await httpsApp(platform, { JWT_MTLS_BOUND: 'when-bound' }));
      bound = jwt.sign({ sub: 'alice-service', cnf: { 'x5t#S256': certs.alice.thumbprint } });
    });
    afterAll(() => app?.close());

    it('accepts a bound token over a connection with its certificate', async () => {
      expect(await httpsGet(url, '/profile', { ca: certs.ca.cert, client: certs.alice, token: bound })).toMatchObject({
        status: 200,
        body: { subject: 'alice-service' },
      });
    });

    it('refuses it with another certificate of the same CA, with a reason and a stable code', async () => {
      const response = await httpsGet(url, '/profile', { ca: certs.ca.cert, client: certs.bob, token: bound });
      expect(response).toMatchObject({ status: 401, body: { code: 'RS256_TOKEN_MTLS_CERTIFICATE_MISMATCH' } });
      expect(response.headers.get('www-authenticate')).toBe(challenge('client certificate does not match the token (cnf.x5t#S256)'));
    });

    it('refuses it without a certificate', async () => {
      const response = await httpsGet(url, '/profile', { ca: certs.ca.cert, token: bound });
      expect(response).toMatchObject({ status: 401, body: { code: 'RS256_TOKEN_MTLS_CERTIFICATE_MISSING' } });
      expect(response.headers.get('www-authenticate')).toBe(challenge('certificate-bound token sent without a client certificate'));
    });

    it('ignores a certificate header when no proxy is configured', async () => {
      const headers = { [CERT_HEADER]: encodeURIComponent(certs.alice.cert) };
      const response = await httpsGet(url, '/profile', { ca: certs.ca.cert, token: bound, headers });
      expect(response).toMatchObject({ status: 401, body: { code: 'RS256_TOKEN_MTLS_CERTIFICATE_MISSING' } });
    });

    it('still accepts an unbound token, with or without a certificate', async () => {
      const plain = jwt.sign({ sub: 'ada' });
      expect((await httpsGet(url, '/profile', { ca: certs.ca.cert, token: plain })).status).toBe(200);
      expect((await httpsGet(url, '/profile', { ca: certs.ca.cert, client: certs.bob, token: plain })).status).toBe(200);
    });

    it('@RequireCertificateBound() refuses an unbound token on its route', async () => {
      const plain = jwt.sign({ sub: 'ada' });
      expect(await httpsGet(url, '/payments', { ca: certs.ca.cert, client: certs.alice, token: plain })).toMatchObject({
        status: 401,
        body: { code: 'RS256_TOKEN_MTLS_UNBOUND' },
      });
      expect((await httpsGet(url, '/payments', { ca: certs.ca.cert, client: certs.alice, token: bound })).status).toBe(200);
    });

    it('refuses a cnf.x5t#S256 that is not a thumbprint', async () => {
      const token = jwt.sign({ sub: 'alice-service', cnf: { 'x5t#S256': 42 } });
      const response = await httpsGet(url, '/profile', { ca: certs.ca.cert, client: certs.alice, token });
      expect(response).toMatchObject({ status: 401, body: { code: 'RS256_TOKEN_CLAIM_INVALID' } });
    });

    it("holds AuthGuard('rs256-jwt') routes to the same rule", async () => {
      expect(await httpsGet(url, '/passport', { ca: certs.ca.cert, client: certs.alice, token: bound })).toMatchObject({
        status: 200,
        body: { subject: 'alice-service' },
      });
      expect((await httpsGet(url, '/passport', { ca: certs.ca.cert, token: bound })).status).toBe(401);
      expect((await httpsGet(url, '/passport', { ca: certs.ca.cert, client: certs.bob, token: bound })).status).toBe(401);
      expect((await httpsGet(url, '/passport', { ca: certs.ca.cert, token: jwt.sign({ sub: 'ada' }) })).status).toBe(200);
    });

    it('checks the certificate of every request, also for a token the cache already verified', async () => {
      const token = jwt.sign({ sub: 'alice-service', cnf: { 'x5t#S256': certs.alice.thumbprint }, jti: 'cached' });
      expect((await httpsGet(url, '/profile', { ca: certs.ca.cert, client: certs.alice, token })).status).toBe(200);
      expect((await httpsGet(url, '/profile', { ca: certs.ca.cert, client: certs.bob, token })).status).toBe(401);
    });
  });

  describe('required', () => {
    let app: INestApplication;
    let jwt: JwtService;
    let url: string;
    beforeAll(async () => {
      ({ app, jwt, url } = await httpsApp(platform, { JWT_MTLS_BOUND: 'required' }));
    });
    afterAll(() => app?.close());

    it('refuses an unbound token, even over a connection with a certificate', async () => {
      const response = await httpsGet(url, '/profile', { ca: certs.ca.cert, client: certs.alice, token: jwt.sign({ sub: 'ada' }) });
      expect(response).toMatchObject({ status: 401, body: { code: 'RS256_TOKEN_MTLS_UNBOUND' } });
      expect(response.headers.get('www-authenticate')).toBe(challenge('token is not certificate-bound (no cnf.x5t#S256)'));
    });

    it('accepts a bound token with its certificate, and refuses it with another', async () => {
      const token = jwt.sign({ sub: 'bob-service', cnf: { 'x5t#S256': certs.bob.thumbprint } });
      expect((await httpsGet(url, '/profile', { ca: certs.ca.cert, client: certs.bob, token })).status).toBe(200);
      expect((await httpsGet(url, '/profile', { ca: certs.ca.cert, client: certs.alice, token })).status).toBe(401);
    });

    it("holds AuthGuard('rs256-jwt') routes to it: an unbound token is refused, a bound one needs its certificate", async () => {
      const plain = jwt.sign({ sub: 'ada' });
      expect((await httpsGet(url, '/passport', { ca: certs.ca.cert, client: certs.alice, token: plain })).status).toBe(401);
      const token = jwt.sign({ sub: 'bob-service', cnf: { 'x5t#S256': certs.bob.thumbprint } });
      expect((await httpsGet(url, '/passport', { ca: certs.ca.cert, client: certs.bob, token })).status).toBe(200);
      expect((await httpsGet(url, '/passport', { ca: certs.ca.cert, token })).status).toBe(401);
    });

    it('leaves @Public() routes open', async () => {
      expect((await httpsGet(url, '/health', { ca: certs.ca.cert })).status).toBe(200);
    });
  });

  describe('off (the default)', () => {
    let app: INestApplication;
    let jwt: JwtService;
    let url: string;
    beforeAll(async () => {
      ({ app, jwt, url } = await httpsApp(platform, {}));
    });
    afterAll(() => app?.close());

    it('does not look at cnf: a bound token works as a bearer token', async () => {
      const token = jwt.sign({ sub: 'alice-service', cnf: { 'x5t#S256': certs.alice.thumbprint } });
      expect((await httpsGet(url, '/profile', { ca: certs.ca.cert, token })).status).toBe(200);
    });

    it('@RequireCertificateBound() requires a bound token with its certificate on that route alone', async () => {
      const token = jwt.sign({ sub: 'alice-service', cnf: { 'x5t#S256': certs.alice.thumbprint } });
      const plain = jwt.sign({ sub: 'ada' });
      expect(await httpsGet(url, '/payments', { ca: certs.ca.cert, client: certs.alice, token })).toMatchObject({
        status: 200,
        body: { paid: true },
      });
      expect(await httpsGet(url, '/payments', { ca: certs.ca.cert, token })).toMatchObject({
        status: 401,
        body: { code: 'RS256_TOKEN_MTLS_CERTIFICATE_MISSING' },
      });
      expect(await httpsGet(url, '/payments', { ca: certs.ca.cert, client: certs.alice, token: plain })).toMatchObject({
        status: 401,
        body: { code: 'RS256_TOKEN_MTLS_UNBOUND' },
      });
      expect((await httpsGet(url, '/payments/history', { ca: certs.ca.cert, token: plain })).status).toBe(200);
    });
  });
});

describe.each(PLATFORMS)('JWT_MTLS_BOUND behind a TLS-terminating proxy (%s)', (platform) => {
  let trusted: { app: INestApplication; url: string };
  let untrusted: { app: INestApplication; url: string };
  let bound: string;

  // The "proxy" is the test itself, connecting from 127.0.0.1: trusted by one app, not by the other.
  async function proxiedApp(proxies: string): Promise<{ app: INestApplication; jwt: JwtService; url: string }> {
    const env = {
      JWT_PRIVATE_KEY_PATH: keys.privatePath,
      JWT_MTLS_BOUND: 'when-bound',
      JWT_MTLS_CERTIFICATE_HEADER: CERT_HEADER,
      JWT_MTLS_TRUSTED_PROXIES: proxies,
    };
    const { app, jwt } = await createApp({ platform, env });
    return { app, jwt, url: await listen(app) };
  }

  beforeAll(async () => {
    const made = await proxiedApp('10.0.0.0/8, 127.0.0.1/32');
    trusted = made;
    bound = made.jwt.sign({ sub: 'alice-service', cnf: { 'x5t#S256': certs.alice.thumbprint } });
    untrusted = await proxiedApp('10.0.0.0/8,fd00::/8');
  });
  afterAll(async () => {
    await trusted?.app.close();
    await untrusted?.app.close();
  });

  it('accepts the certificate as URL-encoded PEM (nginx $ssl_client_escaped_cert) from a trusted proxy', async () => {
    const headers = { [CERT_HEADER]: encodeURIComponent(certs.alice.cert) };
    expect(await request(trusted.url, '/profile', { token: bound, headers })).toMatchObject({ status: 200, body: { subject: 'alice-service' } });
  });

  it('accepts it as base64 DER', async () => {
    expect((await request(trusted.url, '/profile', { token: bound, headers: { [CERT_HEADER]: base64Der(certs.alice.cert) } })).status).toBe(200);
  });

  it('refuses another certificate, no header, and a header that holds no certificate', async () => {
    const other = await request(trusted.url, '/profile', { token: bound, headers: { [CERT_HEADER]: encodeURIComponent(certs.bob.cert) } });
    expect(other).toMatchObject({ status: 401, body: { code: 'RS256_TOKEN_MTLS_CERTIFICATE_MISMATCH' } });
    expect(await request(trusted.url, '/profile', { token: bound })).toMatchObject({
      status: 401,
      body: { code: 'RS256_TOKEN_MTLS_CERTIFICATE_MISSING' },
    });
    const garbage = await request(trusted.url, '/profile', { token: bound, headers: { [CERT_HEADER]: '%E0%A4%A' } });
    expect(garbage).toMatchObject({ status: 401, body: { code: 'RS256_TOKEN_MTLS_CERTIFICATE_UNREADABLE' } });
    expect(garbage.headers.get('www-authenticate')).toBe(challenge('the client certificate passed by the proxy is unreadable'));
  });

  it('ignores the header from an address that is not a trusted proxy, whatever X-Forwarded-For says', async () => {
    const headers = { [CERT_HEADER]: encodeURIComponent(certs.alice.cert), 'x-forwarded-for': '10.1.2.3' };
    expect(await request(untrusted.url, '/profile', { token: bound, headers })).toMatchObject({
      status: 401,
      body: { code: 'RS256_TOKEN_MTLS_CERTIFICATE_MISSING' },
    });
  });
});

/** GraphQL queries over HTTP are checked like any HTTP request: the certificate of the request behind the operation. */
describe.each(GRAPHQL_CASES)('certificate-bound tokens on GraphQL over HTTP (%s driver on %s, %s guard)', (driver, platform, guard) => {
  let gql: GraphqlApp;

  beforeAll(async () => {
    const mtls = { bound: 'when-bound' as const, certificateHeader: CERT_HEADER, trustedProxies: ['127.0.0.1'] };
    gql = await createGraphqlApp(driver, platform, guard, keys.privatePath, new LogCapture(), { mtls });
  });
  afterAll(() => gql?.app.close());

  async function me(token: string, certificate?: string): Promise<{ data?: Record<string, unknown> | null; errors?: GraphqlError[] }> {
    const headers = certificate === undefined ? undefined : { [CERT_HEADER]: encodeURIComponent(certificate) };
    const response = await request(gql.url, '', { method: 'POST', body: { query: '{ me }' }, token, headers });
    expect(response.status).toBeLessThan(500);
    return response.body as { data?: Record<string, unknown> | null; errors?: GraphqlError[] };
  }

  it('accepts a bound token with its certificate, refuses it with another or none', async () => {
    const token = gql.jwt.sign({ sub: 'alice-service', cnf: { 'x5t#S256': certs.alice.thumbprint } });
    expect(await me(token, certs.alice.cert)).toMatchObject({ data: { me: 'alice-service' } });
    expect((await me(token, certs.bob.cert)).errors?.[0]).toMatchObject({
      message: 'client certificate does not match the token (cnf.x5t#S256)',
      extensions: { code: 'UNAUTHENTICATED' },
    });
    expect((await me(token)).errors?.[0]).toMatchObject({
      message: 'certificate-bound token sent without a client certificate',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('refuses a bound token when a subscription connection opens: no client certificate comes over graphql-ws here', async () => {
    const token = gql.jwt.sign({ sub: 'alice-service', cnf: { 'x5t#S256': certs.alice.thumbprint } });
    const result = await subscribeOnce(gql.wsUrl, 'subscription { ticks }', { authorization: `Bearer ${token}` });
    expect(result.closed).toEqual({ code: 4403, reason: 'certificate-bound token sent without a client certificate' });
    const plain = gql.jwt.sign({ sub: 'ada' });
    expect(await subscribeOnce(gql.wsUrl, 'subscription { ticks }', { authorization: `Bearer ${plain}` })).toMatchObject({ data: { ticks: 'ada' } });
  });
});

describe.each(PLATFORMS)('certificate-bound tokens at a `wss://` gateway handshake (%s)', (platform) => {
  let gw: GatewayApp | undefined;
  beforeAll(async () => {
    const https = { key: certs.server.key, cert: certs.server.cert, ca: certs.ca.cert, requestCert: true, rejectUnauthorized: false };
    gw = await createGatewayApp('ws', platform, 'global', keys.privatePath, new LogCapture(), { mtls: { bound: 'when-bound' } }, https);
  });
  afterAll(() => gw?.app.close());

  const refusal = (token: string, client?: { cert: string; key: string }): Promise<HandshakeRefusal> =>
    connectWs(gw!.url, token, { ca: certs.ca.cert, ...client }).then(
      (connection) => {
        connection.close();
        throw new Error('the upgrade was accepted');
      },
      (refused: HandshakeRefusal) => refused,
    );

  it("checks the certificate of the upgrade's TLS connection", async () => {
    const token = gw!.jwt.sign({ sub: 'alice-service', cnf: { 'x5t#S256': certs.alice.thumbprint } });
    const connection = await connectWs(gw!.url, token, { ca: certs.ca.cert, cert: certs.alice.cert, key: certs.alice.key });
    try {
      expect(await connection.call('whoami')).toEqual({ event: 'whoami', data: 'alice-service' });
    } finally {
      connection.close();
    }
    const mismatch = 'client certificate does not match the token (cnf.x5t#S256)';
    expect(await refusal(token, certs.bob)).toEqual({ status: 401, message: mismatch, challenge: challenge(mismatch) });
    const missing = 'certificate-bound token sent without a client certificate';
    expect(await refusal(token)).toEqual({ status: 401, message: missing, challenge: challenge(missing) });
  });
});

describe('JWT_MTLS_BOUND refusals in the log', () => {
  it('logs the code and reason, never the certificate or a thumbprint', async () => {
    const logs = new LogCapture();
    const env = {
      JWT_PRIVATE_KEY_PATH: keys.privatePath,
      JWT_LOG_REFUSALS: 'warn',
      JWT_MTLS_BOUND: 'when-bound',
      JWT_MTLS_CERTIFICATE_HEADER: CERT_HEADER,
      JWT_MTLS_TRUSTED_PROXIES: '127.0.0.1',
    };
    const { app, jwt } = await createApp({ env, logger: logs });
    try {
      const token = jwt.sign({ sub: 'alice-service', cnf: { 'x5t#S256': certs.alice.thumbprint } });
      const headers = { [CERT_HEADER]: encodeURIComponent(certs.bob.cert) };
      expect((await request(await listen(app), '/profile', { token, headers })).status).toBe(401);
    } finally {
      await app.close();
    }
    const refusals = logs.matching(/Refused a token/);
    expect(refusals).toEqual([expect.stringContaining('RS256_TOKEN_MTLS_CERTIFICATE_MISMATCH (client certificate does not match the token')]);
    const logged = logs.lines.join('\n');
    for (const secret of [certs.alice.thumbprint, certs.bob.thumbprint, base64Der(certs.bob.cert).slice(40, 120)]) {
      expect(logged).not.toContain(secret);
    }
  });
});

describe('JWT_MTLS_BOUND in RFC 9728 metadata', () => {
  it('announces tls_client_certificate_bound_access_tokens while the check is on', async () => {
    const env = { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_AUDIENCE: 'https://api.example.test', JWT_RESOURCE_METADATA_ENABLED: 'true' };
    const on = await createApp({ env: { ...env, JWT_MTLS_BOUND: 'when-bound' } });
    const off = await createApp({ env });
    try {
      const path = '/.well-known/oauth-protected-resource';
      expect((await request(await listen(on.app), path)).body).toMatchObject({ tls_client_certificate_bound_access_tokens: true });
      expect((await request(await listen(off.app), path)).body).not.toHaveProperty('tls_client_certificate_bound_access_tokens');
    } finally {
      await on.app.close();
      await off.app.close();
    }
  });
});

describe('JWT_MTLS_BOUND settings at start-up', () => {
  const start = (env: Record<string, string>): Promise<unknown> => createApp({ env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, ...env } });

  it('refuses a certificate header without trusted proxies, naming the settings', async () => {
    await expect(start({ JWT_MTLS_BOUND: 'when-bound', JWT_MTLS_CERTIFICATE_HEADER: 'x-ssl-client-cert' })).rejects.toMatchObject({
      code: 'RS256_CONFIG_INVALID',
      message: expect.stringContaining('JWT_MTLS_CERTIFICATE_HEADER is set but JWT_MTLS_TRUSTED_PROXIES is not'),
    });
  });

  it('names the option path when options gave it', async () => {
    const options = { mtls: { bound: 'required' as const, certificateHeader: 'x-ssl-client-cert' } };
    await expect(createApp({ options, env: { JWT_PRIVATE_KEY_PATH: keys.privatePath } })).rejects.toThrow(
      'mtls.certificateHeader option is set but JWT_MTLS_TRUSTED_PROXIES is not',
    );
  });

  it('says on the start-up policy line what is checked and where the certificate comes from', async () => {
    const logs = new LogCapture();
    const env = {
      JWT_PRIVATE_KEY_PATH: keys.privatePath,
      JWT_MTLS_BOUND: 'Required',
      JWT_MTLS_CERTIFICATE_HEADER: 'X-SSL-Client-Cert',
      JWT_MTLS_TRUSTED_PROXIES: '10.0.0.0/8',
    };
    const { app } = await createApp({ env, logger: logs });
    await app.close();
    expect(logs.matching(/Policy:/)).toEqual([
      expect.stringContaining('; certificate-bound tokens required (client certificate from the x-ssl-client-cert header of trusted proxies).'),
    ]);
  });

  it('refuses an unknown mode, a bad proxy address, and proxy settings while the check is off', async () => {
    await expect(start({ JWT_MTLS_BOUND: 'yes' })).rejects.toThrow('JWT_MTLS_BOUND is "yes"; expected one of off, when-bound, required.');
    await expect(
      start({ JWT_MTLS_BOUND: 'when-bound', JWT_MTLS_CERTIFICATE_HEADER: 'x-c', JWT_MTLS_TRUSTED_PROXIES: '10.0.0.0/33' }),
    ).rejects.toThrow('JWT_MTLS_TRUSTED_PROXIES is "10.0.0.0/33"');
    await expect(start({ JWT_MTLS_TRUSTED_PROXIES: '127.0.0.1' })).rejects.toThrow('JWT_MTLS_TRUSTED_PROXIES is set but JWT_MTLS_BOUND is "off"');
  });
});
