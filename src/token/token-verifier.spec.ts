import { resolveRs256Auth } from '../options/resolve.js';
import { KeyStore } from '../keys/key-store.js';
import { StoredKeySource } from '../keys/stored-key-source.js';
import type { Rs256AuthModuleOptions } from '../options/rs256-auth-options.interface.js';
import { createKeyFiles, rsaPair, type KeyFiles, type RsaPair } from '../../test/support/keys.js';
import { b64url, rs256Token } from '../../test/support/tokens.js';
import { MAX_JSON_DEPTH, TokenVerifier } from './token-verifier.js';

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
/** Key sizes whose signatures end differently in base64url: 256, 384 (a multiple of 3), 512 and 257 bytes. */
const KEY_SIZES = [2048, 3072, 4096, 2056];

let keys: KeyFiles;
/** One pair per size, made once for this file; 2048 bits is `keys.main`. */
const pairs = new Map<number, RsaPair>();
beforeAll(() => {
  keys = createKeyFiles();
  for (const size of KEY_SIZES) {
    pairs.set(size, size === 2048 ? keys.main : rsaPair(size));
  }
});
afterAll(() => keys.cleanup());

const NOW = 1_800_000_000;

/** A verifier as the module builds it from these options, with the key store its key source reads. */
async function built(options: Rs256AuthModuleOptions): Promise<{ v: TokenVerifier; store: KeyStore }> {
  const { config, keys } = await resolveRs256Auth(options);
  const store = new KeyStore(keys.own);
  return { v: new TokenVerifier(new StoredKeySource(store), config), store };
}

async function verifier(options: Rs256AuthModuleOptions = {}): Promise<TokenVerifier> {
  return (await built({ keys: { publicKeyPath: keys.publicPath }, ...options } as Rs256AuthModuleOptions)).v;
}

/** The key set the options name. */
async function keySetOf(options: Rs256AuthModuleOptions): Promise<KeyStore['keys']> {
  return (await resolveRs256Auth(options)).keys.own;
}

function token(claims: Record<string, unknown>): string {
  return rs256Token(keys.main.privateKey, { sub: 'u', iat: NOW - 10, ...claims });
}

describe('TokenVerifier time checks against an explicit clock', () => {
  /** No leeway, so the boundaries below are the claims' own. */
  const exact = (): Promise<TokenVerifier> => verifier({ tokens: { clockTolerance: 0 } });

  it('accepts up to the second before exp and refuses from exp on (RFC 7519 §4.1.4)', async () => {
    const t = token({ exp: NOW });
    const v1 = await exact();
    expect(v1.verify(t, NOW - 1).sub).toBe('u');
    const v2 = await exact();
    expect(() => v2.verify(t, NOW - 0.001)).not.toThrow();
    const v3 = await exact();
    expect(() => v3.verify(t, NOW)).toThrow('token expired');
    const v4 = await exact();
    expect(() => v4.verify(t, NOW + 1)).toThrow(expect.objectContaining({ code: 'RS256_TOKEN_EXPIRED' }));
  });

  it('extends exp by exactly the clock tolerance', async () => {
    const t = token({ exp: NOW });
    const lenient = await verifier({ tokens: { clockTolerance: 30 } });
    expect(() => lenient.verify(t, NOW + 29)).not.toThrow();
    expect(() => lenient.verify(t, NOW + 30)).toThrow('token expired');
  });

  it('allows 5 seconds of clock skew by default, each way', async () => {
    const expiring = token({ exp: NOW });
    const v5 = await verifier();
    expect(() => v5.verify(expiring, NOW + 4)).not.toThrow();
    const v6 = await verifier();
    expect(() => v6.verify(expiring, NOW + 5)).toThrow('token expired');
    const fromFastClock = token({ iat: NOW + 5, nbf: NOW + 5, exp: NOW + 600 });
    const v7 = await verifier();
    expect(() => v7.verify(fromFastClock, NOW)).not.toThrow();
    const v8 = await verifier();
    expect(() => v8.verify(token({ iat: NOW + 6, exp: NOW + 600 }), NOW)).toThrow('token issued in the future');
  });

  it('refuses before nbf, and accepts it earlier by the tolerance', async () => {
    const t = token({ exp: NOW + 600, nbf: NOW + 60 });
    const v9 = await exact();
    expect(() => v9.verify(t, NOW + 59)).toThrow('token not yet valid');
    const v10 = await exact();
    expect(() => v10.verify(t, NOW + 60)).not.toThrow();
    const v11 = await verifier({ tokens: { clockTolerance: 60 } });
    expect(() => v11.verify(t, NOW)).not.toThrow();
    const v12 = await verifier({ tokens: { clockTolerance: 59 } });
    expect(() => v12.verify(t, NOW)).toThrow('token not yet valid');
  });

  it('refuses a token issued in the future beyond the tolerance', async () => {
    const t = token({ exp: NOW + 600, iat: NOW + 10 });
    const v13 = await exact();
    expect(() => v13.verify(t, NOW)).toThrow('token issued in the future');
    const v14 = await verifier({ tokens: { clockTolerance: 10 } });
    expect(() => v14.verify(t, NOW)).not.toThrow();
  });

  it('verifies the same token differently as the clock moves', async () => {
    const v = await exact();
    const t = token({ exp: NOW + 100 });
    expect(() => v.verify(t, NOW)).not.toThrow();
    expect(() => v.verify(t, NOW + 100)).toThrow('token expired');
    expect(() => v.verify(t, NOW)).not.toThrow();
  });
});

