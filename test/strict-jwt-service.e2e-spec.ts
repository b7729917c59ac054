import { generateKeyPairSync, verify as verifySignature } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Injectable, Module, type INestApplication, type ModuleMetadata, type Provider } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { JwtModule, JwtService } from '@nestjs/jwt';
import { Rs256AuthError, Rs256AuthModule, StrictJwtService, type Rs256AuthModuleExtras } from '../src/index.js';
import { KeySet, verificationKey } from '../src/keys/key-set.js';
import { KeyStore } from '../src/keys/key-store.js';
import { TokenVerifier } from '../src/token/token-verifier.js';
import { createApp, WIRINGS } from './fixtures/app.js';
import { listen, request } from './support/http.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { freePort } from './support/processes.js';
import { b64url, craftToken, nowSeconds, rs256Token, signers, validClaims } from './support/tokens.js';

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

const ISSUER = 'https://issuer.test';
const AUDIENCES = ['api.test', 'other.test'];

/** The error `call` throws, or a failure if it does not throw. */
function thrown(call: () => unknown): unknown {
  try {
    call();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe.each(WIRINGS)('the JwtService the module provides verifies as strictly as the guard (%s)', (wiring) => {
  let app: INestApplication;
  let jwt: JwtService;
  let url: string;

  beforeAll(async () => {
    ({ app, jwt } = await createApp({
      wiring,
      env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCES.join(','), JWT_CLOCK_TOLERANCE: '5' },
    }));
    url = await listen(app);
  });
  afterAll(() => app?.close());

  const claims = (extra: Record<string, unknown> = {}): Record<string, unknown> => validClaims({ iss: ISSUER, aud: AUDIENCES[0], ...extra });

  it('is the StrictJwtService, one instance under both tokens', () => {
    expect(jwt).toBeInstanceOf(StrictJwtService);
    expect(app.get(StrictJwtService)).toBe(jwt);
  });

  it('returns the verified claims, frozen, from verify and verifyAsync', async () => {
    const token = jwt.sign({ sub: 'user-7', scope: 'profile' });
    const verified = jwt.verify(token);
    expect(verified).toMatchObject({ sub: 'user-7', scope: 'profile', iss: ISSUER, aud: AUDIENCES[0] });
    expect(Object.isFrozen(verified)).toBe(true);
    await expect(jwt.verifyAsync(token)).resolves.toBe(verified);
  });

  it("shares the guard's verifier and cache: a token the guard saw costs no second verification", async () => {
    const verifier = app.get(TokenVerifier);
    const token = jwt.sign({ sub: 'cached' });
    const before = verifier.cachedTokens;
    expect((await request(url, '/profile', { token })).status).toBe(200);
    expect(verifier.cachedTokens).toBe(before + 1);
    jwt.verify(token);
    await jwt.verifyAsync(token);
    expect(verifier.cachedTokens).toBe(before + 1);
  });

  const publicPem = (): string => readFileSync(keys.publicPath, 'utf8');
  const badTokens: [string, () => string, string][] = [
    [
      'HS256 keyed with the public key PEM',
      () => craftToken({ alg: 'HS256', typ: 'JWT' }, claims(), signers.hs256(publicPem())),
      'RS256_TOKEN_ALGORITHM',
    ],
    ['alg none, unsigned', () => craftToken({ alg: 'none' }, claims(), signers.none()), 'RS256_TOKEN_SIGNATURE'],
    ['RS512 by the right key', () => craftToken({ alg: 'RS512' }, claims(), signers.rs512(keys.main.privateKey)), 'RS256_TOKEN_ALGORITHM'],
    ['another key', () => rs256Token(keys.other.privateKey, claims()), 'RS256_TOKEN_SIGNATURE'],
    ['crit header', () => rs256Token(keys.main.privateKey, claims(), { crit: ['exp'] }), 'RS256_TOKEN_CRIT_UNSUPPORTED'],
    ['a key in the header', () => rs256Token(keys.main.privateKey, claims(), { jku: 'https://evil.test/jwks' }), 'RS256_TOKEN_HEADER_KEY'],
    [
      'expired beyond the tolerance',
      () => rs256Token(keys.main.privateKey, claims({ iat: nowSeconds() - 100, exp: nowSeconds() - 10 })),
      'RS256_TOKEN_EXPIRED',
    ],
    ['another issuer', () => rs256Token(keys.main.privateKey, claims({ iss: 'https://evil.test' })), 'RS256_TOKEN_ISSUER'],
    ['another audience', () => rs256Token(keys.main.privateKey, claims({ aud: 'evil.test' })), 'RS256_TOKEN_AUDIENCE'],
    ['no sub', () => rs256Token(keys.main.privateKey, claims({ sub: undefined })), 'RS256_TOKEN_CLAIM_MISSING'],
    ['exp as a string', () => rs256Token(keys.main.privateKey, claims({ exp: String(nowSeconds() + 60) })), 'RS256_TOKEN_CLAIM_INVALID'],
    ['a payload that is not JSON', () => rs256Token(keys.main.privateKey, 'not json'), 'RS256_TOKEN_MALFORMED'],
    ['oversized', () => rs256Token(keys.main.privateKey, claims({ pad: 'x'.repeat(9000) })), 'RS256_TOKEN_TOO_LARGE'],
    ['a JWE-shaped string', () => `${b64url({ alg: 'RSA-OAEP', enc: 'A256GCM' })}..iv.ct.tag`, 'RS256_TOKEN_MALFORMED'],
  ];

  it.each(badTokens)('refuses %s with the code and reason the guard answers', async (_name, make, code) => {
    const token = make();
    const syncError = thrown(() => jwt.verify(token));
    expect(syncError).toBeInstanceOf(Rs256AuthError);
    expect(syncError).toMatchObject({ code });

    // A rejected promise, never a synchronous throw.
    let pending: Promise<unknown> | undefined;
    expect(() => {
      pending = jwt.verifyAsync(token);
    }).not.toThrow();
    await expect(pending).rejects.toMatchObject({ name: 'Rs256AuthError', code });

    const guarded = await request(url, '/profile', { token });
    expect(guarded.status).toBe(401);
    expect(guarded.body.message).toBe((syncError as Rs256AuthError).message);
  });

  it('leaves decode a plain decode', () => {
    const forged = rs256Token(keys.other.privateKey, claims({ sub: 'forged' }));
    expect(jwt.decode(forged)).toMatchObject({ sub: 'forged' });
  });

  const loosening: [string, Record<string, unknown>][] = [
    ['secret', { secret: 'shared-secret' }],
    ['publicKey', { publicKey: 'a PEM of the caller’s choice' }],
    ['algorithms', { algorithms: ['HS256'] }],
    ['algorithms', { algorithms: ['RS256', 'HS256'] }],
    ['ignoreExpiration', { ignoreExpiration: true }],
    ['ignoreNotBefore', { ignoreNotBefore: true }],
    ['audience', { audience: 'evil.test' }],
    ['audience', { audience: [...AUDIENCES, 'evil.test'] }],
    ['issuer', { issuer: 'https://evil.test' }],
    ['clockTolerance', { clockTolerance: 3600 }],
    ['maxAge', { maxAge: '1y' }],
    ['clockTimestamp', { clockTimestamp: 0 }],
    ['complete', { complete: true }],
    ['subject', { subject: 'user-1' }],
    ['allowInvalidAsymmetricKeyTypes', { allowInvalidAsymmetricKeyTypes: true }],
  ];

  it.each(loosening)('refuses the per-call option %s (%j) instead of ignoring it', async (name, options) => {
    const token = jwt.sign({ sub: 'u' });
    const error = thrown(() => jwt.verify(token, options));
    expect(error).toMatchObject({ name: 'Rs256AuthError', code: 'RS256_VERIFY_OPTION_REFUSED' });
    expect((error as Error).message).toContain(`'${name}'`);
    for (const value of Object.values(options)) {
      if (typeof value === 'string') expect((error as Error).message).not.toContain(value);
    }
    let pending: Promise<unknown> | undefined;
    expect(() => {
      pending = jwt.verifyAsync(token, options);
    }).not.toThrow();
    await expect(pending).rejects.toMatchObject({ code: 'RS256_VERIFY_OPTION_REFUSED' });
  });

  it('accepts options that only restate the configuration, and undefined ones', async () => {
    const token = jwt.sign({ sub: 'u' });
    const restating = {
      algorithms: ['RS256' as const],
      issuer: ISSUER,
      audience: [AUDIENCES[1], AUDIENCES[0]] as [string, string],
      clockTolerance: 5,
      ignoreExpiration: false,
      ignoreNotBefore: false,
      complete: false,
      secret: undefined,
    };
    expect(jwt.verify(token, restating).sub).toBe('u');
    await expect(jwt.verifyAsync(token, { issuer: [ISSUER] })).resolves.toMatchObject({ sub: 'u' });
  });
});

describe('the JwtService of a verify-only app', () => {
  it('verifies with the public key and cannot sign', async () => {
    const { app, jwt } = await createApp({ env: { JWT_PUBLIC_KEY_PATH: keys.publicPath } });
    try {
      const token = rs256Token(keys.main.privateKey, validClaims({ sub: 'from-issuer' }));
      expect(jwt.verify(token).sub).toBe('from-issuer');
      expect(() => jwt.sign({ sub: 'u' })).toThrow(expect.objectContaining({ code: 'RS256_NO_PRIVATE_KEY' }));
      await expect(jwt.verifyAsync(rs256Token(keys.other.privateKey, validClaims()))).rejects.toMatchObject({ code: 'RS256_TOKEN_SIGNATURE' });
    } finally {
      await app.close();
    }
  });
});

describe('the JwtService of a resource server', () => {
  it("verifyAsync fetches the issuer's JWK Set again for a kid it does not know yet, as the guard does", async () => {
    // The issuer is down while the resource server starts: it starts with no key at all.
    const port = await freePort();
    const resource = await createApp({
      env: { JWT_JWKS_URI: `http://127.0.0.1:${port}/.well-known/jwks.json`, JWT_AUDIENCE: 'remote-api', JWT_JWKS_COOLDOWN: '1' },
    });
    // The failed start-up fetch opened a cooldown window of the shortest length accepted: let it pass.
    const cooldown = new Promise((resolve) => setTimeout(resolve, 1000));
    const issuer = await createApp({ env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_AUDIENCE: 'remote-api', JWT_JWKS_ENABLED: 'true' } });
    try {
      await issuer.app.listen(port, '127.0.0.1');
      const token = issuer.jwt.sign({ sub: 'remote' });
      expect(() => resource.jwt.verify(token)).toThrow(expect.objectContaining({ code: 'RS256_TOKEN_KID_UNKNOWN' }));
      await cooldown;
      await expect(resource.jwt.verifyAsync(token)).resolves.toMatchObject({ sub: 'remote' });
      expect(resource.jwt.verify(token).sub).toBe('remote');
    } finally {
      await Promise.all([issuer.app.close(), resource.app.close()]);
    }
  });
});

