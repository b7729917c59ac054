import type { INestApplication } from '@nestjs/common';
import type { JwtService } from '@nestjs/jwt';
import { createHmac } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { createApp, PLATFORMS, type Platform } from './fixtures/app.js';
import { DpopController } from './fixtures/dpop.controller.js';
import { createGraphqlApp, type GraphqlApp, type GraphqlDriverName } from './fixtures/graphql-app.js';
import { LogCapture } from './support/log-capture.js';
import { TestMetrics } from './support/metrics.js';
import type { Rs256AuthModuleOptions } from '../src/index.js';
import { dpopKey, dpopProof, unsignedProof, type DpopKey, type ProofAlgorithm } from './support/dpop.js';
import { listen, request, type HttpResult } from './support/http.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { SETUP_TIMEOUT } from './support/processes.js';
import { startRedis, type RedisServer } from './support/redis.js';

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

const ALL_ALGS = 'ES256 RS256 PS256 EdDSA';

/** A request under the DPoP scheme (or `scheme`), with `proof` as its DPoP header when given. */
function call(
  url: string,
  path: string,
  options: { token?: string; scheme?: string; proof?: string; method?: string; body?: unknown },
): Promise<HttpResult> {
  return request(url, path, {
    method: options.method,
    body: options.body,
    ...(options.token !== undefined && { authorization: `${options.scheme ?? 'DPoP'} ${options.token}` }),
    headers: options.proof === undefined ? {} : { dpop: options.proof },
  });
}

/** A GET with headers fetch will not send as given (`Host`, a header twice): what a proxy in front may forward. */
function rawGet(url: string, path: string, headers: Record<string, string | string[]>): Promise<{ status: number; body: unknown }> {
  return new Promise((done, fail) => {
    const sent = httpRequest(new URL(path, url), { headers }, (response) => {
      let text = '';
      response.on('data', (chunk: Buffer) => (text += chunk));
      response.on('end', () => done({ status: response.statusCode ?? 0, body: JSON.parse(text) as unknown }));
    });
    sent.on('error', fail);
    sent.end();
  });
}

async function start(
  platform: Platform,
  env: Record<string, string> = {},
  options?: Rs256AuthModuleOptions,
): Promise<{ app: INestApplication; jwt: JwtService; url: string }> {
  const { app, jwt } = await createApp({
    platform,
    env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_SESSIONS_ENABLED: 'true', JWT_DPOP: 'allowed', ...env },
    options,
    controllers: [DpopController],
  });
  return { app, jwt, url: await listen(app) };
}

