import type { INestApplication } from '@nestjs/common';
import type { JwtService } from '@nestjs/jwt';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { Rs256AuthModuleOptions } from '../src/index.js';
import { createApp, PLATFORM_WIRINGS } from './fixtures/app.js';
import { listen, request } from './support/http.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { rs256Token, validClaims } from './support/tokens.js';

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

describe.each(PLATFORM_WIRINGS)('JWKS endpoint (%s, %s)', (platform, wiring) => {
  async function serve(
    env: Record<string, string>,
    options?: Rs256AuthModuleOptions,
  ): Promise<{ app: INestApplication; jwt: JwtService; url: string }> {
    const { app, jwt } = await createApp({ platform, wiring, guard: 'global', env, options });
    return { app, jwt, url: await listen(app) };
  }

  it('serves the public key as an RFC 7517 JWK with no private member, outside the global guard', async () => {
    const { app, jwt, url } = await serve({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_JWKS_ENABLED: 'true' });
    try {
      const response = await request(url, '/.well-known/jwks.json');
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('public, max-age=300');
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      const kid = JSON.parse(Buffer.from(jwt.sign({ sub: 'u' }).split('.')[0], 'base64url').toString()).kid;
      const expected = keys.main.publicKey.export({ format: 'jwk' });
      expect(response.body).toEqual({ keys: [{ kty: 'RSA', n: expected.n, e: expected.e, kid, alg: 'RS256', use: 'sig' }] });
      expect(JSON.stringify(response.body)).not.toMatch(/"(d|p|q|dp|dq|qi)"/);
    } finally {
      await app.close();
    }
  });

  it("verifies the app's tokens in jose through createLocalJWKSet", async () => {
    const { app, jwt, url } = await serve({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_JWKS_ENABLED: 'true', JWT_ISSUER: 'iss' });
    try {
      const jwks = createLocalJWKSet((await request(url, '/.well-known/jwks.json')).body);
      const { payload } = await jwtVerify(jwt.sign({ sub: 'through-jwks' }), jwks, { issuer: 'iss', algorithms: ['RS256'] });
      expect(payload.sub).toBe('through-jwks');
      await expect(jwtVerify(rs256Token(keys.other.privateKey, validClaims()), jwks)).rejects.toThrow();
    } finally {
      await app.close();
    }
  });

  it('takes path and max-age from the module option', async () => {
    const { app, url } = await serve({ JWT_PUBLIC_KEY_PATH: keys.publicPath }, { publishing: { jwks: { path: '/keys.json', maxAge: 60 } } });
    try {
      const response = await request(url, '/keys.json');
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('public, max-age=60');
      expect(response.body.keys).toHaveLength(1);
      expect((await request(url, '/.well-known/jwks.json')).status).not.toBe(200);
    } finally {
      await app.close();
    }
  });

  it('is off unless enabled', async () => {
    for (const env of [{}, { JWT_JWKS_ENABLED: 'false' }] as Record<string, string>[]) {
      const { app, url } = await serve({ JWT_PRIVATE_KEY_PATH: keys.privatePath, ...env });
      try {
        // Under the global guard an unknown route is still answered by the guard or the router, never by a key set.
        const response = await request(url, '/.well-known/jwks.json');
        expect(response.status).toBe(404);
      } finally {
        await app.close();
      }
    }
  });
});
