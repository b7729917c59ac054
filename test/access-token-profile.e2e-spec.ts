import type { INestApplication } from '@nestjs/common';
import type { JwtService } from '@nestjs/jwt';
import { createApp, WIRINGS } from './fixtures/app.js';
import { startExpressVerifier } from './support/express-verifier.js';
import { listen, request } from './support/http.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';

const ISSUER = 'https://issuer.example.test';
const AUDIENCE = 'https://api.example.test';

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

const decode = (token: string): { header: Record<string, unknown>; payload: Record<string, unknown> } => {
  const [header, payload] = token
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
  return { header, payload };
};

/** A service protected by express-oauth2-jwt-bearer in strict mode: an independent RFC 9068 verifier. */
function strictVerifier(jwksUri: string): Promise<{ url: string; close: () => Promise<void> }> {
  return startExpressVerifier({ issuer: ISSUER, audience: AUDIENCE, jwksUri, tokenSigningAlg: 'RS256', strict: true });
}

describe.each(WIRINGS)('RFC 9068 issuing profile (%s)', (wiring) => {
  let issuerApp: INestApplication;
  let jwt: JwtService;
  let issuerUrl: string;
  let plainApp: INestApplication;
  let plainJwt: JwtService;
  let verifier: { url: string; close: () => Promise<void> };
  const env = (extra: Record<string, string> = {}): Record<string, string> => ({
    JWT_PRIVATE_KEY_PATH: keys.privatePath,
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    JWT_JWKS_ENABLED: 'true',
    ...extra,
  });

  beforeAll(async () => {
    ({ app: issuerApp, jwt } = await createApp({ wiring, env: env({ JWT_TOKEN_PROFILE: 'rfc9068' }) }));
    issuerUrl = await listen(issuerApp);
    // The same key, without the profile: the control that shows the strict verifier refuses plain JWTs.
    ({ app: plainApp, jwt: plainJwt } = await createApp({ wiring, env: env() }));
    verifier = await strictVerifier(`${issuerUrl}/.well-known/jwks.json`);
  });
  afterAll(async () => {
    await verifier?.close();
    await plainApp?.close();
    await issuerApp?.close();
  });

  it('issues at+jwt tokens with jti, client_id, iat, exp, iss, aud and sub', async () => {
    const token = await jwt.signAsync({ sub: 'user-1', client_id: 'web-app', scope: 'orders:read' });
    const { header, payload } = decode(token);
    expect(header).toMatchObject({ alg: 'RS256', typ: 'at+jwt' });
    expect(payload).toMatchObject({ iss: ISSUER, aud: AUDIENCE, sub: 'user-1', client_id: 'web-app' });
    expect(typeof payload.jti).toBe('string');
    expect(payload.exp).toBe((payload.iat as number) + 900);
  });

  it('gives every token its own jti, and keeps one the payload brings (as sessions do)', () => {
    const payload = { sub: 'u', client_id: 'c' };
    const jtis = new Set(Array.from({ length: 5 }, () => decode(jwt.sign(payload)).payload.jti));
    expect(jtis.size).toBe(5);
    expect(payload).toEqual({ sub: 'u', client_id: 'c' });
    expect(decode(jwt.sign({ ...payload, jti: 'session-token-1' })).payload.jti).toBe('session-token-1');
  });

  it('express-oauth2-jwt-bearer with strict: true accepts them, and refuses the same key without the profile', async () => {
    const token = jwt.sign({ sub: 'user-1', client_id: 'web-app' });
    expect((await request(verifier.url, '/resource', { token })).status).toBe(200);
    const plain = plainJwt.sign({ sub: 'user-1', client_id: 'web-app' });
    expect((await request(verifier.url, '/resource', { token: plain })).status).toBe(401);
  });

  it('its own guard accepts them, and expects at+jwt under the profile', async () => {
    expect((await request(issuerUrl, '/profile', { token: jwt.sign({ sub: 'user-1', client_id: 'web-app' }) })).status).toBe(200);
    const plain = await request(issuerUrl, '/profile', { token: plainJwt.sign({ sub: 'user-1' }) });
    expect(plain.status).toBe(401);
    expect(plain.headers.get('www-authenticate')).toContain('token type not accepted; expected at+jwt');
  });

  it.each([
    ['without client_id', { sub: 'user-1' }, "'client_id'"],
    ['without sub', { client_id: 'web-app' }, "'sub'"],
    ['with a jti that is not a string', { sub: 'user-1', client_id: 'web-app', jti: 42 }, "'jti'"],
  ])('refuses to sign a payload %s', (_name, payload, mention) => {
    expect(() => jwt.sign(payload)).toThrow(
      expect.objectContaining({ code: 'RS256_ACCESS_TOKEN_CLAIMS', message: expect.stringContaining(mention) }),
    );
  });
});