describe('TokenVerifier typ header (JWT_TOKEN_TYPE)', () => {
  const typed = (typ: unknown): string => rs256Token(keys.main.privateKey, { sub: 'u', iat: NOW, exp: NOW + 60 }, { typ });

  it('accepts any typ, or none, when no token type is configured', async () => {
    for (const typ of ['JWT', 'at+jwt', undefined]) {
      const v15 = await verifier();
      expect(() => v15.verify(typed(typ), NOW)).not.toThrow();
    }
  });

  it.each(['at+jwt', 'application/at+jwt', 'AT+JWT', 'Application/At+Jwt'])('accepts typ %s when at+jwt is configured', async (typ) => {
    const v16 = await verifier({ tokens: { type: 'at+jwt' } });
    expect(v16.verify(typed(typ), NOW).sub).toBe('u');
    const v17 = await verifier({ tokens: { type: 'application/at+jwt' } });
    expect(v17.verify(typed(typ), NOW).sub).toBe('u');
  });

  it.each([['JWT'], ['jwt'], ['application/jwt'], ['at+jwt2'], ['text/at+jwt'], [undefined], [42]])(
    'refuses typ %p when at+jwt is configured',
    async (typ) => {
      const v18 = await verifier({ tokens: { type: 'at+jwt' } });
      expect(() => v18.verify(typed(typ), NOW)).toThrow(
        expect.objectContaining({ code: 'RS256_TOKEN_TYPE', message: 'token type not accepted; expected at+jwt' }),
      );
    },
  );

  it('accepts any of several configured types', async () => {
    const v = await verifier({ tokens: { type: ['at+jwt', 'JWT'] } });
    expect(() => v.verify(typed('jwt'), NOW)).not.toThrow();
    expect(() => v.verify(typed('application/at+jwt'), NOW)).not.toThrow();
    expect(() => v.verify(typed('dpop+jwt'), NOW)).toThrow('token type not accepted; expected at+jwt or jwt');
  });

  it('refuses a remembered header again under another verifier that expects a different type', async () => {
    const t = typed('JWT');
    const v19 = await verifier();
    expect(() => v19.verify(t, NOW)).not.toThrow();
    const v20 = await verifier({ tokens: { type: 'at+jwt' } });
    expect(() => v20.verify(t, NOW)).toThrow('token type not accepted');
  });
});

