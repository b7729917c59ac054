import { readFileSync } from 'node:fs';
import type { INestApplication } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { Test } from '@nestjs/testing';
import { ExtractJwt } from 'passport-jwt';
import { Injectable } from '@nestjs/common';
import { Rs256AuthError, Rs256AuthModule, Rs256Strategy, type JwtClaims, type Rs256AuthModuleOptions } from '../src/index.js';
import { createApp, PLATFORM_WIRINGS, WIRINGS, type AppScenario } from './fixtures/app.js';
import { listen, request } from './support/http.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { craftToken, nowSeconds, rs256Token, signers, validClaims } from './support/tokens.js';

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

function decode(token: string): { header: Record<string, unknown>; payload: Record<string, any> } {
  const [header, payload] = token
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
  return { header, payload };
}

/** Starts an app for the scenario, runs `body` against it, and closes it. */
async function withApp(scenario: AppScenario, body: (url: string, jwt: JwtService) => Promise<void>): Promise<void> {
  const { app, jwt } = await createApp(scenario);
  try {
    await body(await listen(app), jwt);
  } finally {
    await app.close();
  }
}

async function status(url: string, token: string, path = '/profile'): Promise<number> {
  return (await request(url, path, { token })).status;
}

describe.each(PLATFORM_WIRINGS)('configuration (%s, %s)', (platform, wiring) => {
  const scenario = (env: Record<string, string>, options?: Rs256AuthModuleOptions): AppScenario => ({ wiring, platform, env, options });

  describe('keys', () => {
    it.each([
      ['PKCS#8', () => keys.privatePath],
      ['PKCS#1', () => keys.privatePkcs1Path],
    ])('JWT_PRIVATE_KEY_PATH (%s) signs, and its derived public key verifies', async (_format, path) => {
      await withApp(scenario({ JWT_PRIVATE_KEY_PATH: path() }), async (url, jwt) => {
        expect(await status(url, jwt.sign({ sub: 'u' }))).toBe(200);
        expect(await status(url, rs256Token(keys.main.privateKey, validClaims()))).toBe(200);
      });
    });

    it('JWT_PRIVATE_KEY_PASSPHRASE opens an encrypted private key', async () => {
      const env = { JWT_PRIVATE_KEY_PATH: keys.encryptedPath, JWT_PRIVATE_KEY_PASSPHRASE: keys.passphrase };
      await withApp(scenario(env), async (url, jwt) => {
        expect(await status(url, jwt.sign({ sub: 'u' }))).toBe(200);
      });
    });

    it.each([
      ['SPKI', () => keys.publicPath],
      ['PKCS#1', () => keys.publicPkcs1Path],
    ])('JWT_PUBLIC_KEY_PATH alone (%s): verify-only mode', async (_format, path) => {
      await withApp(scenario({ JWT_PUBLIC_KEY_PATH: path() }), async (url, jwt) => {
        expect(await status(url, rs256Token(keys.main.privateKey, validClaims()))).toBe(200);
        expect(await status(url, rs256Token(keys.other.privateKey, validClaims()))).toBe(401);
        expect(() => jwt.sign({ sub: 'u' })).toThrow(Rs256AuthError);
        expect(() => jwt.sign({ sub: 'u' })).toThrow(/no private key is configured/);
        // @nestjs/jwt asks for the key before it creates its promise; in an async caller that is a rejection.
        await expect(async () => jwt.signAsync({ sub: 'u' })).rejects.toMatchObject({ code: 'RS256_NO_PRIVATE_KEY' });
      });
    });

    it('JWT_PRIVATE_KEY_PATH with a matching JWT_PUBLIC_KEY_PATH', async () => {
      await withApp(scenario({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_PUBLIC_KEY_PATH: keys.publicPath }), async (url, jwt) => {
        expect(await status(url, jwt.sign({ sub: 'u' }))).toBe(200);
      });
    });

    it.each([
      ['as is', (pem: string) => pem],
      ['with \\n escapes', (pem: string) => pem.trim().replace(/\n/g, '\\n')],
      ['base64-encoded', (pem: string) => Buffer.from(pem).toString('base64')],
    ])('JWT_PRIVATE_KEY and JWT_PUBLIC_KEY inline, %s', async (_form, encode) => {
      const env = {
        JWT_PRIVATE_KEY: encode(readFileSync(keys.privatePath, 'utf8')),
        JWT_PUBLIC_KEY: encode(readFileSync(keys.publicPath, 'utf8')),
      };
      await withApp(scenario(env), async (url, jwt) => {
        expect(await status(url, jwt.sign({ sub: 'u' }))).toBe(200);
      });
    });

    it('module options override the environment', async () => {
      const env = { JWT_PUBLIC_KEY_PATH: keys.otherPublicPath, JWT_ISSUER: 'env-issuer' };
      await withApp(scenario(env, { keys: { publicKeyPath: keys.publicPath }, tokens: { issuer: 'option-issuer' } }), async (url) => {
        expect(await status(url, rs256Token(keys.main.privateKey, validClaims({ iss: 'option-issuer' })))).toBe(200);
        expect(await status(url, rs256Token(keys.main.privateKey, validClaims({ iss: 'env-issuer' })))).toBe(401);
      });
    });
  });

  describe('claims', () => {
    it('JWT_ISSUER is written into tokens and required', async () => {
      await withApp(scenario({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_ISSUER: 'https://id.test' }), async (url, jwt) => {
        expect(decode(jwt.sign({ sub: 'u' })).payload.iss).toBe('https://id.test');
        expect(await status(url, rs256Token(keys.main.privateKey, validClaims()))).toBe(401);
      });
    });

    it('JWT_AUDIENCE: the first is written, any is accepted, others are refused', async () => {
      await withApp(scenario({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_AUDIENCE: 'web, mobile' }), async (url, jwt) => {
        expect(decode(jwt.sign({ sub: 'u' })).payload.aud).toBe('web');
        expect(await status(url, rs256Token(keys.main.privateKey, validClaims({ aud: 'mobile' })))).toBe(200);
        expect(await status(url, rs256Token(keys.main.privateKey, validClaims({ aud: 'tv' })))).toBe(401);
      });
    });

    it.each([
      ['1h', 3600],
      ['90', 90],
      ['2d', 172800],
    ])('JWT_EXPIRES_IN=%s gives tokens %d seconds', async (value, seconds) => {
      await withApp(scenario({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_EXPIRES_IN: value }), async (_url, jwt) => {
        const { payload } = decode(jwt.sign({ sub: 'u' }));
        expect(payload.exp - payload.iat).toBe(seconds);
      });
    });

    it('JWT_CLOCK_TOLERANCE accepts a token expired within the leeway and no longer', async () => {
      const now = nowSeconds();
      const recentlyExpired = rs256Token(keys.main.privateKey, validClaims({ iat: now - 100, exp: now - 10 }));
      const longExpired = rs256Token(keys.main.privateKey, validClaims({ iat: now - 100, exp: now - 60 }));
      const earlyNbf = rs256Token(keys.main.privateKey, validClaims({ nbf: now + 10 }));
      await withApp(scenario({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_CLOCK_TOLERANCE: '30' }), async (url) => {
        expect(await status(url, recentlyExpired)).toBe(200);
        expect(await status(url, earlyNbf)).toBe(200);
        expect(await status(url, longExpired)).toBe(401);
      });
      await withApp(scenario({ JWT_PRIVATE_KEY_PATH: keys.privatePath }), async (url) => {
        expect(await status(url, recentlyExpired)).toBe(401);
        expect(await status(url, earlyNbf)).toBe(401);
      });
    });

    it('the default clock tolerance is 5 seconds; JWT_CLOCK_TOLERANCE=0 removes it', async () => {
      const now = nowSeconds();
      // Expired a second ago; and issued by a host whose clock runs 2 seconds fast.
      const skewed = rs256Token(keys.main.privateKey, validClaims({ iat: now - 100, exp: now - 1 }));
      const fromFastClock = rs256Token(keys.main.privateKey, validClaims({ iat: now + 2, nbf: now + 2 }));
      await withApp(scenario({ JWT_PRIVATE_KEY_PATH: keys.privatePath }), async (url) => {
        expect(await status(url, skewed)).toBe(200);
        expect(await status(url, fromFastClock)).toBe(200);
      });
      await withApp(scenario({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_CLOCK_TOLERANCE: '0' }), async (url) => {
        expect(await status(url, skewed)).toBe(401);
        expect(await status(url, fromFastClock)).toBe(401);
      });
    });

    it('JWT_REQUIRED_CLAIMS replaces the default list', async () => {
      const now = nowSeconds();
      await withApp(scenario({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_REQUIRED_CLAIMS: 'exp,jti' }), async (url) => {
        expect(await status(url, rs256Token(keys.main.privateKey, { exp: now + 60, jti: 'j1' }))).toBe(200);
        const response = await request(url, '/profile', { token: rs256Token(keys.main.privateKey, { exp: now + 60, sub: 'u' }) });
        expect(response.headers.get('www-authenticate')).toContain("missing claim 'jti'");
      });
    });

    it('the default required claims are exp, iat and sub', async () => {
      await withApp(scenario({ JWT_PRIVATE_KEY_PATH: keys.privatePath }), async (url) => {
        expect(await status(url, rs256Token(keys.main.privateKey, { sub: 'u', iat: nowSeconds() }))).toBe(401);
      });
    });

    it('JWT_MAX_TOKEN_LENGTH and JWT_REALM', async () => {
      await withApp(scenario({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_MAX_TOKEN_LENGTH: '600', JWT_REALM: 'orders' }), async (url, jwt) => {
        const response = await request(url, '/profile', { token: jwt.sign({ sub: 'u', padding: 'x'.repeat(400) }) });
        expect(response.status).toBe(401);
        expect(response.headers.get('www-authenticate')).toBe(
          'Bearer realm="orders", error="invalid_token", error_description="token exceeds 600 bytes"',
        );
      });
    });
  });

  it('transport.extractor accepts passport-jwt extractors, e.g. a query parameter', async () => {
    const extractor = ExtractJwt.fromExtractors([ExtractJwt.fromAuthHeaderAsBearerToken(), ExtractJwt.fromUrlQueryParameter('access_token')]);
    await withApp(scenario({ JWT_PRIVATE_KEY_PATH: keys.privatePath }, { transport: { extractor } }), async (url, jwt) => {
      const token = jwt.sign({ sub: 'u' });
      expect((await fetch(`${url}/profile?access_token=${token}`)).status).toBe(200);
      expect(await status(url, token)).toBe(200);
    });
  });
});

