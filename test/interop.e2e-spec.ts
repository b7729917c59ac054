import { readFileSync } from 'node:fs';
import type { INestApplication } from '@nestjs/common';
import type { JwtService } from '@nestjs/jwt';
import { calculateJwkThumbprint, exportJWK, importPKCS8, importSPKI, jwtVerify, SignJWT } from 'jose';
import { createApp } from './fixtures/app.js';
import { listen, request } from './support/http.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

describe('interoperability with an independent implementation (jose)', () => {
  let app: INestApplication;
  let jwt: JwtService;
  let url: string;
  const env = () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_ISSUER: 'https://issuer.test', JWT_AUDIENCE: 'api.test' });

  beforeAll(async () => {
    ({ app, jwt } = await createApp({ env: env() }));
    url = await listen(app);
  });
  afterAll(() => app?.close());

  it('jose verifies a token our JwtService issued, with the public key file alone', async () => {
    const publicKey = await importSPKI(readFileSync(keys.publicPath, 'utf8'), 'RS256');
    const { payload, protectedHeader } = await jwtVerify(jwt.sign({ sub: 'user-7' }), publicKey, {
      algorithms: ['RS256'],
      issuer: 'https://issuer.test',
      audience: 'api.test',
    });
    expect(payload.sub).toBe('user-7');
    expect(protectedHeader.alg).toBe('RS256');
  });

  it('our kid is the RFC 7638 thumbprint jose computes', async () => {
    const publicKey = await importSPKI(readFileSync(keys.publicPath, 'utf8'), 'RS256', { extractable: true });
    const thumbprint = await calculateJwkThumbprint(await exportJWK(publicKey), 'sha256');
    const header = JSON.parse(Buffer.from(jwt.sign({ sub: 'u' }).split('.')[0], 'base64url').toString());
    expect(header.kid).toBe(thumbprint);
  });

  it('the guard accepts a token jose signed with the private key, with and without kid', async () => {
    const privateKey = await importPKCS8(readFileSync(keys.privatePath, 'utf8'), 'RS256');
    const kid = JSON.parse(Buffer.from(jwt.sign({ sub: 'u' }).split('.')[0], 'base64url').toString()).kid;
    for (const header of [{ alg: 'RS256' }, { alg: 'RS256', kid, typ: 'JWT' }]) {
      const token = await new SignJWT({ scope: 'orders:read' })
        .setProtectedHeader(header)
        .setSubject('jose-user')
        .setIssuer('https://issuer.test')
        .setAudience('api.test')
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
      const response = await request(url, '/orders', { token });
      expect(response.status).toBe(200);
    }
  });

  it('the guard refuses a jose token signed by another key', async () => {
    const otherKey = await importPKCS8(readFileSync(keys.otherPrivatePath, 'utf8'), 'RS256');
    const token = await new SignJWT({})
      .setProtectedHeader({ alg: 'RS256' })
      .setSubject('x')
      .setIssuer('https://issuer.test')
      .setAudience('api.test')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(otherKey);
    expect((await request(url, '/profile', { token })).status).toBe(401);
  });
});
