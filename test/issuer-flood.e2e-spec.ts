import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import type { TrustedIssuerOptions } from '../src/index.js';
import type { KeySource } from '../src/keys/key-source.js';
import { RS256_KEY_SOURCE } from '../src/rs256-auth.constants.js';
import { TokenVerifier } from '../src/token/token-verifier.js';
import { createApp } from './fixtures/app.js';
import { listen, request } from './support/http.js';
import { rsaPair, type RsaPair } from './support/keys.js';
import { LogCapture } from './support/log-capture.js';
import { b64url, rs256Token, validClaims } from './support/tokens.js';

const API = 'https://api.example.test';
/** The module's default bound on new issuers per minute (newIssuersPerMinute). */
const NEW_ISSUERS_PER_MINUTE = 10;
/** Requests one new issuer may cost the provider: two metadata locations (OpenID Connect, RFC 8414), then its JWK Set. */
const REQUESTS_PER_ISSUER = 3;

/**
 * An identity provider's host on loopback, as multi-tenant providers (Keycloak realms) lay it out: tenant `t` at
 * `/realms/t`, with its metadata and JWK Set; 404 for anything else. Counts every request by path.
 */
function tenantHost(tenants: Record<string, RsaPair>): { origin: Promise<string>; requests: string[]; close: () => Promise<void> } {
  const requests: string[] = [];
  let origin = '';
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = req.url ?? '';
    requests.push(path);
    const [, realm, tenant, rest] = path.split('/');
    const pair = realm === 'realms' ? tenants[tenant] : undefined;
    const issuer = `${origin}/realms/${tenant}`;
    const body =
      pair && rest === '.well-known' && path.endsWith('/openid-configuration')
        ? { issuer, jwks_uri: `${issuer}/keys` }
        : pair && rest === 'keys'
          ? { keys: [{ ...pair.publicKey.export({ format: 'jwk' }), kid: tenant, alg: 'RS256', use: 'sig' }] }
          : undefined;
    if (body === undefined) {
      res.writeHead(404).end();
    } else {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    }
  });
  return {
    origin: new Promise((resolve) =>
      server.listen(0, '127.0.0.1', () => {
        origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
        resolve(origin);
      }),
    ),
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A token anyone can write: any claims, a signature of the right length made of random bytes. */
function junkToken(claims: Record<string, unknown>): string {
  return `${b64url({ alg: 'RS256', typ: 'JWT', kid: 'x' })}.${b64url(claims)}.${randomBytes(256).toString('base64url')}`;
}

describe("an issuerResolver written as the README's example, flooded with unsigned tokens naming made-up issuers", () => {
  const tenants = { a: rsaPair(), b: rsaPair() };
  const host = tenantHost(tenants);
  let prefix: string;
  let app: INestApplication | undefined;
  let url: string;
  const asked: string[] = [];
  const logs = new LogCapture();

  beforeAll(async () => {
    prefix = `${await host.origin}/realms/`;
    const resolver = (iss: string): TrustedIssuerOptions | undefined => {
      asked.push(iss);
      return iss.startsWith(prefix) ? { issuer: iss } : undefined;
    };
    // Two active issuers fit the cache: a flood of 150 would push both out many times over if it could.
    ({ app } = await createApp({ options: { keys: { issuerResolver: resolver, issuerCacheSize: 2 }, tokens: { audience: API } }, logger: logs }));
    url = await listen(app);
  });

  afterAll(async () => {
    await app?.close();
    await host.close();
  });

  const tenantToken = (tenant: 'a' | 'b'): string =>
    rs256Token(tenants[tenant].privateKey, validClaims({ iss: `${prefix}${tenant}`, aud: API }), { kid: tenant });
  const status = async (token: string): Promise<number> => (await request(url, '/profile', { token })).status;

  it('never puts an iss with a dot segment, a query or userinfo to the resolver, and fetches nothing for it', async () => {
    const before = host.requests.length;
    for (const iss of [
      `${prefix}../internal/admin`,
      `${prefix}a/../../internal/admin`,
      `${prefix}%2e%2e/internal/admin`,
      `${prefix}a?x=1`,
      `${prefix.replace('://', '://user@')}a`,
    ]) {
      expect(await status(junkToken(validClaims({ iss, aud: API })))).toBe(401);
    }
    expect(asked).toEqual([]);
    expect(host.requests.slice(before)).toEqual([]);
    expect(host.requests.filter((path) => path.includes('internal/admin'))).toEqual([]);
  });

  it('costs at most the bounded number of fetches, evicts no active tenant and leaves the verified-token cache alone', async () => {
    const registry = app!.get<KeySource>(RS256_KEY_SOURCE);
    const verifier = app!.get(TokenVerifier);
    // Two real tenants verifying tokens: both active, their tokens in the verified-token cache.
    const [tokenA, tokenB] = [tenantToken('a'), tenantToken('b')];
    expect([await status(tokenA), await status(tokenB), await status(tokenA), await status(tokenB)]).toEqual([200, 200, 200, 200]);
    const tenantRequests = host.requests.length;
    expect(tenantRequests).toBe(4); // each: its metadata (found at the first location) and its JWK Set
    const cached = verifier.cachedTokens;
    const version = registry.version;
    expect(cached).toBe(2);

    const flood = Array.from({ length: 150 }, (_, i) => junkToken(validClaims({ iss: `${prefix}made-up-${i}`, aud: API })));
    for (const token of flood) {
      expect(await status(token)).toBe(401);
    }
    const floodRequests = host.requests.slice(tenantRequests);
    const floodedIssuers = new Set(floodRequests.map((path) => /made-up-\d+/.exec(path)?.[0]));
    expect(floodedIssuers.size).toBeLessThanOrEqual(NEW_ISSUERS_PER_MINUTE);
    expect(floodRequests.length).toBeLessThanOrEqual(NEW_ISSUERS_PER_MINUTE * REQUESTS_PER_ISSUER);
    // The minute's budget is shared: the two tenants took two of it.
    expect(asked.filter((iss) => iss.includes('made-up'))).toHaveLength(NEW_ISSUERS_PER_MINUTE - 2);
    // Once is enough: the flood's issuers already asked about are answered from memory, the rest still refused.
    for (const token of flood.slice(0, 20)) {
      expect(await status(token)).toBe(401);
    }
    expect(host.requests.length).toBe(tenantRequests + floodRequests.length);

    // Neither tenant was pushed out (no request for its keys again), nor was the verified-token cache touched.
    expect(registry.version).toBe(version);
    expect(verifier.cachedTokens).toBe(cached);
    expect([await status(tokenA), await status(tokenB)]).toEqual([200, 200]);
    expect(host.requests.length).toBe(tenantRequests + floodRequests.length);
    expect(asked.filter((iss) => iss === `${prefix}a` || iss === `${prefix}b`)).toHaveLength(2);

    // The bound was reached and said so once, however many tokens came past it.
    expect(logs.matching(/issuers not seen before in a minute/)).toEqual([
      expect.stringContaining('keys.newIssuersPerMinute, JWT_NEW_ISSUERS_PER_MINUTE'),
    ]);
  });
});

describe('an issuerResolver with budget to spare: a refused issuer is asked about once, then answered from memory', () => {
  let app: INestApplication | undefined;
  let url: string;
  const asked: string[] = [];

  beforeAll(async () => {
    const resolver = (iss: string): TrustedIssuerOptions | undefined => {
      asked.push(iss);
      return undefined;
    };
    // A budget the flood below never uses up: what stops a second question can only be the memory of the first answer.
    ({ app } = await createApp({ options: { keys: { issuerResolver: resolver, newIssuersPerMinute: 1000 }, tokens: { audience: API } } }));
    url = await listen(app);
  });
  afterAll(() => app?.close());

  it('asks about each refused issuer exactly once, however often its tokens come back', async () => {
    const issuers = Array.from({ length: 20 }, (_, i) => `https://refused-${i}.test`);
    for (let round = 0; round < 3; round++) {
      for (const iss of issuers) {
        expect((await request(url, '/profile', { token: junkToken(validClaims({ iss, aud: API })) })).status).toBe(401);
      }
    }
    expect(asked).toEqual(issuers);
  });
});