describe.each(PLATFORMS)('DPoP at the guard (%s)', (platform) => {
  let app: INestApplication;
  let jwt: JwtService;
  let url: string;
  const client = dpopKey('ES256');
  const bound = (key: DpopKey = client): string => jwt.sign({ sub: 'ada', cnf: { jkt: key.jkt } });
  const get = (token: string, proof?: string, path = '/dpop/resource'): Promise<HttpResult> => call(url, path, { token, proof });
  const proofFor = (token: string, extra: Partial<Parameters<typeof dpopProof>[1]> = {}, key = client, path = '/dpop/resource'): string =>
    dpopProof(key, { htm: 'GET', htu: `${url}${path}`, accessToken: token, ...extra });

  beforeAll(async () => {
    ({ app, jwt, url } = await start(platform));
  });
  afterAll(() => app?.close());

  it.each<ProofAlgorithm>(['ES256', 'RS256', 'PS256', 'EdDSA'])('accepts a token bound to a %s key with its proof', async (alg) => {
    const key = dpopKey(alg);
    const token = bound(key);
    expect(await get(token, proofFor(token, {}, key))).toMatchObject({ status: 200, body: { subject: 'ada' } });
  });

  it('accepts htu with a query (ignored, RFC 9449 §4.3) and checks htm on a POST', async () => {
    const token = bound();
    const proof = dpopProof(client, { htm: 'POST', htu: `${url}/dpop/resource?page=2#top`, accessToken: token });
    expect(await call(url, '/dpop/resource', { method: 'POST', token, proof })).toMatchObject({ status: 200 });
    const getProof = dpopProof(client, { htm: 'GET', htu: `${url}/dpop/resource`, accessToken: token });
    const refused = await call(url, '/dpop/resource', { method: 'POST', token, proof: getProof });
    expect(refused).toMatchObject({ status: 401, body: { code: 'RS256_DPOP_PROOF_METHOD' } });
  });

  it('keeps accepting bearer tokens in allowed mode, and announces DPoP when none is sent', async () => {
    expect(await request(url, '/dpop/resource', { token: jwt.sign({ sub: 'bo' }) })).toMatchObject({ status: 200, body: { subject: 'bo' } });
    const missing = await request(url, '/dpop/resource');
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe(`Bearer realm="api", DPoP realm="api", algs="${ALL_ALGS}"`);
  });

  const refusals: [string, () => { token: string; proof?: string }, string][] = [
    ['no proof', () => ({ token: bound() }), 'RS256_DPOP_PROOF_MISSING'],
    ['a proof for another method', () => ({ token: bound(), proof: proofFor(bound(), { htm: 'DELETE' }) }), 'RS256_DPOP_PROOF_METHOD'],
    ['a proof for another path', () => ({ token: bound(), proof: proofFor(bound(), { htu: `${url}/dpop/other` }) }), 'RS256_DPOP_PROOF_URL'],
    // After the accepted requests above, the request's URL and the proofs' htu are remembered normalised: a string
    // that differs only in a path's case, or that resolves elsewhere, is read as itself.
    [
      'a proof for the path in another case',
      () => ({ token: bound(), proof: proofFor(bound(), { htu: `${url}/dpop/Resource` }) }),
      'RS256_DPOP_PROOF_URL',
    ],
    [
      'a proof for a path resolving elsewhere',
      () => ({ token: bound(), proof: proofFor(bound(), { htu: `${url}/dpop/resource/../other` }) }),
      'RS256_DPOP_PROOF_URL',
    ],
    [
      'a proof for another host',
      () => ({ token: bound(), proof: proofFor(bound(), { htu: 'https://api.example.com/dpop/resource' }) }),
      'RS256_DPOP_PROOF_URL',
    ],
    ['a stale iat', () => ({ token: bound(), proof: proofFor(bound(), { iat: Math.floor(Date.now() / 1000) - 120 }) }), 'RS256_DPOP_PROOF_STALE'],
    [
      'an iat in the future',
      () => ({ token: bound(), proof: proofFor(bound(), { iat: Math.floor(Date.now() / 1000) + 120 }) }),
      'RS256_DPOP_PROOF_STALE',
    ],
    ['no ath', () => ({ token: bound(), proof: dpopProof(client, { htm: 'GET', htu: `${url}/dpop/resource` }) }), 'RS256_DPOP_PROOF_ATH'],
    [
      'the ath of another token',
      () => ({ token: bound(), proof: proofFor(jwt.sign({ sub: 'eve', cnf: { jkt: client.jkt } })) }),
      'RS256_DPOP_PROOF_ATH',
    ],
    ['a typ other than dpop+jwt', () => ({ token: bound(), proof: proofFor(bound(), { header: { typ: 'JWT' } }) }), 'RS256_DPOP_PROOF_INVALID'],
    [
      'a critical header extension',
      () => ({ token: bound(), proof: proofFor(bound(), { header: { crit: ['exp'], exp: 1 } }) }),
      'RS256_DPOP_PROOF_INVALID',
    ],
    [
      'a private key in the header',
      () => ({ token: bound(), proof: proofFor(bound(), { header: { jwk: client.privateKey.export({ format: 'jwk' }) } }) }),
      'RS256_DPOP_PROOF_INVALID',
    ],
    [
      'a key of another type than alg says',
      () => ({ token: bound(), proof: proofFor(bound(), { header: { alg: 'RS256' } }) }),
      'RS256_DPOP_PROOF_INVALID',
    ],
    [
      'alg none',
      () => {
        const token = bound();
        const payload = { jti: 'n1', htm: 'GET', htu: `${url}/dpop/resource`, iat: Math.floor(Date.now() / 1000) };
        return { token, proof: unsignedProof({ typ: 'dpop+jwt', alg: 'none', jwk: client.jwk }, payload) };
      },
      'RS256_DPOP_PROOF_INVALID',
    ],
    [
      'HMAC (HS256 with a symmetric jwk)',
      () => {
        const token = bound();
        const secret = Buffer.from('a-shared-secret-of-thirty-two-bytes!');
        const header = { typ: 'dpop+jwt', alg: 'HS256', jwk: { kty: 'oct', k: secret.toString('base64url') } };
        const payload = { jti: 'h1', htm: 'GET', htu: `${url}/dpop/resource`, iat: Math.floor(Date.now() / 1000) };
        const signed = unsignedProof(header, payload).slice(0, -1);
        return { token, proof: `${signed}.${createHmac('sha256', secret).update(signed).digest('base64url')}` };
      },
      'RS256_DPOP_PROOF_INVALID',
    ],
    [
      'a signature by another key',
      () => ({ token: bound(), proof: proofFor(bound(), { header: { jwk: dpopKey('ES256').jwk } }) }),
      'RS256_DPOP_PROOF_INVALID',
    ],
    ['a proof without jti', () => ({ token: bound(), proof: proofFor(bound(), { claims: { jti: undefined } }) }), 'RS256_DPOP_PROOF_INVALID'],
    ['a proof that is not a JWT', () => ({ token: bound(), proof: 'not-a-jwt' }), 'RS256_DPOP_PROOF_INVALID'],
  ];

  it('refuses a request with two DPoP headers (RFC 9449 §4.3: exactly one)', async () => {
    const token = bound();
    const host = new URL(url).host;
    const response = await rawGet(url, '/dpop/resource', { host, authorization: `DPoP ${token}`, dpop: [proofFor(token), proofFor(token)] });
    expect(response).toMatchObject({ status: 401, body: { code: 'RS256_DPOP_PROOF_INVALID', message: 'more than one DPoP proof' } });
  });

  it('refuses a Host header that is more than host[:port], which would move htu onto another path', async () => {
    const token = bound();
    const { host, port } = new URL(url);
    // Glued before the path, this Host would make the target `${url}/dpop/other`: the proof for it must not pass here.
    const proof = proofFor(token, { htu: `${url}/dpop/other` });
    for (const crafted of [`${host}/dpop/other#`, `${host}/dpop/other?`, `user@${host}`, `${host}\\dpop`]) {
      const response = await rawGet(url, '/dpop/resource', { host: crafted, authorization: `DPoP ${token}`, dpop: proof });
      expect(response).toMatchObject({ status: 401, body: { code: 'RS256_DPOP_PROOF_URL' } });
    }
    // An IPv6 literal in brackets is a host like any other.
    const ipv6 = proofFor(token, { htu: `http://[::1]:${port}/dpop/resource` });
    expect(await rawGet(url, '/dpop/resource', { host: `[::1]:${port}`, authorization: `DPoP ${token}`, dpop: ipv6 })).toMatchObject({ status: 200 });
  });

  it.each(refusals)('refuses %s with invalid_dpop_proof', async (_case, make, code) => {
    const { token, proof } = make();
    const response = await get(token, proof);
    expect(response).toMatchObject({ status: 401, body: { code } });
    expect(response.headers.get('www-authenticate')).toMatch(
      new RegExp(`^DPoP realm="api", error="invalid_dpop_proof", error_description="[^"]+", algs="${ALL_ALGS}"$`),
    );
  });

  it('refuses an ES384 proof, not among the accepted algorithms', async () => {
    const key = dpopKey('ES384');
    const token = bound(key);
    const response = await get(token, proofFor(token, {}, key));
    expect(response).toMatchObject({ status: 401, body: { code: 'RS256_DPOP_PROOF_INVALID' } });
    expect(response.body.message).toContain('algorithm not accepted');
  });

  it('refuses a proof replayed to the same instance', async () => {
    const token = bound();
    const proof = proofFor(token);
    expect((await get(token, proof)).status).toBe(200);
    expect(await get(token, proof)).toMatchObject({ status: 401, body: { code: 'RS256_DPOP_PROOF_REPLAYED' } });
  });

  it('refuses a token bound to another key (cnf.jkt) than the proof', async () => {
    const token = bound(dpopKey('ES256'));
    const response = await get(token, proofFor(token));
    expect(response).toMatchObject({ status: 401, body: { code: 'RS256_DPOP_KEY_MISMATCH' } });
    expect(response.headers.get('www-authenticate')).toMatch(/^DPoP realm="api", error="invalid_token", .*algs="/);
  });

  it('refuses a bound token sent as a bearer token, and an unbound token under DPoP', async () => {
    const token = bound();
    const asBearer = await request(url, '/dpop/resource', { token });
    expect(asBearer).toMatchObject({ status: 401, body: { code: 'RS256_DPOP_TOKEN_BOUND' } });
    expect(asBearer.headers.get('www-authenticate')).toMatch(
      /^Bearer realm="api", error="invalid_token", error_description="[^"]+", DPoP realm="api", algs="/,
    );
    const unbound = jwt.sign({ sub: 'ada' });
    expect(await get(unbound, proofFor(unbound))).toMatchObject({ status: 401, body: { code: 'RS256_DPOP_TOKEN_UNBOUND' } });
  });

  it('refuses a bound token as a bearer token on a @Dpop("off") route too (RFC 9449 §7.2), and accepts an unbound one', async () => {
    const response = await request(url, '/dpop/off', { token: bound() });
    expect(response).toMatchObject({ status: 401, body: { code: 'RS256_DPOP_TOKEN_BOUND' } });
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_token", error_description="[^"]+"$/);
    expect(await request(url, '/dpop/off', { token: jwt.sign({ sub: 'bo' }) })).toMatchObject({ status: 200, body: { subject: 'bo' } });
  });

  it("holds AuthGuard('rs256-jwt') routes to the module's rule: a bound token needs its proof there too", async () => {
    const token = bound();
    expect((await request(url, '/passport', { token })).status).toBe(401);
    expect(await get(token, proofFor(token, {}, client, '/passport'), '/passport')).toMatchObject({ status: 200, body: { subject: 'ada' } });
    expect((await get(token, undefined, '/passport')).status).toBe(401);
    const unbound = jwt.sign({ sub: 'bo' });
    expect((await get(unbound, proofFor(unbound, {}, client, '/passport'), '/passport')).status).toBe(401);
    expect(await request(url, '/passport', { token: unbound })).toMatchObject({ status: 200, body: { subject: 'bo' } });
  });

  it('refuses bearer tokens on a @Dpop("required") route with a DPoP challenge only', async () => {
    const response = await request(url, '/dpop/required', { token: jwt.sign({ sub: 'bo' }) });
    expect(response).toMatchObject({ status: 401, body: { code: 'RS256_DPOP_REQUIRED' } });
    expect(response.headers.get('www-authenticate')).toMatch(/^DPoP realm="api", error="invalid_token", /);
    expect((await request(url, '/dpop/required')).headers.get('www-authenticate')).toBe(`DPoP realm="api", algs="${ALL_ALGS}"`);
    const token = bound();
    expect(await get(token, proofFor(token, {}, client, '/dpop/required'), '/dpop/required')).toMatchObject({
      status: 200,
      body: { jkt: client.jkt },
    });
  });

  it('refuses an expired bound token under DPoP with invalid_token', async () => {
    const token = jwt.sign({ sub: 'ada', cnf: { jkt: client.jkt } }, { expiresIn: -60 });
    const response = await get(token, proofFor(token));
    expect(response).toMatchObject({ status: 401, body: { code: 'RS256_TOKEN_EXPIRED' } });
    expect(response.headers.get('www-authenticate')).toBe(
      `DPoP realm="api", error="invalid_token", error_description="token expired", algs="${ALL_ALGS}"`,
    );
  });

  describe('sessions bound to the client key (RFC 9449 §5)', () => {
    const tokenProof = (path: string, key = client): string => dpopProof(key, { htm: 'POST', htu: `${url}${path}` });
    const login = (proof?: string): Promise<HttpResult> => call(url, '/dpop/login', { method: 'POST', body: { sub: 'ada' }, proof });
    const refresh = (token: string, proof?: string): Promise<HttpResult> =>
      call(url, '/dpop/refresh', { method: 'POST', body: { refresh_token: token }, proof });

    it('issues a DPoP-bound access token when sign-in carries a proof, a bearer one otherwise', async () => {
      const signedIn = await login(tokenProof('/dpop/login'));
      expect(signedIn).toMatchObject({ status: 200, body: { tokenType: 'DPoP' } });
      const { accessToken } = signedIn.body as { accessToken: string };
      expect(jwt.decode<{ cnf: unknown }>(accessToken).cnf).toEqual({ jkt: client.jkt });
      expect((await get(accessToken, proofFor(accessToken))).status).toBe(200);
      expect((await request(url, '/dpop/resource', { token: accessToken })).status).toBe(401);
      const plain = await login();
      expect(plain).toMatchObject({ status: 200, body: { tokenType: 'Bearer' } });
      expect(jwt.decode<Record<string, unknown>>((plain.body as { accessToken: string }).accessToken).cnf).toBeUndefined();
    });

    it('refreshes a bound session only with a proof by the same key, spending nothing otherwise', async () => {
      const { refreshToken } = (await login(tokenProof('/dpop/login'))).body as { refreshToken: string };
      expect(await refresh(refreshToken)).toMatchObject({ status: 401, body: { code: 'RS256_REFRESH_TOKEN_INVALID' } });
      expect(await refresh(refreshToken, tokenProof('/dpop/refresh', dpopKey('ES256')))).toMatchObject({
        status: 401,
        body: { code: 'RS256_REFRESH_TOKEN_INVALID' },
      });
      const refreshed = await refresh(refreshToken, tokenProof('/dpop/refresh'));
      expect(refreshed).toMatchObject({ status: 200, body: { tokenType: 'DPoP' } });
      expect(jwt.decode<{ cnf: unknown }>((refreshed.body as { accessToken: string }).accessToken).cnf).toEqual({ jkt: client.jkt });
    });

    it('refreshes a bearer session with or without a proof, and it stays a bearer session', async () => {
      const { refreshToken } = (await login()).body as { refreshToken: string };
      const refreshed = await refresh(refreshToken, tokenProof('/dpop/refresh'));
      expect(refreshed).toMatchObject({ status: 200, body: { tokenType: 'Bearer' } });
    });

    it('answers a bad proof at a token route with 400 invalid_dpop_proof', async () => {
      const response = await login(dpopProof(client, { htm: 'POST', htu: `${url}/dpop/elsewhere` }));
      expect(response).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof', code: 'RS256_DPOP_PROOF_URL' } });
      const proof = tokenProof('/dpop/login');
      expect((await login(proof)).status).toBe(200);
      expect(await login(proof)).toMatchObject({ status: 400, body: { error: 'invalid_dpop_proof', code: 'RS256_DPOP_PROOF_REPLAYED' } });
    });

    it('gives the proof key to an application that signs with JwtService', async () => {
      const response = await call(url, '/dpop/proof-key', { method: 'POST', proof: tokenProof('/dpop/proof-key') });
      expect(response).toMatchObject({ status: 200, body: { jkt: client.jkt } });
      expect(await call(url, '/dpop/proof-key', { method: 'POST' })).toMatchObject({ status: 200, body: { jkt: null } });
    });
  });
});

