import type { INestApplication } from '@nestjs/common';
import { createKeyFiles, rsaPair, type KeyFiles, type RsaPair } from './support/keys.js';
import { listen, request, type HttpResult } from './support/http.js';
import { b64url, craftToken, rs256Token, signers, validClaims, type Json } from './support/tokens.js';
import { createApp, PLATFORMS } from './fixtures/app.js';
import { MAX_JSON_DEPTH } from '../src/token/token-verifier.js';

/**
 * Tokens an attacker would send rather than an issuer, over real HTTP: extra spellings of a signature, JSON nested
 * thousands of levels deep, claims named like Object.prototype members, and a seeded stream of odd shapes. Every
 * answer is a 2xx, 401 or 403: never a 5xx.
 */

const BASE64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const ROUTES = ['/profile', '/orders', '/admin', '/own-claims', '/claim-shape'];

let keys: KeyFiles;
/** 3072 bits: a 384-byte signature, a multiple of 3, where Buffer ignored one surplus base64url character. */
let pair3072: RsaPair;
beforeAll(() => {
  keys = createKeyFiles();
  pair3072 = rsaPair(3072);
});
afterAll(() => keys.cleanup());

/** Nested arrays `levels` deep, built without recursion. */
function deepArray(levels: number): unknown[] {
  let value: unknown[] = [];
  for (let i = 1; i < levels; i++) {
    value = [value];
  }
  return value;
}

/** A 401 with an RFC 6750 invalid_token challenge. */
function expectInvalidToken(response: HttpResult, reason?: string | RegExp): void {
  expect(response.status).toBe(401);
  const challenge = response.headers.get('www-authenticate');
  expect(challenge).toMatch(/^Bearer realm="api", error="invalid_token", error_description="[^"]+"$/);
  if (reason !== undefined) {
    expect(response.body.message).toMatch(reason);
  }
}