describe('JwtService keeps the RS256 split whatever the caller passes', () => {
  let jwt: JwtService;
  let app: INestApplication;
  beforeAll(async () => {
    ({ app, jwt } = await createApp({ env: { JWT_PRIVATE_KEY_PATH: keys.privatePath } }));
  });
  afterAll(() => app?.close());

  it('verifies its own tokens with the public key and refuses HS256 keyed with that public key', () => {
    expect(jwt.verify(jwt.sign({ sub: 'u' })).sub).toBe('u');
    const confused = craftToken({ alg: 'HS256', typ: 'JWT' }, validClaims(), signers.hs256(readFileSync(keys.publicPath)));
    expect(() => jwt.verify(confused)).toThrow();
    expect(() => jwt.verify(confused, { secret: readFileSync(keys.publicPath, 'utf8'), algorithms: ['HS256'] })).toThrow();
  });

  it('ignores a per-call secret when signing: the private key signs', () => {
    const token = jwt.sign({ sub: 'u' }, { secret: 'shared-secret' });
    expect(decode(token).header.alg).toBe('RS256');
    expect(jwt.verify(token).sub).toBe('u');
  });
});

/** What an application writes to turn claims into its own user, asynchronously, refusing some. */
@Injectable()
class UserStrategy extends Rs256Strategy {
  override async validate(claims: JwtClaims): Promise<{ id: string; kind: string } | null> {
    await Promise.resolve();
    return claims.sub === 'blocked' ? null : { id: claims.sub!, kind: 'user' };
  }
}