describe.each(PLATFORMS)("JWT_DPOP=required on AuthGuard('rs256-jwt') routes (%s)", (platform) => {
  let app: INestApplication;
  let jwt: JwtService;
  let url: string;

  beforeAll(async () => {
    ({ app, jwt, url } = await start(platform, { JWT_DPOP: 'required' }));
  });
  afterAll(() => app?.close());

  it('refuses a bearer token, bound or not, and accepts a bound token with its proof', async () => {
    const client = dpopKey();
    const token = jwt.sign({ sub: 'ada', cnf: { jkt: client.jkt } });
    expect((await request(url, '/passport', { token: jwt.sign({ sub: 'bo' }) })).status).toBe(401);
    expect((await request(url, '/passport', { token })).status).toBe(401);
    const proof = dpopProof(client, { htm: 'GET', htu: `${url}/passport`, accessToken: token });
    expect(await call(url, '/passport', { token, proof })).toMatchObject({ status: 200, body: { subject: 'ada' } });
    expect((await call(url, '/passport', { token, proof })).status).toBe(401);
  });
});

describe('DPoP off (the default)', () => {
  let app: INestApplication;
  let jwt: JwtService;
  let url: string;

  beforeAll(async () => {
    ({ app, jwt, url } = await start('express', { JWT_DPOP: 'off' }));
  });
  afterAll(() => app?.close());

  it('reads no DPoP scheme and keeps the bearer challenge, but @Dpop("required") routes still check proofs', async () => {
    const client = dpopKey();
    const token = jwt.sign({ sub: 'ada', cnf: { jkt: client.jkt } });
    const proof = dpopProof(client, { htm: 'GET', htu: `${url}/dpop/resource`, accessToken: token });
    const response = await call(url, '/dpop/resource', { token, proof });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    const required = dpopProof(client, { htm: 'GET', htu: `${url}/dpop/required`, accessToken: token });
    expect((await call(url, '/dpop/required', { token, proof: required })).status).toBe(200);
  });

  it('refuses a DPoP-bound token sent as a bearer token all the same (RFC 9449 §7.2), at the guard and through passport', async () => {
    const token = jwt.sign({ sub: 'ada', cnf: { jkt: dpopKey().jkt } });
    const response = await request(url, '/dpop/resource', { token });
    expect(response).toMatchObject({ status: 401, body: { code: 'RS256_DPOP_TOKEN_BOUND' } });
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_token", error_description="[^"]+"$/);
    // Plain AuthGuard('rs256-jwt') answers its own bare 401.
    expect((await request(url, '/passport', { token })).status).toBe(401);
    for (const path of ['/dpop/resource', '/passport']) {
      expect(await request(url, path, { token: jwt.sign({ sub: 'bo' }) })).toMatchObject({ status: 200, body: { subject: 'bo' } });
    }
  });

  it('issues bearer tokens at sign-in even when the request carries a proof: no binding that nothing here would accept', async () => {
    const proof = dpopProof(dpopKey(), { htm: 'POST', htu: `${url}/dpop/login` });
    const signedIn = await call(url, '/dpop/login', { method: 'POST', body: { sub: 'ada' }, proof });
    expect(signedIn).toMatchObject({ status: 200, body: { tokenType: 'Bearer' } });
    const { accessToken } = signedIn.body as { accessToken: string };
    expect(jwt.decode<Record<string, unknown>>(accessToken).cnf).toBeUndefined();
    expect((await request(url, '/dpop/resource', { token: accessToken })).status).toBe(200);
  });
});