/**
 * `sign` without options signs a plain payload itself rather than through jsonwebtoken (see `signDirectly`). RS256
 * signatures are deterministic, so both ways must give the same token, byte for byte, within one second; what the
 * direct path leaves to jsonwebtoken must behave exactly as jsonwebtoken does.
 */
describe.each([
  ['the defaults', {}],
  ['an issuer, audiences and a lifetime', { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCES.join(','), JWT_EXPIRES_IN: '2h' }],
  ['the RFC 9068 profile', { JWT_ISSUER: ISSUER, JWT_AUDIENCE: AUDIENCES[0], JWT_TOKEN_PROFILE: 'rfc9068' }],
])('JwtService.sign with %s makes the token jsonwebtoken makes', (_name, env: Record<string, string>) => {
  let app: INestApplication;
  let jwt: JwtService;
  /** The same call through `@nestjs/jwt`'s own sign, that is jsonwebtoken with the module's options. */
  let viaJsonwebtoken: (payload: object | string | Buffer, options?: object) => string;

  beforeAll(async () => {
    ({ app, jwt } = await createApp({ env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, ...env } }));
    viaJsonwebtoken = (payload, options) => JwtService.prototype.sign.call(jwt, payload as object, options);
  });
  afterAll(() => app?.close());

  /** Both tokens, signed within the same second (retried if the clock ticked between them). */
  function bothWays(payload: object, options?: object): [string, string] {
    for (;;) {
      const second = Math.floor(Date.now() / 1000);
      const pair: [string, string] = [jwt.sign(payload, options), viaJsonwebtoken(payload, options)];
      if (Math.floor(Date.now() / 1000) === second) return pair;
    }
  }

  // RFC 9068 requires these; the other profiles just carry them.
  const base = { sub: 'user-1', client_id: 'client-1', jti: 'token-1' };
  class Session {
    constructor(readonly sub: string) {}
  }
  const withSymbol = { ...base, [Symbol('hidden')]: 'not in JSON' };
  const withGetter = Object.defineProperty({ ...base }, 'computed', { enumerable: true, get: () => 'from a getter' });
  const hidden = Object.defineProperty({ ...base }, 'hidden', { enumerable: false, value: 'not copied' });
  const payloads: [string, object][] = [
    ['a plain payload', base],
    ['members in any order, integer-like names first in both', { role: 'admin', ...base, 2: 'two', 1: 'one' }],
    ['nested objects and arrays', { ...base, realm_access: { roles: ['a', 'b'] }, list: [1, [2, [3]], { x: null }] }],
    ['text outside ASCII', { ...base, name: 'Łódź 東京 🚀', quote: '"\\\u0000\u2028' }],
    ['undefined members and a Date', { ...base, gone: undefined, at: new Date(0) }],
    ['a null prototype', Object.assign(Object.create(null) as object, base)],
    ['a symbol key', withSymbol],
    ['an enumerable getter', withGetter],
    ['a member that is not enumerable', hidden],
  ];

  it.each(payloads)('%s', (_what, payload) => {
    const [direct, reference] = bothWays(payload);
    expect(direct).toBe(reference);
    expect(jwt.verify(direct)).toMatchObject({ sub: 'user-1' });
  });

  const leftToJsonwebtoken: [string, object | string | Buffer, object | undefined][] = [
    ['its own iat', { ...base, iat: 1_700_000_000 }, undefined],
    ['its own exp', { ...base, exp: 1_700_000_000 }, undefined],
    ['an exp that is not a number', { ...base, exp: 'soon' }, undefined],
    ['its own nbf', { ...base, nbf: 1_700_000_000 }, undefined],
    ['its own aud', { ...base, aud: 'elsewhere' }, undefined],
    ['its own iss', { ...base, iss: 'https://elsewhere.test' }, undefined],
    ['an own __proto__ member', JSON.parse('{"sub":"user-1","client_id":"c","jti":"j","__proto__":{"exp":1}}') as object, undefined],
    ['a class instance', new Session('user-1'), undefined],
    ['a string', 'a string payload', undefined],
    ['a Buffer', Buffer.from('{"sub":"user-1"}'), undefined],
    ['per-call options', base, { expiresIn: 60, subject: undefined }],
    ['a per-call lifetime beside its own exp', { ...base, exp: 1 }, { expiresIn: 60 }],
  ];

  it.each(leftToJsonwebtoken)('a payload with %s is signed by jsonwebtoken, or refused as it refuses it', (_what, payload, options) => {
    let direct: unknown;
    let reference: unknown;
    const second = Math.floor(Date.now() / 1000);
    try {
      direct = jwt.sign(payload as object, options);
    } catch (error) {
      direct = error;
    }
    try {
      reference = viaJsonwebtoken(payload, options);
    } catch (error) {
      reference = error;
    }
    if (Math.floor(Date.now() / 1000) !== second && typeof direct === 'string') return; // the clock ticked between the two
    expect(direct).toEqual(reference);
  });
});

