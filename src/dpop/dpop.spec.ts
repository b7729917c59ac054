import { generateKeyPairSync } from 'node:crypto';
import { dpopKey, dpopProof } from '../../test/support/dpop.js';
import { BoundedCache } from './bounded-cache.js';
import { DpopNonces } from './dpop-nonces.js';
import { checkProof, normalisedHtu } from './dpop-proof.js';
import { proofKeyOf } from './proof-key.js';
import { ReplayMarks, replayMarkLifetime } from './replay-marks.js';

describe('proofKeyOf', () => {
  it('computes the thumbprint of the example of RFC 7638 §3.1', () => {
    const jwk = {
      kty: 'RSA',
      n:
        '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMs' +
        'tn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOp' +
        'bISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    expect(proofKeyOf(jwk, 'RS256')).toMatchObject({ thumbprint: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' });
    // The same key under another RSA algorithm: the same thumbprint.
    expect(proofKeyOf(jwk, 'PS256')).toMatchObject({ thumbprint: 'NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs' });
    expect(proofKeyOf(jwk, 'ES256')).toBe('jwk header is not a key for ES256');
    expect(proofKeyOf({ ...jwk, d: 'x' }, 'RS256')).toBe('jwk header holds a private or symmetric key');
  });
});

describe('proofKeyOf with RSA keys', () => {
  const { n } = generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey.export({ format: 'jwk' });
  const unsigned = (value: bigint): string =>
    Buffer.from(value.toString(16).padStart(Math.ceil(value.toString(16).length / 2) * 2, '0'), 'hex').toString('base64url');

  it('refuses the exponents start-up refuses (a huge one makes each verification far dearer), and accepts 65537', () => {
    expect(proofKeyOf({ kty: 'RSA', n, e: 'AQAB' }, 'RS256')).toMatchObject({ thumbprint: expect.any(String) as string });
    const huge = (1n << 3071n) + 1n;
    expect(proofKeyOf({ kty: 'RSA', n, e: unsigned(huge) }, 'RS256')).toBe(
      'jwk header: the RSA public exponent is a 3072-bit number; expected an odd exponent from 65537 to 2^256 (FIPS 186-5)',
    );
    expect(proofKeyOf({ kty: 'RSA', n, e: unsigned(3n) }, 'PS256')).toMatch(/^jwk header: the RSA public exponent is 3;/);
  });

  it('refuses a modulus longer than 8192 bits', () => {
    const long = (1n << 9215n) + 1n;
    expect(proofKeyOf({ kty: 'RSA', n: unsigned(long), e: 'AQAB' }, 'RS256')).toBe('jwk header is an RSA key longer than 8192 bits');
  });
});

describe('normalisedHtu', () => {
  it.each([
    ['HTTPS://API.Example.com:443/a/./b/../c?x=1#f', 'https://api.example.com/a/c'],
    ['http://127.0.0.1:80/', 'http://127.0.0.1/'],
    ['https://api.example.com', 'https://api.example.com/'],
  ])('reads %s as %s', (value, expected) => {
    expect(normalisedHtu(value)).toBe(expected);
  });

  it.each(['/relative', 'ftp://example.com/', 'not a url'])('refuses %s', (value) => {
    expect(normalisedHtu(value)).toBeUndefined();
  });

  it('answers a string it has normalised before by that exact string only, as a parse would', () => {
    const long = `https://api.example.com/${'a'.repeat(600)}/../b`;
    for (let pass = 0; pass < 2; pass++) {
      expect(normalisedHtu('https://api.example.com/a')).toBe('https://api.example.com/a');
      expect(normalisedHtu('https://api.example.com/a/')).toBe('https://api.example.com/a/');
      expect(normalisedHtu('https://api.example.com/A')).toBe('https://api.example.com/A');
      expect(normalisedHtu('https://api.example.com/a/../b')).toBe('https://api.example.com/b');
      expect(normalisedHtu('https://API.example.com:443/a')).toBe('https://api.example.com/a');
      expect(normalisedHtu('http://api.example.com/a')).toBe('http://api.example.com/a');
      expect(normalisedHtu('ftp://api.example.com/a')).toBeUndefined();
      expect(normalisedHtu('https//api.example.com/a')).toBeUndefined();
      expect(normalisedHtu(long)).toBe('https://api.example.com/b');
    }
  });
});

describe('BoundedCache', () => {
  it('keeps at most its capacity, dropping the oldest first, and no key longer than its limit', () => {
    const cache = new BoundedCache<number>(2, 3);
    cache.set('a', 1);
    cache.set('b', 2);
    cache.set('c', 3);
    expect(cache.size).toBe(2);
    expect([cache.get('a'), cache.get('b'), cache.get('c')]).toEqual([undefined, 2, 3]);
    cache.set('long', 4);
    expect(cache.get('long')).toBeUndefined();
    expect(cache.size).toBe(2);
  });
});