describe('DPoP behind a proxy: the origin from its header, believed only from its addresses', () => {
  const apps: INestApplication[] = [];
  const ORIGIN = 'https://api.example.com';
  const started = async (proxies: string): Promise<{ jwt: JwtService; url: string }> => {
    const app = await start('express', { JWT_DPOP_ORIGIN_HEADER: 'X-External-Origin', JWT_DPOP_TRUSTED_PROXIES: proxies });
    apps.push(app.app);
    return app;
  };
  afterAll(() => Promise.all(apps.map((app) => app.close())));

  it('checks htu against the origin the proxy passes, from a trusted address only', async () => {
    const client = dpopKey();
    // This test's client connects from 127.0.0.1: the proxy, for the first app; anyone, for the second.
    for (const [proxies, status] of [
      ['127.0.0.1', 200],
      ['10.0.0.0/8', 401],
    ] as const) {
      const { jwt, url } = await started(proxies);
      const token = jwt.sign({ sub: 'ada', cnf: { jkt: client.jkt } });
      const proof = dpopProof(client, { htm: 'GET', htu: `${ORIGIN}/dpop/resource`, accessToken: token });
      const response = await request(url, '/dpop/resource', {
        authorization: `DPoP ${token}`,
        headers: { dpop: proof, 'x-external-origin': ORIGIN },
      });
      expect(response.status).toBe(status);
      if (status === 401) expect(response.body.code).toBe('RS256_DPOP_PROOF_URL');
    }
  });

  it("refuses a trusted proxy's origin header that is more than scheme://host[:port]", async () => {
    const client = dpopKey();
    const { jwt, url } = await started('127.0.0.1');
    const token = jwt.sign({ sub: 'ada', cnf: { jkt: client.jkt } });
    const proof = dpopProof(client, { htm: 'GET', htu: `${ORIGIN}/dpop/other`, accessToken: token });
    for (const origin of [`${ORIGIN}/dpop/other#`, `${ORIGIN}/dpop/other?`, 'https://user@api.example.com', `${ORIGIN}/`]) {
      const response = await request(url, '/dpop/resource', {
        authorization: `DPoP ${token}`,
        headers: { dpop: proof, 'x-external-origin': origin },
      });
      expect(response).toMatchObject({ status: 401, body: { code: 'RS256_DPOP_PROOF_URL' } });
    }
  });

  it('stops start-up with the origin header but no proxy addresses, naming both settings', async () => {
    await expect(start('express', { JWT_DPOP_ORIGIN_HEADER: 'X-External-Origin' })).rejects.toMatchObject({
      code: 'RS256_CONFIG_INVALID',
      message: expect.stringMatching(/JWT_DPOP_ORIGIN_HEADER is set but JWT_DPOP_TRUSTED_PROXIES is not/) as string,
    });
  });
});

