import type { INestApplication } from '@nestjs/common';
import type { JwtService } from '@nestjs/jwt';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { listen, request } from './support/http.js';
import { b64url, craftToken, nowSeconds, rs256Token, signers, validClaims } from './support/tokens.js';
import { createApp, PLATFORM_WIRINGS } from './fixtures/app.js';
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

const ISSUER = 'https://issuer.test';
const AUDIENCE = 'api.test';

function claims(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return validClaims({ iss: ISSUER, aud: AUDIENCE, ...extra });
}

/** The `error_description` of a challenge, or null. */
function description(challenge: string | null): string | null {
  return challenge ? (/error_description="([^"]*)"/.exec(challenge)?.[1] ?? null) : null;
}

describe.each(PLATFORM_WIRINGS)('verification over HTTP (%s, %s)', (platform, wiring) => {
  let app: INestApplication;
  let jwt: JwtService;
  let url: string;
  let kid: string;

  beforeAll(async () => {
    ({ app, jwt } = await createApp({
      platform,
      wiring,
      env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_ISSUER: ISSUER, JWT_AUDIENCE: `${AUDIENCE},other.test` },
    }));
    url = await listen(app);
    kid = JSON.parse(Buffer.from(jwt.sign({ sub: 'x' }).split('.')[0], 'base64url').toString()).kid;
  });
  afterAll(() => app?.close());

  /** Expects a 401 invalid_token whose description contains `reason`. */
  async function expectRejected(token: string, reason: string | RegExp): Promise<void> {
    const response = await request(url, '/profile', { token });
    expect(response.status).toBe(401);
    const challenge = response.headers.get('www-authenticate');
    expect(challenge).toMatch(/^Bearer realm="api", error="invalid_token", error_description="[^"]+"$/);
    expect(description(challenge)).toMatch(reason);
    expect(response.body.message).toBe(description(challenge));
  }

  it('accepts a token issued by the injected JwtService and exposes its claims', async () => {
    const token = await jwt.signAsync({ sub: 'user-42', scope: 'profile' });
    const response = await request(url, '/profile', { token });
    expect(response.status).toBe(200);
    expect(response.body.subject).toBe('user-42');
    expect(response.body.claims).toMatchObject({ sub: 'user-42', iss: ISSUER, aud: AUDIENCE });
  });

  it('signs with RS256, the configured kid and lifetime', () => {
    const token = jwt.sign({ sub: 'u' });
    const [header, payload] = token
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString()));
    expect(header).toEqual({ alg: 'RS256', typ: 'JWT', kid });
    expect(payload.exp - payload.iat).toBe(15 * 60);
  });

  it('also works as a plain passport strategy: AuthGuard(RS256_STRATEGY)', async () => {
    const ok = await request(url, '/passport', { token: jwt.sign({ sub: 'via-passport' }) });
    expect(ok).toMatchObject({ status: 200, body: { subject: 'via-passport' } });
    expect((await request(url, '/passport', { token: rs256Token(keys.other.privateKey, claims()) })).status).toBe(401);
    expect((await request(url, '/passport')).status).toBe(401);
  });

  it('takes the Bearer scheme case-insensitively', async () => {
    const token = jwt.sign({ sub: 'u' });
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      expect((await request(url, '/profile', { authorization: `${scheme} ${token}` })).status).toBe(200);
    }
  });

  it('answers a request without a token with a bare Bearer challenge', async () => {
    for (const authorization of [undefined, 'Basic dXNlcjpwYXNz', 'Bearer', 'Bearer ']) {
      const response = await request(url, '/profile', { authorization });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    }
  });

  it('refuses as a malformed token a value that is not a token alone, never answering it with 200', async () => {
    const token = jwt.sign({ sub: 'u' });
    const [header, payload, signature] = token.split('.');
    // White space at either end of a header value is not part of it (HTTP trims it): only inner white space counts.
    for (const authorization of [
      `Bearer ${token} x`,
      `Bearer \t${token}`,
      `Bearer ${header}. ${payload}.${signature}`,
      `Bearer ${header}.${payload}.${signature.slice(0, 100)} ${signature.slice(100)}`,
    ]) {
      const response = await request(url, '/profile', { authorization });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toMatch(/^Bearer realm="api", error="invalid_token", error_description="[^"]+"$/);
    }
  });

  it('does not read tokens from the query string or a cookie by default', async () => {
    const token = jwt.sign({ sub: 'u' });
    const response = await fetch(`${url}/profile?access_token=${token}`, { headers: { cookie: `access_token=${token}` } });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="api"');
  });

  describe('rejects every algorithm but RS256', () => {
    it.each(['none', 'None', 'NONE', 'nOnE'])('alg %s, unsigned', async (alg) => {
      await expectRejected(craftToken({ alg, typ: 'JWT' }, claims(), signers.none()), /not signed|algorithm/);
      await expectRejected(craftToken({ alg, typ: 'JWT' }, claims(), signers.rs256(keys.main.privateKey)), 'algorithm');
    });

    it('HS256 keyed with the public key PEM (algorithm confusion)', async () => {
      for (const path of [keys.publicPath, keys.publicPkcs1Path]) {
        await expectRejected(craftToken({ alg: 'HS256', kid }, claims(), signers.hs256(readFileSync(path))), 'algorithm');
      }
    });

    it.each([
      ['HS384', signers.hs256('secret')],
      ['HS512', signers.hs256('secret')],
      ['PS256', signers.ps256(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey)],
      ['RS384', signers.rs384(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey)],
      ['RS512', signers.rs512(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey)],
      ['ES256', signers.es256(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey)],
      ['rs256', signers.rs256(generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey)],
    ])('%s', async (alg, signer) => {
      await expectRejected(craftToken({ alg, kid }, claims(), signer), 'algorithm');
    });

    it('RS384 and RS512 even when signed by the right key', async () => {
      await expectRejected(craftToken({ alg: 'RS384', kid }, claims(), signers.rs384(keys.main.privateKey)), 'algorithm');
      await expectRejected(craftToken({ alg: 'RS512', kid }, claims(), signers.rs512(keys.main.privateKey)), 'algorithm');
    });
  });

  describe('rejects bad signatures', () => {
    it('a token signed by another key', async () => {
      await expectRejected(rs256Token(keys.other.privateKey, claims(), { kid }), 'invalid signature');
      await expectRejected(rs256Token(keys.other.privateKey, claims()), 'invalid signature');
    });

    it('a tampered payload', async () => {
      const [header, , signature] = jwt.sign({ sub: 'user-1' }).split('.');
      await expectRejected(`${header}.${b64url(claims({ sub: 'admin' }))}.${signature}`, 'invalid signature');
    });

    it('a tampered header', async () => {
      const [, payload, signature] = jwt.sign({ sub: 'user-1' }).split('.');
      await expectRejected(`${b64url({ alg: 'RS256', kid, typ: 'at+jwt' })}.${payload}.${signature}`, 'invalid signature');
    });

    it('a stripped signature', async () => {
      const [header, payload] = jwt.sign({ sub: 'u' }).split('.');
      await expectRejected(`${header}.${payload}.`, 'not signed');
      await expectRejected(`${header}.${payload}`, 'malformed');
    });

    it('a signature spelled in non-canonical base64url (the same bytes, another string)', async () => {
      const token = jwt.sign({ sub: 'u' });
      const last = token.at(-1)!;
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      // 256 signature bytes end in a character whose low 4 bits are unused; setting one of them keeps the bytes.
      const variant = alphabet[alphabet.indexOf(last) ^ 1];
      const signature = token.split('.')[2];
      expect(Buffer.from(signature.slice(0, -1) + variant, 'base64url').equals(Buffer.from(signature, 'base64url'))).toBe(true);
      await expectRejected(token.slice(0, -1) + variant, 'invalid signature');
    });

    it('a truncated or padded signature', async () => {
      const token = jwt.sign({ sub: 'u' });
      await expectRejected(token.slice(0, -4), 'invalid signature');
      await expectRejected(token.slice(0, -1), 'invalid signature');
      await expectRejected(`${token}AAAA`, 'invalid signature');
    });
  });

  it('rejects unknown critical header parameters (RFC 7515 §4.1.11)', async () => {
    await expectRejected(rs256Token(keys.main.privateKey, claims(), { kid, crit: ['exp'], exp: 1 }), 'critical');
    await expectRejected(rs256Token(keys.main.privateKey, claims(), { kid, crit: [] }), 'critical');
  });

  describe('never takes a key from the token header', () => {
    const attacker = () => generateKeyPairSync('rsa', { modulusLength: 2048 });

    it.each(['jwk', 'jku', 'x5u', 'x5c'])('%s', async (parameter) => {
      const evil = attacker();
      const value =
        parameter === 'jwk'
          ? evil.publicKey.export({ format: 'jwk' })
          : parameter === 'x5c'
            ? ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA']
            : 'http://127.0.0.1:1/keys';
      // Signed by the attacker's key, and also by ours: the header parameter alone is enough to refuse.
      await expectRejected(rs256Token(evil.privateKey, claims(), { [parameter]: value }), 'header');
      await expectRejected(rs256Token(keys.main.privateKey, claims(), { kid, [parameter]: value }), 'header');
    });

    it('kid that names no configured key, including path- and URL-like ones', async () => {
      for (const evilKid of ['../../etc/passwd', 'http://127.0.0.1:1/jwks', 'unknown', 42]) {
        await expectRejected(rs256Token(keys.main.privateKey, claims(), { kid: evilKid }), 'kid');
      }
    });
  });

  describe('rejects tokens outside their validity', () => {
    it('expired', async () => {
      const now = nowSeconds();
      await expectRejected(rs256Token(keys.main.privateKey, claims({ iat: now - 100, exp: now - 10 }), { kid }), 'expired');
      // exp plus the default 5 seconds of leeway is now: expired.
      await expectRejected(rs256Token(keys.main.privateKey, claims({ iat: now - 100, exp: now - 5 }), { kid }), 'expired');
    });

    it('not yet valid', async () => {
      const now = nowSeconds();
      await expectRejected(rs256Token(keys.main.privateKey, claims({ nbf: now + 60 }), { kid }), 'not yet valid');
      await expectRejected(rs256Token(keys.main.privateKey, claims({ iat: now + 60, exp: now + 600 }), { kid }), 'issued in the future');
    });
  });

  describe('rejects wrong issuer, audience and missing claims', () => {
    it('issuer', async () => {
      await expectRejected(rs256Token(keys.main.privateKey, claims({ iss: 'https://evil.test' }), { kid }), 'issuer');
      const { iss: _dropped, ...withoutIssuer } = claims();
      await expectRejected(rs256Token(keys.main.privateKey, withoutIssuer, { kid }), 'issuer');
    });

    it('audience', async () => {
      await expectRejected(rs256Token(keys.main.privateKey, claims({ aud: 'elsewhere' }), { kid }), 'audience');
      await expectRejected(rs256Token(keys.main.privateKey, claims({ aud: ['a', 'b'] }), { kid }), 'audience');
      const { aud: _dropped, ...withoutAudience } = claims();
      await expectRejected(rs256Token(keys.main.privateKey, withoutAudience, { kid }), 'audience');
    });

    it('accepts any configured audience, as a string or in an array', async () => {
      for (const aud of ['other.test', ['x', 'other.test']]) {
        const response = await request(url, '/profile', { token: rs256Token(keys.main.privateKey, claims({ aud }), { kid }) });
        expect(response.status).toBe(200);
      }
    });

    it.each(['exp', 'iat', 'sub'])('missing %s', async (name) => {
      const { [name]: _dropped, ...rest } = claims();
      await expectRejected(rs256Token(keys.main.privateKey, rest, { kid }), `missing claim '${name}'`);
    });
  });

  describe('rejects registered claims of the wrong type', () => {
    it.each([
      ['exp', String(nowSeconds() + 300)],
      ['exp', null],
      ['nbf', 'yesterday'],
      ['iat', [1]],
      ['sub', 42],
      ['iss', { name: ISSUER }],
      ['jti', 7],
      ['aud', [AUDIENCE, 5]],
    ])('%s = %j', async (name, value) => {
      await expectRejected(rs256Token(keys.main.privateKey, claims({ [name]: value }), { kid }), `claim '${name}' must be`);
    });
  });

  describe('rejects malformed tokens without a 5xx', () => {
    it.each([
      ['one segment', 'abc'],
      ['two segments', 'abc.def'],
      ['four segments', 'a.b.c.d'],
      ['empty header', '.e30.c2ln'],
      ['header not base64url', 'a*b.e30.c2ln'],
      ['header not JSON', `${Buffer.from('{not json').toString('base64url')}.e30.c2ln`],
      ['header a JSON array', `${b64url('[1]')}.e30.c2ln`],
      ['header a JSON string', `${b64url('"RS256"')}.e30.c2ln`],
    ])('%s', async (_name, token) => {
      await expectRejected(token, 'malformed');
    });

    it('payload that is not JSON, or not an object, under a valid signature', async () => {
      await expectRejected(rs256Token(keys.main.privateKey, 'not json', { kid }), 'malformed');
      await expectRejected(rs256Token(keys.main.privateKey, '[1,2]', { kid }), 'malformed');
    });

    it('signature with characters outside base64url', async () => {
      const token = jwt.sign({ sub: 'u' });
      await expectRejected(`${token.slice(0, -2)}+/`, 'malformed');
    });

    it('a token over the size limit, before any crypto', async () => {
      const token = rs256Token(keys.main.privateKey, claims({ padding: 'x'.repeat(9000) }), { kid });
      await expectRejected(token, 'exceeds 8192 bytes');
    });
  });

  describe('claim requirements', () => {
    it('lets a token with the required scope through (scope, space-separated)', async () => {
      const token = jwt.sign({ sub: 'u', scope: 'profile orders:read' });
      expect((await request(url, '/orders', { token })).status).toBe(200);
    });

    it('lets a token with the required scope through (scp, array)', async () => {
      const token = jwt.sign({ sub: 'u', scp: ['orders:read'] });
      expect((await request(url, '/orders', { token })).status).toBe(200);
    });

    it('answers 403 insufficient_scope without it', async () => {
      for (const extra of [{}, { scope: 'orders:write' }, { scope: 'orders:readx' }, { scp: 'profile' }]) {
        const response = await request(url, '/orders', { token: jwt.sign({ sub: 'u', ...extra }) });
        expect(response.status).toBe(403);
        expect(response.headers.get('www-authenticate')).toBe(
          'Bearer realm="api", error="insufficient_scope", error_description="missing scope orders:read", scope="orders:read"',
        );
      }
    });

    it('checks roles and exact claim values', async () => {
      const allowed = jwt.sign({ sub: 'u', roles: ['admin', 'user'], tenant: 'acme' });
      expect((await request(url, '/admin', { token: allowed })).status).toBe(200);
      const noRole = await request(url, '/admin', { token: jwt.sign({ sub: 'u', roles: ['user'], tenant: 'acme' }) });
      expect(noRole.status).toBe(403);
      expect(description(noRole.headers.get('www-authenticate'))).toBe('missing role admin');
      const otherTenant = await request(url, '/admin', { token: jwt.sign({ sub: 'u', roles: ['admin'], tenant: 'globex' }) });
      expect(otherTenant.status).toBe(403);
      expect(description(otherTenant.headers.get('www-authenticate'))).toBe("claim 'tenant' does not have the required value");
    });

    it('a roles claim that is one string is one role: "admin user" is not admin', async () => {
      const joined = await request(url, '/admin', { token: jwt.sign({ sub: 'u', roles: 'admin user', tenant: 'acme' }) });
      expect(joined.status).toBe(403);
      expect(description(joined.headers.get('www-authenticate'))).toBe('missing role admin');
      expect((await request(url, '/admin', { token: jwt.sign({ sub: 'u', roles: 'admin', tenant: 'acme' }) })).status).toBe(200);
    });

    it('evaluates route requirements on every request, also for a token served from the cache', async () => {
      const token = jwt.sign({ sub: 'u', scope: 'profile' });
      expect((await request(url, '/profile', { token })).status).toBe(200);
      expect((await request(url, '/orders', { token })).status).toBe(403);
      expect((await request(url, '/profile', { token })).status).toBe(200);
      expect((await request(url, '/orders', { token })).status).toBe(403);
    });

    it('still answers 401, not 403, for a bad token on a route with requirements', async () => {
      const response = await request(url, '/orders', { token: rs256Token(keys.other.privateKey, claims({ scope: 'orders:read' })) });
      expect(response.status).toBe(401);
    });
  });

  it('never answers a hostile Authorization header with a 5xx', async () => {
    const hostile = [
      'Bearer ' + 'a'.repeat(7000),
      'Bearer ....',
      'Bearer ' + '\u00e9'.repeat(10),
      `Bearer ${b64url({ alg: 'RS256' })}.${b64url('{"exp":1e400}')}.AAAA`,
      `Bearer ${b64url({ alg: 'RS256', kid: { toString: null } })}.e30.AAAA`,
      `Bearer ${b64url('{"alg":"RS256","__proto__":{"kid":"x"}}')}.e30.AAAA`,
    ];
    for (const authorization of hostile) {
      const response = await fetch(`${url}/profile`, { headers: { authorization: Buffer.from(authorization).toString('latin1') } });
      expect(response.status).toBe(401);
    }
  });
});