describe('one JwtService per application', () => {
  /** Starts an app whose feature module has the given imports and providers; resolves with its error, if any. */
  async function startWithFeature(
    feature: { imports?: ModuleMetadata['imports']; providers?: Provider[] },
    extras: Rs256AuthModuleExtras = {},
  ): Promise<unknown> {
    @Injectable()
    class Tokens {
      constructor(readonly jwt: JwtService) {}
    }
    @Module({ imports: feature.imports ?? [], providers: [Tokens, ...(feature.providers ?? [])], exports: [Tokens] })
    class OrdersModule {}
    @Module({ imports: [Rs256AuthModule.forRoot({ keys: { privateKeyPath: keys.privatePath }, ...extras }), OrdersModule] })
    class AppModule {}
    const app = await NestFactory.create(AppModule, { logger: false, abortOnError: false });
    try {
      await app.init();
      return undefined;
    } catch (error) {
      return error;
    } finally {
      await app.close();
    }
  }

  it('refuses a leftover JwtModule.register({ secret }) in a feature module, naming it and the fix', async () => {
    const error = await startWithFeature({ imports: [JwtModule.register({ secret: 'leftover-secret-for-tests-only' })] });
    expect(error).toBeInstanceOf(Rs256AuthError);
    expect(error).toMatchObject({ code: 'RS256_CONFIG_INVALID' });
    const { message } = error as Rs256AuthError;
    expect(message).toContain('OrdersModule (imports JwtModule)');
    expect(message).toContain('import Rs256AuthModule there');
    expect(message).not.toContain('leftover-secret-for-tests-only');
  });

  it('refuses a JwtService listed among a feature module’s own providers', async () => {
    expect(await startWithFeature({ providers: [JwtService] })).toMatchObject({
      message: expect.stringContaining('OrdersModule (provides JwtService)'),
    });
  });

  describe("a third party's module that registers JwtModule privately, for its own tokens", () => {
    @Injectable()
    class AuditTokens {
      constructor(readonly jwt: JwtService) {}
    }
    @Module({ imports: [JwtModule.register({ secret: 'audit-secret-for-tests-only' })], providers: [AuditTokens] })
    class ThirdPartyAuditModule {}

    it('is refused like any other, and the message names allowForeignJwtServices', async () => {
      const error = await startWithFeature({ imports: [ThirdPartyAuditModule] });
      expect(error).toMatchObject({ code: 'RS256_CONFIG_INVALID' });
      expect((error as Error).message).toContain('ThirdPartyAuditModule (imports JwtModule)');
      expect((error as Error).message).toContain('Rs256AuthModule.forRoot({ allowForeignJwtServices: [ThirdPartyAuditModule] })');
    });

    it.each([
      ['class', ThirdPartyAuditModule],
      ['name', 'ThirdPartyAuditModule'],
    ])('is let be when allowForeignJwtServices names it (by %s)', async (_by, entry) => {
      expect(await startWithFeature({ imports: [ThirdPartyAuditModule] }, { allowForeignJwtServices: [entry] })).toBeUndefined();
    });

    it("lets that one be, and still refuses the application's own", async () => {
      const error = await startWithFeature(
        { imports: [ThirdPartyAuditModule, JwtModule.register({ secret: 'leftover-secret-for-tests-only' })] },
        { allowForeignJwtServices: [ThirdPartyAuditModule] },
      );
      expect(error).toMatchObject({ code: 'RS256_CONFIG_INVALID' });
      expect((error as Error).message).toContain('another JwtService is registered in OrdersModule (imports JwtModule):');
      expect((error as Error).message).not.toContain('ThirdPartyAuditModule (imports');
    });
  });

  it('accepts a second JwtService under a token of its own, and a feature module that imports Rs256AuthModule', async () => {
    const linkJwt = { provide: 'LINK_JWT', useFactory: () => new JwtService({ secret: 'links-secret-for-tests-only' }) };
    expect(await startWithFeature({ providers: [linkJwt] })).toBeUndefined();
    expect(await startWithFeature({ imports: [Rs256AuthModule.forRoot({ keys: { privateKeyPath: keys.privatePath } })] })).toBeUndefined();
  });
});