describe('DPoP refusals in the metrics', () => {
  const meter = new TestMetrics();
  let app: INestApplication;
  let jwt: JwtService;
  let url: string;

  beforeAll(async () => {
    ({ app, jwt, url } = await start('express', {}, { observability: { meterProvider: meter.provider } }));
  });
  afterAll(async () => {
    await app?.close();
    await meter.shutdown();
  });

  it('counts each refusal under its RS256_DPOP_* code, not as other', async () => {
    const client = dpopKey();
    const token = jwt.sign({ sub: 'ada', cnf: { jkt: client.jkt } });
    const proof = dpopProof(client, { htm: 'GET', htu: `${url}/dpop/resource`, accessToken: token });
    expect((await call(url, '/dpop/resource', { token, proof })).status).toBe(200);
    expect((await call(url, '/dpop/resource', { token, proof })).status).toBe(401);
    const counted = { 'rs256auth.outcome': 'refused', 'error.type': 'RS256_DPOP_PROOF_REPLAYED' };
    expect(await meter.total('rs256auth.token.verifications', counted)).toBe(1);
  });
});

describe('DPoP server nonces (RFC 9449 §8)', () => {
  let app: INestApplication;
  let jwt: JwtService;
  let url: string;

  beforeAll(async () => {
    ({ app, jwt, url } = await start('express', { JWT_DPOP_NONCE: 'true' }));
  });
  afterAll(() => app?.close());

  it('asks for a nonce with use_dpop_nonce and a DPoP-Nonce header, then accepts the proof that carries it', async () => {
    const client = dpopKey();
    const token = jwt.sign({ sub: 'ada', cnf: { jkt: client.jkt } });
    const first = await call(url, '/dpop/resource', {
      token,
      proof: dpopProof(client, { htm: 'GET', htu: `${url}/dpop/resource`, accessToken: token }),
    });
    expect(first).toMatchObject({ status: 401, body: { code: 'RS256_DPOP_NONCE_REQUIRED' } });
    expect(first.headers.get('www-authenticate')).toMatch(/^DPoP realm="api", error="use_dpop_nonce", /);
    const nonce = first.headers.get('dpop-nonce');
    expect(nonce).toMatch(/^[0-9a-z]+\.[A-Za-z0-9_-]+$/);
    const withNonce = dpopProof(client, { htm: 'GET', htu: `${url}/dpop/resource`, accessToken: token, nonce: nonce! });
    expect((await call(url, '/dpop/resource', { token, proof: withNonce })).status).toBe(200);
    const forged = dpopProof(client, {
      htm: 'GET',
      htu: `${url}/dpop/resource`,
      accessToken: token,
      nonce: `${nonce!.split('.')[0]}.AAAAAAAAAAAAAAAAAAAAAA`,
    });
    expect(await call(url, '/dpop/resource', { token, proof: forged })).toMatchObject({ status: 401, body: { code: 'RS256_DPOP_NONCE_REQUIRED' } });
  });

  it('answers a token request without a nonce with 400 use_dpop_nonce and a DPoP-Nonce header', async () => {
    const client = dpopKey();
    const response = await call(url, '/dpop/login', {
      method: 'POST',
      body: { sub: 'ada' },
      proof: dpopProof(client, { htm: 'POST', htu: `${url}/dpop/login` }),
    });
    expect(response).toMatchObject({ status: 400, body: { error: 'use_dpop_nonce' } });
    const nonce = response.headers.get('dpop-nonce')!;
    const retried = await call(url, '/dpop/login', {
      method: 'POST',
      body: { sub: 'ada' },
      proof: dpopProof(client, { htm: 'POST', htu: `${url}/dpop/login`, nonce }),
    });
    expect(retried).toMatchObject({ status: 200, body: { tokenType: 'DPoP' } });
  });
});