describe('TokenVerifier cache of verified tokens', () => {
  it('serves a repeated token from the cache: the same frozen claims object', async () => {
    const v = await verifier();
    const t = token({ exp: NOW + 100, roles: ['user'] });
    const first = v.verify(t, NOW);
    expect(v.cachedTokens).toBe(1);
    expect(v.verify(t, NOW + 1)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.roles)).toBe(true);
    expect(() => {
      (first as Record<string, unknown>).sub = 'admin';
    }).toThrow(TypeError);
  });

  it('never serves an entry at or after the token exp, and drops it then', async () => {
    const v = await verifier({ tokens: { clockTolerance: 0 } });
    const t = token({ exp: NOW + 100 });
    v.verify(t, NOW);
    expect(() => v.verify(t, NOW + 100)).toThrow('token expired');
    expect(v.cachedTokens).toBe(0);
  });

  it('re-checks exp and nbf with the clock tolerance on every hit', async () => {
    const v = await verifier({ tokens: { clockTolerance: 30 } });
    const t = token({ exp: NOW + 100 });
    v.verify(t, NOW);
    expect(() => v.verify(t, NOW + 129)).not.toThrow();
    expect(() => v.verify(t, NOW + 130)).toThrow('token expired');
    const early = token({ exp: NOW + 1000, nbf: NOW + 50 });
    expect(() => v.verify(early, NOW + 25)).not.toThrow();
    // Cached now; a clock that moves backwards (or a skewed host) must still be refused.
    expect(() => v.verify(early, NOW)).toThrow('token not yet valid');
  });

  it('keys entries by the whole token: one byte different is a miss and is verified afresh', async () => {
    const v = await verifier();
    const t = token({ exp: NOW + 100 });
    v.verify(t, NOW);
    const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
    expect(() => v.verify(flip(t, t.length - 3), NOW)).toThrow('invalid signature');
    expect(() => v.verify(flip(t, t.indexOf('.') + 5), NOW)).toThrow();
    expect(v.cachedTokens).toBe(1);
  });

  it('is cleared when the key set changes', async () => {
    const { v, store } = await built({ keys: { publicKeyPath: keys.publicPath } });
    const t = token({ exp: NOW + 100 });
    v.verify(t, NOW);
    expect(v.cachedTokens).toBe(1);
    store.replace(await keySetOf({ keys: { publicKeyPath: keys.otherPublicPath } }));
    expect(() => v.verify(t, NOW)).toThrow('invalid signature');
    expect(v.cachedTokens).toBe(0);
  });

  it('holds at most cacheSize entries, and none with cacheSize 0', async () => {
    const bounded = await verifier({ verification: { cacheSize: 3 } });
    const unbounded = await verifier({ verification: { cacheSize: 0 } });
    for (let i = 0; i < 10; i++) {
      const t = token({ exp: NOW + 100, jti: `t${i}` });
      bounded.verify(t, NOW);
      unbounded.verify(t, NOW);
    }
    expect(bounded.cachedTokens).toBe(3);
    expect(unbounded.cachedTokens).toBe(0);
  });

  it('does not cache tokens without exp', async () => {
    const v = await verifier({ tokens: { requiredClaims: ['sub'] } });
    v.verify(rs256Token(keys.main.privateKey, { sub: 'u' }), NOW);
    expect(v.cachedTokens).toBe(0);
  });
});