describe('the JwtService signs with the key its kid names while the key set switches (key rotation)', () => {
  let app: INestApplication | undefined;
  afterAll(() => app?.close());

  it('reads the kid and the key from one set, even if the set changes between the two reads', async () => {
    let jwt: JwtService;
    ({ app, jwt } = await createApp({ env: { JWT_PRIVATE_KEY_PATH: keys.privatePath } }));
    const sets = ['kid-a', 'kid-b'].map((kid) => {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
      return new KeySet([verificationKey(kid, publicKey)], { kid, key: privateKey });
    });
    const publicKeys = new Map(sets.map((set) => [set.signingKid!, set.verificationKeys[0].key]));
    // A schedule whose set is over the moment it is handed out: every read of the store gets the other set, as reads
    // across a rotation's switch would.
    let reads = 0;
    app.get(KeyStore).follow(() => ({ keys: sets[reads++ % 2], until: 0 }));
    for (const token of [jwt.sign({ sub: 'switch' }, { expiresIn: 60 }), await jwt.signAsync({ sub: 'switch' }, { expiresIn: 60 })]) {
      const [header, payload, signature] = token.split('.');
      const { kid } = JSON.parse(Buffer.from(header, 'base64url').toString()) as { kid: string };
      const signedBy = verifySignature('sha256', Buffer.from(`${header}.${payload}`), publicKeys.get(kid)!, Buffer.from(signature, 'base64url'));
      expect({ kid, signedBy }).toEqual({ kid, signedBy: true });
    }
  });
});