describe('DPoP across instances sharing a Redis session store', () => {
  let redis: RedisServer | undefined;
  const apps: INestApplication[] = [];
  let first: { jwt: JwtService; url: string };
  let second: { url: string };
  const NONCE_SECRET = 'a-nonce-secret-shared-by-every-instance';

  beforeAll(async () => {
    redis = await startRedis();
    const env = { JWT_SESSION_STORE: 'redis', JWT_REDIS_URL: redis.url, JWT_DPOP_NONCE: 'true', JWT_DPOP_NONCE_SECRET: NONCE_SECRET };
    for (const target of [0, 1]) {
      const started = await start('express', env);
      apps.push(started.app);
      if (target === 0) first = started;
      else second = started;
    }
  }, SETUP_TIMEOUT);
  afterAll(async () => {
    await Promise.all(apps.map((app) => app.close()));
    await redis?.stop();
  });

  it('refuses on one instance a proof already used on the other, and shares nonces', async () => {
    const client = dpopKey();
    const token = first.jwt.sign({ sub: 'ada', cnf: { jkt: client.jkt } });
    // The instances listen on different ports, so the replay to the second carries the first's Host, as a load
    // balancer in front of both would forward it: the proof's htu then matches there too.
    const nonce = (
      await call(first.url, '/dpop/resource', {
        token,
        proof: dpopProof(client, { htm: 'GET', htu: `${first.url}/dpop/resource`, accessToken: token }),
      })
    ).headers.get('dpop-nonce')!;
    const proof = dpopProof(client, { htm: 'GET', htu: `${first.url}/dpop/resource`, accessToken: token, nonce });
    expect((await call(first.url, '/dpop/resource', { token, proof })).status).toBe(200);
    const replay = await rawGet(second.url, '/dpop/resource', { authorization: `DPoP ${token}`, dpop: proof, host: new URL(first.url).host });
    expect(replay).toMatchObject({ status: 401, body: { code: 'RS256_DPOP_PROOF_REPLAYED' } });
    // The nonce handed out by the first instance is good on the second: one shared secret.
    const fresh = dpopProof(client, { htm: 'GET', htu: `${second.url}/dpop/resource`, accessToken: token, nonce });
    expect((await call(second.url, '/dpop/resource', { token, proof: fresh })).status).toBe(200);
  });

  it('answers 503 with Retry-After while Redis cannot say whether a proof was used', async () => {
    const client = dpopKey();
    const token = first.jwt.sign({ sub: 'ada', cnf: { jkt: client.jkt } });
    const asked = dpopProof(client, { htm: 'GET', htu: `${first.url}/dpop/resource`, accessToken: token });
    const nonce = (await call(first.url, '/dpop/resource', { token, proof: asked })).headers.get('dpop-nonce')!;
    const proof = dpopProof(client, { htm: 'GET', htu: `${first.url}/dpop/resource`, accessToken: token, nonce });
    redis!.pause();
    try {
      const response = await call(first.url, '/dpop/resource', { token, proof });
      expect(response).toMatchObject({ status: 503, body: { code: 'RS256_SESSION_STORE_UNAVAILABLE' } });
      expect(response.headers.get('retry-after')).toBe('5');
    } finally {
      redis!.resume();
    }
  });

  it('stops start-up with nonces on the Redis store but no shared secret', async () => {
    await expect(start('express', { JWT_SESSION_STORE: 'redis', JWT_REDIS_URL: redis!.url, JWT_DPOP_NONCE: 'true' })).rejects.toMatchObject({
      code: 'RS256_CONFIG_INVALID',
      message: expect.stringContaining('JWT_DPOP_NONCE_SECRET') as string,
    });
  });
});