describe('TokenVerifier.verifyRequestToken with verifyOffThread', () => {
  // No clock tolerance, so that NOW + 100 is exactly a token's expiry.
  const offThread = (options: Rs256AuthModuleOptions = {}): Promise<TokenVerifier> =>
    verifier({ verification: { offThread: true }, ...options, tokens: { clockTolerance: 0, ...options.tokens } });

  it('checks a new token in a promise and answers a cached one at once, with the same frozen claims', async () => {
    const v = await offThread();
    const t = token({ exp: NOW + 100, roles: ['user'] });
    const pending = v.verifyRequestToken(t, NOW);
    expect(pending).toBeInstanceOf(Promise);
    const claims = await pending;
    expect(claims).toMatchObject({ sub: 'u', roles: ['user'] });
    expect(Object.isFrozen(claims.roles)).toBe(true);
    expect(v.verifyRequestToken(t, NOW + 1)).toBe(claims);
    expect(() => v.verifyRequestToken(t, NOW + 100)).toThrow('token expired');
  });

  it('refuses in the promise what the signature or the claims refuse, and at once what comes before', async () => {
    const v = await offThread({ tokens: { issuer: 'https://issuer.test' } });
    const good = token({ exp: NOW + 100, iss: 'https://issuer.test' });
    const [header, payload, signature] = good.split('.');
    const forged = `${header}.${b64url({ sub: 'admin', exp: NOW + 100, iss: 'https://issuer.test' })}.${signature}`;
    await expect(v.verifyRequestToken(forged, NOW)).rejects.toMatchObject({ code: 'RS256_TOKEN_SIGNATURE' });
    await expect(v.verifyRequestToken(good, NOW + 100)).rejects.toMatchObject({ code: 'RS256_TOKEN_EXPIRED' });
    await expect(v.verifyRequestToken(token({ exp: NOW + 100, iss: 'https://other.test' }), NOW)).rejects.toMatchObject({
      code: 'RS256_TOKEN_ISSUER',
    });
    expect(() => v.verifyRequestToken(`${header}.${payload}`, NOW)).toThrow(expect.objectContaining({ code: 'RS256_TOKEN_MALFORMED' }));
    expect(() => v.verifyRequestToken(`${header}.${payload}.${signature}A`, NOW)).toThrow(expect.objectContaining({ code: 'RS256_TOKEN_SIGNATURE' }));
    expect(v.cachedTokens).toBe(0);
  });

  it('does not remember a token whose key set was replaced while its signature was checked', async () => {
    const { v, store } = await built({ keys: { publicKeyPath: keys.publicPath }, verification: { offThread: true } });
    const pending = v.verifyRequestToken(token({ exp: NOW + 100 }), NOW);
    store.replace(await keySetOf({ keys: { publicKeyPath: keys.otherPublicPath } }));
    // The next request sees the new key set (and is refused: its token is signed with the old key).
    const next = Promise.resolve(v.verifyRequestToken(token({ exp: NOW + 100, jti: 'under-new-keys' }), NOW));
    await expect(next).rejects.toMatchObject({ code: 'RS256_TOKEN_SIGNATURE' });
    await pending;
    expect(v.cachedTokens).toBe(0);
  });

  it('answers synchronously when the option is off', async () => {
    const t = token({ exp: NOW + 100 });
    const v21 = await verifier();
    expect(v21.verifyRequestToken(t, NOW)).toMatchObject({ sub: 'u' });
  });
});

describe('TokenVerifier accepts one spelling of a signature, for every key size', () => {
  it.each(KEY_SIZES)('%i-bit key: every appended character and a removed one are refused', async (size) => {
    const pair = pairs.get(size)!;
    const { v } = await built({ keys: { publicKey: pair.publicKey.export({ type: 'spki', format: 'pem' }) as string } });
    const t = rs256Token(pair.privateKey, { sub: 'u', iat: NOW - 10, exp: NOW + 100 });
    expect(v.verify(t, NOW).sub).toBe('u');
    expect(t.split('.')[2]).toHaveLength(Math.ceil((size / 8) * (4 / 3)));
    const refused = expect.objectContaining({ code: expect.stringMatching(/^RS256_TOKEN_(SIGNATURE|MALFORMED)$/) });
    for (const extra of BASE64URL_ALPHABET) {
      expect(() => v.verify(t + extra, NOW)).toThrow(refused);
    }
    expect(() => v.verify(t.slice(0, -1), NOW)).toThrow(refused);
    expect(v.cachedTokens).toBe(1);
  });
});