/** Deterministic pseudo-random numbers (mulberry32), so a failure replays exactly. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stream of odd JSON values, segments and tokens; `key` signs the ones meant to reach the payload checks. */
function oddTokens(count: number, key: RsaPair['privateKey']): string[] {
  const random = seeded(0x5eed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const text = (alphabet: string, max: number): string =>
    Array.from({ length: Math.floor(random() * max) }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
  const nestedObject = (levels: number): string => '{"a":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1);
  const oddValues: readonly string[] = [
    '1e400',
    '-1e400',
    '123456789012345678901234567890123456789',
    '0.0000000000000000000000000001',
    '-0',
    'null',
    'true',
    '{}',
    '[]',
    '"\u00e9\u4e2d\ud83d\ude00\u202e"',
    '"\\ud800"',
    '"\\u0000"',
    '{"__proto__":{"admin":true,"roles":["admin"],"scope":"orders:read"}}',
    '{"constructor":{"prototype":{"admin":true}}}',
    JSON.stringify(deepArray(MAX_JSON_DEPTH - 1)),
    JSON.stringify(deepArray(MAX_JSON_DEPTH)),
    nestedObject(MAX_JSON_DEPTH - 1),
    nestedObject(MAX_JSON_DEPTH),
  ];
  const names = [
    'exp',
    'iat',
    'nbf',
    'sub',
    'aud',
    'iss',
    'jti',
    'scope',
    'scp',
    'roles',
    'tenant',
    '__proto__',
    'constructor',
    'toString',
    'kid',
    'alg',
    'crit',
    '',
    '\u00e9',
  ];
  /** An object as JSON text with a few members of odd names and values, spliced into `base`. */
  const oddObject = (base: Json): string => {
    const members = Array.from({ length: 1 + Math.floor(random() * 3) }, () => `${JSON.stringify(pick(names))}:${pick(oddValues)}`);
    const baseText = JSON.stringify(base);
    return baseText === '{}' ? `{${members.join(',')}}` : `${baseText.slice(0, -1)},${members.join(',')}}`;
  };
  const segment = (): string => pick([text(BASE64URL_ALPHABET, 40), text(`${BASE64URL_ALPHABET}+/=.~ \u00e9`, 20), '', b64url(pick(oddValues))]);
  const shapes: (() => string)[] = [
    // random segments, any count of dots
    () => Array.from({ length: 1 + Math.floor(random() * 4) }, segment).join('.'),
    // an odd header, unsigned or with a junk signature
    () => `${b64url(oddObject(pick([{ alg: 'RS256' }, { alg: 'none' }, {}])))}.${b64url(validClaims())}.${pick(['', text(BASE64URL_ALPHABET, 400)])}`,
    // a valid header and an odd payload, really signed: it reaches the claim checks and the routes
    () => craftToken({ alg: 'RS256', typ: 'JWT' }, oddObject(pick([validClaims(), {}, validClaims({ scope: 'orders:read' })])), signers.rs256(key)),
    // an odd header, really signed
    () => {
      const input = `${b64url(oddObject({ alg: 'RS256' }))}.${b64url(validClaims())}`;
      return `${input}.${signers.rs256(key)(Buffer.from(input)).toString('base64url')}`;
    },
  ];
  return Array.from({ length: count }, () => pick(shapes)());
}

describe.each(PLATFORMS)('hostile tokens over HTTP (%s)', (platform) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app } = await createApp({
      platform,
      env: {
        JWT_PRIVATE_KEY: pair3072.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
        JWT_MAX_TOKEN_LENGTH: '16384',
      },
    }));
    url = await listen(app);
  });
  afterAll(() => app?.close());

  const token = (claims: Json | string, header: Json = {}): string => rs256Token(pair3072.privateKey, claims, header);

  it('accepts one spelling of a 3072-bit signature: every appended character and a removed one are refused', async () => {
    const valid = token(validClaims());
    expect((await request(url, '/profile', { token: valid })).status).toBe(200);
    for (const extra of BASE64URL_ALPHABET) {
      expectInvalidToken(await request(url, '/profile', { token: valid + extra }), 'invalid signature');
    }
    expectInvalidToken(await request(url, '/profile', { token: valid.slice(0, -1) }), 'invalid signature');
  });

  describe('refuses JSON nested thousands of levels deep as malformed, never with a 5xx', () => {
    const LEVELS = 4000;

    it('in the header, unsigned or signed', async () => {
      const header = { alg: 'RS256', x: deepArray(LEVELS) };
      // Unsigned: a zero signature of the right length, so the header is read before the signature is checked.
      const unsigned = craftToken(header, validClaims(), () => Buffer.alloc(384));
      for (const deep of [unsigned, craftToken(header, validClaims(), signers.rs256(pair3072.privateKey))]) {
        expect(deep.length).toBeLessThanOrEqual(16384);
        expectInvalidToken(await request(url, '/profile', { token: deep }), `header nests deeper than ${MAX_JSON_DEPTH} levels`);
      }
    });

    it('in the payload, unsigned or signed', async () => {
      const claims = validClaims({ x: deepArray(LEVELS) });
      expectInvalidToken(await request(url, '/profile', { token: craftToken({ alg: 'RS256' }, claims, signers.none()) }), 'not signed');
      expectInvalidToken(await request(url, '/profile', { token: token(claims) }), `payload nests deeper than ${MAX_JSON_DEPTH} levels`);
    });

    it('accepts a payload at the limit and refuses one level deeper', async () => {
      const atLimit = await request(url, '/profile', { token: token(validClaims({ x: deepArray(MAX_JSON_DEPTH - 1) })) });
      expect(atLimit.status).toBe(200);
      expect(JSON.stringify(atLimit.body.claims.x)).toBe(JSON.stringify(deepArray(MAX_JSON_DEPTH - 1)));
      expectInvalidToken(await request(url, '/profile', { token: token(validClaims({ x: deepArray(MAX_JSON_DEPTH) })) }), 'nests deeper');
    });
  });

  describe('reads claims as the token’s own members', () => {
    const PROTO_CLAIMS =
      '"__proto__":{"admin":true,"roles":["admin"],"tenant":"acme","scope":"orders:read","scp":["orders:read"],"constructor":"owner"}';
    const withProto = (): string => token(`${JSON.stringify(validClaims()).slice(0, -1)},${PROTO_CLAIMS}}`);

    it('__proto__ in a token changes no prototype and grants nothing', async () => {
      const shape = await request(url, '/claim-shape', { token: withProto() });
      expect(shape).toMatchObject({ status: 200, body: { plainPrototype: true, admin: null, constructorType: 'undefined' } });
      for (const path of ['/admin', '/orders', '/own-claims']) {
        const response = await request(url, path, { token: withProto() });
        expect(response.status).toBe(403);
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="insufficient_scope"/);
      }
    });

    it('@Claims(name) hands out only a claim the token carries', async () => {
      const plain = await request(url, '/claim-shape', { token: token(validClaims()) });
      expect(plain.body).toEqual({ plainPrototype: true, admin: null, constructorType: 'undefined' });
      const carried = await request(url, '/claim-shape', { token: token(validClaims({ constructor: 'owner' })) });
      expect(carried.body.constructorType).toBe('string');
    });

    it('@RequireClaims claims named like Object.prototype members: 403 unless the token carries them', async () => {
      const missing = await request(url, '/own-claims', { token: token(validClaims()) });
      expect(missing.status).toBe(403);
      expect(missing.headers.get('www-authenticate')).toBe(
        `Bearer realm="api", error="insufficient_scope", error_description="claim 'constructor' does not have the required value"`,
      );
      expect((await request(url, '/own-claims', { token: token(validClaims({ constructor: 'owner' })) })).status).toBe(200);
    });

    it('roles and scopes the token does not carry: 403', async () => {
      expect((await request(url, '/admin', { token: token(validClaims({ tenant: 'acme' })) })).status).toBe(403);
      expect((await request(url, '/orders', { token: token(validClaims()) })).status).toBe(403);
    });
  });

  it('answers 300 odd token shapes (seeded) with 2xx, 401 or 403, never a 5xx', async () => {
    const statuses = new Map<number, number>();
    const tokens = oddTokens(300, pair3072.privateKey);
    for (const [index, odd] of tokens.entries()) {
      const authorization = Buffer.from(`Bearer ${odd}`).toString('latin1');
      const response = await request(url, ROUTES[index % ROUTES.length], { authorization });
      statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
      if (response.status >= 500 || ![200, 201, 401, 403].includes(response.status)) {
        throw new Error(`token #${index} answered ${response.status}`);
      }
      if (response.status !== 200) {
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="api"/);
      }
    }
    // The stream reaches every outcome, or it would test less than it claims.
    expect([...statuses.keys()].sort()).toEqual([200, 401, 403]);
  });
});

describe.each(PLATFORMS)('required claims named like Object.prototype members (%s)', (platform) => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    ({ app } = await createApp({
      platform,
      env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_REQUIRED_CLAIMS: 'toString,constructor' },
    }));
    url = await listen(app);
  });
  afterAll(() => app?.close());

  it('refuses a token that lacks them with 401 missing claim, and accepts one that carries them', async () => {
    expectInvalidToken(await request(url, '/profile', { token: rs256Token(keys.main.privateKey, validClaims()) }), "missing claim 'toString'");
    const carried = rs256Token(keys.main.privateKey, validClaims({ toString: 'a', constructor: 'b' }));
    expect((await request(url, '/profile', { token: carried })).status).toBe(200);
  });
});