describe.each<[GraphqlDriverName, Platform]>([
  ['apollo', 'express'],
  ['mercurius', 'fastify'],
])('DPoP over GraphQL over HTTP (%s, %s)', (driver, platform) => {
  let gql: GraphqlApp | undefined;

  beforeAll(async () => {
    gql = await createGraphqlApp(driver, platform, 'route', keys.privatePath, new LogCapture(), { dpop: { mode: 'required' } });
  });
  afterAll(() => gql?.app.close());

  it('accepts a bound token with a proof of the POST to the endpoint, and refuses it without', async () => {
    const client = dpopKey();
    const token = gql!.jwt.sign({ sub: 'ada', cnf: { jkt: client.jkt } });
    const proof = dpopProof(client, { htm: 'POST', htu: gql!.url, accessToken: token });
    expect(await call(gql!.url, '', { method: 'POST', body: { query: '{ me }' }, token, proof })).toMatchObject({ body: { data: { me: 'ada' } } });
    const refused = await call(gql!.url, '', { method: 'POST', body: { query: '{ me }' }, token });
    expect(refused.body).toMatchObject({ errors: [{ message: 'DPoP proof missing', extensions: { code: 'UNAUTHENTICATED' } }] });
    const bearer = await call(gql!.url, '', { method: 'POST', body: { query: '{ me }' }, token: gql!.jwt.sign({ sub: 'bo' }), scheme: 'Bearer' });
    expect(bearer.body).toMatchObject({ errors: [{ message: 'DPoP-bound token and proof required' }] });
  });
});