describe('TokenVerifier refuses JSON nested deeper than MAX_JSON_DEPTH, without recursion', () => {
  /** An object nested `depth` levels deep (itself counts as one), as JSON text; the innermost is `{}`. */
  const nested = (depth: number): string => '{"a":'.repeat(depth - 1) + '{}' + '}'.repeat(depth - 1);
  /** A valid payload whose deepest object sits at `depth` (the payload itself is level 1). */
  const claimsAt = (depth: number): string => `{"sub":"u","iat":${NOW - 10},"exp":${NOW + 100},"deep":${nested(depth - 1)}}`;

  it('accepts a payload nested exactly at the limit, frozen all the way down, and refuses one level more', async () => {
    const v = await verifier({ tokens: { maxLength: 16384 } });
    const atLimit = v.verify(rs256Token(keys.main.privateKey, claimsAt(MAX_JSON_DEPTH)), NOW);
    let level = atLimit.deep as { a?: unknown };
    for (let depth = 2; depth < MAX_JSON_DEPTH; depth++) {
      expect(Object.isFrozen(level)).toBe(true);
      level = level.a as { a?: unknown };
    }
    expect(level).toEqual({});
    expect(Object.isFrozen(level)).toBe(true);
    expect(() => v.verify(rs256Token(keys.main.privateKey, claimsAt(MAX_JSON_DEPTH + 1)), NOW)).toThrow(
      expect.objectContaining({ code: 'RS256_TOKEN_MALFORMED', message: `malformed token: payload nests deeper than ${MAX_JSON_DEPTH} levels` }),
    );
  });

  it('counts arrays as levels too, in a header as well as a payload', async () => {
    const v = await verifier({ tokens: { maxLength: 16384 } });
    const deepArray = '['.repeat(MAX_JSON_DEPTH) + ']'.repeat(MAX_JSON_DEPTH);
    expect(() => v.verify(rs256Token(keys.main.privateKey, `{"sub":"u","x":${deepArray}}`), NOW)).toThrow('payload nests deeper');
    const header = `{"alg":"RS256","x":${deepArray}}`;
    expect(() => v.verify(`${b64url(header)}.${b64url({ sub: 'u' })}.AAAA`, NOW)).toThrow(
      expect.objectContaining({ code: 'RS256_TOKEN_MALFORMED', message: `malformed token: header nests deeper than ${MAX_JSON_DEPTH} levels` }),
    );
  });

  it('refuses thousands of levels (a stack overflow for a recursive walk) as malformed', async () => {
    const v = await verifier({ tokens: { maxLength: 16384 } });
    const deep = '['.repeat(5000) + ']'.repeat(5000);
    const malformed = expect.objectContaining({ code: 'RS256_TOKEN_MALFORMED' });
    expect(() => v.verify(`${b64url(`{"alg":"RS256","x":${deep}}`)}.${b64url({ sub: 'u' })}.AAAA`, NOW)).toThrow(malformed);
    expect(() => v.verify(rs256Token(keys.main.privateKey, `{"sub":"u","x":${deep}}`), NOW)).toThrow(malformed);
  });

  it('skips brackets inside strings, also after escaped quotes and backslashes', async () => {
    const v = await verifier({ tokens: { maxLength: 16384 } });
    const brackets = '{['.repeat(100);
    // Raw JSON text: "\"{[..." holds an escaped quote, "\\{[..." an escaped backslash, then the string goes on.
    const inStrings = String.raw`{"sub":"u","iat":${NOW - 10},"exp":${NOW + 100},"a":"\"${brackets}","b":"\\${brackets}","${brackets}":"\u005b"}`;
    const claims = v.verify(rs256Token(keys.main.privateKey, inStrings), NOW);
    expect(claims.a).toBe(`"${brackets}`);
    expect(claims.b).toBe(`\\${brackets}`);
    expect(claims[brackets]).toBe('[');
    // After a string that ends in an escaped backslash, the brackets that follow are structure and count again.
    const afterBackslash = String.raw`{"sub":"u","s":"\\","x":${nested(MAX_JSON_DEPTH)}}`;
    expect(() => v.verify(rs256Token(keys.main.privateKey, afterBackslash), NOW)).toThrow('payload nests deeper');
  });
});

describe('TokenVerifier reads claims as own properties only', () => {
  it('does not count inherited members as required claims', async () => {
    const v = await verifier({ tokens: { requiredClaims: ['sub', 'toString', 'constructor'] } });
    expect(() => v.verify(token({ exp: NOW + 100 }), NOW)).toThrow(
      expect.objectContaining({ code: 'RS256_TOKEN_CLAIM_MISSING', message: "missing claim 'toString'" }),
    );
    expect(v.verify(token({ exp: NOW + 100, toString: 'x', constructor: 0 }), NOW).constructor).toBe(0);
  });

  it('keeps __proto__ in a token an own claim: no object gets a new prototype', async () => {
    const v = await verifier();
    const t = rs256Token(keys.main.privateKey, `{"sub":"u","iat":${NOW - 10},"exp":${NOW + 100},"__proto__":{"admin":true,"exp":1}}`);
    for (const claims of [v.verify(t, NOW), v.verify(t, NOW)]) {
      expect(Object.getPrototypeOf(claims)).toBe(Object.prototype);
      expect(Object.hasOwn(claims, '__proto__')).toBe(true);
      expect(claims.admin).toBeUndefined();
      expect(claims.exp).toBe(NOW + 100);
      expect(Object.isFrozen(Object.getOwnPropertyDescriptor(claims, '__proto__')!.value)).toBe(true);
    }
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });
});