describe.each(WIRINGS)('a strategy subclass given as the strategy extra (%s)', (wiring) => {
  it('maps claims to request.user, may refuse a token, and leaves claims and requirements on the verified claims', async () => {
    const { app, jwt } = await createApp({ wiring, strategy: UserStrategy, env: { JWT_PRIVATE_KEY_PATH: keys.privatePath } });
    try {
      const url = await listen(app);
      const token = jwt.sign({ sub: 'u', scope: 'orders:read' });
      expect((await request(url, '/user', { token })).body).toEqual({ id: 'u', kind: 'user' });
      expect((await request(url, '/profile', { token })).body.claims.sub).toBe('u');
      expect((await request(url, '/orders', { token })).status).toBe(200);
      const blocked = await request(url, '/profile', { token: jwt.sign({ sub: 'blocked' }) });
      expect(blocked.status).toBe(401);
      expect(blocked.headers.get('www-authenticate')).toContain('token not accepted');
    } finally {
      await app.close();
    }
  });
});

describe('two applications in one process', () => {
  it('each verifies with its own keys, whichever started last', async () => {
    const first = await createApp({ env: { JWT_PRIVATE_KEY_PATH: keys.privatePath } });
    const second = await createApp({ env: { JWT_PRIVATE_KEY_PATH: keys.otherPrivatePath } });
    try {
      const [firstUrl, secondUrl] = [await listen(first.app), await listen(second.app)];
      const [firstToken, secondToken] = [first.jwt.sign({ sub: 'a' }), second.jwt.sign({ sub: 'b' })];
      expect(await status(firstUrl, firstToken)).toBe(200);
      expect(await status(firstUrl, secondToken)).toBe(401);
      expect(await status(secondUrl, secondToken)).toBe(200);
      expect(await status(secondUrl, firstToken)).toBe(401);
    } finally {
      await Promise.all([first.app.close(), second.app.close()]);
    }
  });
});

describe('works without the application importing ConfigModule', () => {
  const saved = process.env.JWT_PRIVATE_KEY_PATH;
  afterEach(() => {
    if (saved === undefined) delete process.env.JWT_PRIVATE_KEY_PATH;
    else process.env.JWT_PRIVATE_KEY_PATH = saved;
  });

  it('forRoot() with no options reads the process environment', async () => {
    process.env.JWT_PRIVATE_KEY_PATH = keys.privatePath;
    const moduleRef = await Test.createTestingModule({ imports: [Rs256AuthModule.forRoot()] }).compile();
    const jwt = moduleRef.get(JwtService);
    expect(jwt.verify(jwt.sign({ sub: 'u' })).sub).toBe('u');
    await moduleRef.close();
  });

  it('forRoot(options) needs no environment at all', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [Rs256AuthModule.forRoot({ keys: { privateKeyPath: keys.privatePath } })],
    }).compile();
    expect(moduleRef.get(JwtService).sign({ sub: 'u' })).toMatch(/^eyJ/);
    await moduleRef.close();
  });
});