describe('DpopNonces', () => {
  it('accepts the current and the previous period, and nothing older, forged or from another secret', () => {
    let now = 1_000_000;
    const nonces = new DpopNonces(Buffer.alloc(32, 1), 60_000, () => now);
    const first = nonces.current();
    expect(nonces.check(first)).toBe('current');
    now += 60_000;
    expect(nonces.check(first)).toBe('previous');
    expect(nonces.current()).not.toBe(first);
    now += 60_000;
    expect(nonces.check(first)).toBe('invalid');
    expect(nonces.check(`${first.split('.')[0]}.AAAA`)).toBe('invalid');
    expect(nonces.check(new DpopNonces(Buffer.alloc(32, 2), 60_000, () => now).current())).toBe('invalid');
    expect(nonces.check(undefined)).toBe('invalid');
  });
});

describe('ReplayMarks', () => {
  it('marks a name once until its time has passed', () => {
    let now = 0;
    const marks = new ReplayMarks(() => now);
    expect(marks.markOnce('a', 1000)).toBe(true);
    expect(marks.markOnce('a', 1000)).toBe(false);
    now = 1000;
    expect(marks.markOnce('b', 1000)).toBe(true);
    // 'a' expired and was swept when 'b' was marked.
    expect(marks.size).toBe(1);
    expect(marks.markOnce('a', 1000)).toBe(true);
  });

  it('sweeps when the oldest mark is due, and lets a shorter-lived later mark expire on time', () => {
    let now = 0;
    const marks = new ReplayMarks(() => now);
    expect(marks.markOnce('long', 10_000)).toBe(true);
    expect(marks.markOnce('short', 1000)).toBe(true);
    now = 1000;
    // 'short' has expired behind 'long', which is not due: no sweep, but 'short' counts as new again.
    expect(marks.markOnce('short', 1000)).toBe(true);
    expect(marks.markOnce('short', 1000)).toBe(false);
    expect(marks.markOnce('long', 10_000)).toBe(false);
    expect(marks.size).toBe(2);
    now = 10_000;
    expect(marks.markOnce('other', 1000)).toBe(true);
    // 'long' and the second 'short' (until 2000) are swept; marks are then kept again from a fresh front.
    expect(marks.size).toBe(1);
    expect(marks.markOnce('long', 10_000)).toBe(true);
    now = 11_000;
    expect(marks.markOnce('x', 1000)).toBe(true);
    expect(marks.size).toBe(2);
  });
});

describe('replay marks against the proof window', () => {
  const maxAge = 60;
  const leeway = 5;
  const htu = 'https://api.example.com/resource';
  const key = dpopKey('ES256');

  it.each([0, 1, 500, 999])('outlive the last instant a proof is accepted, for a proof marked at ms %i of its second', (ms) => {
    // An explicit clock: the service floors it to seconds for `iat`, the marks count it in ms.
    let now = 1_800_000_000_000 + ms;
    const marks = new ReplayMarks(() => now);
    // The latest iat accepted then (leeway into the future), so the proof stays acceptable the longest.
    const iat = Math.floor(now / 1000) + leeway;
    const proof = dpopProof(key, { htm: 'GET', htu, iat });
    const accepted = (): boolean => {
      try {
        checkProof(proof, { method: 'GET', url: htu, algorithms: new Set(['ES256']), maxAge, leeway, now: Math.floor(now / 1000) });
        return true;
      } catch {
        return false;
      }
    };
    expect(accepted()).toBe(true);
    expect(marks.markOnce('proof', replayMarkLifetime(maxAge, leeway))).toBe(true);
    // The last millisecond the proof is accepted: its mark must still stand.
    now = (iat + maxAge + leeway + 1) * 1000 - 1;
    expect(accepted()).toBe(true);
    expect(marks.markOnce('proof', replayMarkLifetime(maxAge, leeway))).toBe(false);
    // A millisecond later it is stale, and its mark may go.
    now += 1;
    expect(accepted()).toBe(false);
  });
});

describe('checkProof: the proof is exactly one signed JWT (RFC 9449 §4.3 step 2)', () => {
  const htu = 'https://api.example.com/resource';
  const key = dpopKey('ES256');
  const now = 1_800_000_000;
  const check = (proof: string): unknown =>
    checkProof(proof, { method: 'GET', url: htu, algorithms: new Set(['ES256']), maxAge: 60, leeway: 5, now });
  const proof = dpopProof(key, { htm: 'GET', htu, iat: now });
  const [header, payload, signature] = proof.split('.');

  it('accepts the proof as it is', () => {
    expect(check(proof)).toMatchObject({ iat: now });
  });

  it.each([
    ['a fourth segment', `${proof}.${signature}`],
    ['a trailing dot', `${proof}.`],
    ['two segments', `${header}.${payload}`],
    ['no dot', `${header}${payload}${signature}`],
    ['an empty payload', `${header}..${signature}`],
    ['an empty signature', `${header}.${payload}.`],
    ['a leading dot', `.${proof}`],
    ['a non-base64url signature', `${header}.${payload}.${signature}=`],
  ])('refuses %s', (_shape, shaped) => {
    expect(() => check(shaped)).toThrow(expect.objectContaining({ code: 'RS256_DPOP_PROOF_INVALID' }) as unknown as Error);
  });
});
