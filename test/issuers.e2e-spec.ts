import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from './support/http.js';
import { rsaPair, type RsaPair } from './support/keys.js';
import { startOpenIdProvider, type OpenIdProvider } from './support/openid-provider.js';
import { freePort, hangUp, SETUP_TIMEOUT, startDemo, stopDemo, type ServerProcess } from './support/processes.js';
import { rs256Token, validClaims } from './support/tokens.js';

const AUDIENCE = 'https://api.example.test';
const COOLDOWN_SECONDS = 1;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const kidOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid;
/** Requests for keys or metadata a provider has received. */
const keyRequests = (counts: Record<string, number>): number =>
  Object.entries(counts)
    .filter(([path]) => path === '/jwks' || path.startsWith('/.well-known/'))
    .reduce((sum, [, count]) => sum + count, 0);

let cwd: string;
beforeAll(() => {
  cwd = mkdtempSync(join(tmpdir(), 'rs256-auth-issuers-'));
});
afterAll(() => rmSync(cwd, { recursive: true, force: true }));

/** The demo's resource server (examples/demo/dist/resource-server.js), a real process configured by its environment alone. */
function resourceServer(env: Record<string, string>): Promise<ServerProcess> {
  return startDemo(cwd, { JWT_AUDIENCE: AUDIENCE, JWT_JWKS_COOLDOWN: String(COOLDOWN_SECONDS), ...env }, 'resource-server.js');
}

describe('JWT_ISSUER_URL: a resource server given only the issuer URL and the audience', () => {
  let provider: OpenIdProvider;
  let server: ServerProcess;

  beforeAll(async () => {
    provider = await startOpenIdProvider({ audience: AUDIENCE });
    server = await startDemo(cwd, { JWT_ISSUER_URL: provider.issuer, JWT_AUDIENCE: AUDIENCE }, 'resource-server.js');
  }, SETUP_TIMEOUT);
  afterAll(async () => {
    await stopDemo(server);
    await provider?.stop();
  });

  it('discovers the JWK Set and verifies the provider’s client-credentials access tokens', async () => {
    await server.waitFor(`Issuer ${provider.issuer} publishes its keys at ${provider.issuer}/jwks`);
    const token = await provider.token('service-a', 'orders:read');
    const profile = await request(server.url, '/profile', { token });
    expect(profile.status).toBe(200);
    expect(profile.body).toMatchObject({ iss: provider.issuer, aud: AUDIENCE, client_id: 'service-a' });
    expect((await request(server.url, '/orders', { token })).status).toBe(200);
  });

  it('refuses tokens of another issuer signed with another key', async () => {
    const token = rs256Token(rsaPair().privateKey, validClaims({ iss: 'http://127.0.0.1:1', aud: AUDIENCE }));
    expect((await request(server.url, '/profile', { token })).status).toBe(401);
  });
});

describe('JWT_ISSUER_URL: the provider rotates its key', () => {
  let provider: OpenIdProvider;
  let server: ServerProcess;

  beforeAll(async () => {
    provider = await startOpenIdProvider({ audience: AUDIENCE });
    server = await resourceServer({ JWT_ISSUER_URL: provider.issuer });
  }, SETUP_TIMEOUT);
  afterAll(async () => {
    await stopDemo(server);
    await provider?.stop();
  });

  it('new tokens verify, and so do tokens signed before', async () => {
    const before = await provider.token();
    expect((await request(server.url, '/profile', { token: before })).status).toBe(200);
    // Past the cooldown of any fetch made so far, so the unknown kid may trigger one at once.
    await sleep(COOLDOWN_SECONDS * 1000 + 100);
    const newKid = await provider.rotate();
    const after = await provider.token();
    expect(kidOf(after)).toBe(newKid);
    expect((await request(server.url, '/profile', { token: after })).status).toBe(200);
    expect((await request(server.url, '/profile', { token: before })).status).toBe(200);
  });
});

describe('JWT_ISSUER_URL: the provider is down at start-up', () => {
  it('starts anyway, logs it, and verifies once the provider answers', async () => {
    const port = await freePort();
    const server = await resourceServer({ JWT_ISSUER_URL: `http://127.0.0.1:${port}` });
    let provider: OpenIdProvider | undefined;
    try {
      await server.waitFor(`Discovering the keys of issuer http://127.0.0.1:${port} failed`);
      expect((await request(server.url, '/health')).status).toBe(200);
      provider = await startOpenIdProvider({ port, audience: AUDIENCE });
      const token = await provider.token();
      await sleep(COOLDOWN_SECONDS * 1000 + 100);
      expect((await request(server.url, '/profile', { token })).status).toBe(200);
    } finally {
      await stopDemo(server);
      await provider?.stop();
    }
  });
});

describe('JWT_TRUSTED_ISSUERS: two providers as two tenants', () => {
  // Both providers sign under the same kid, with different keys: the kid alone must never pick a key.
  const keyA = rsaPair();
  const keyB = rsaPair();
  const jwk = (pair: ReturnType<typeof rsaPair>) => ({ ...pair.privateKey.export({ format: 'jwk' }), kid: 'tenant-signing-key' });
  let tenantA: OpenIdProvider;
  let tenantB: OpenIdProvider;
  let stranger: OpenIdProvider;
  let server: ServerProcess;

  beforeAll(async () => {
    [tenantA, tenantB, stranger] = await Promise.all([
      startOpenIdProvider({ audience: AUDIENCE, key: jwk(keyA) }),
      startOpenIdProvider({ audience: AUDIENCE, key: jwk(keyB) }),
      startOpenIdProvider({ audience: AUDIENCE }),
    ]);
    server = await resourceServer({ JWT_TRUSTED_ISSUERS: `${tenantA.issuer},${tenantB.issuer}`, JWT_TOKEN_TYPE: 'at+jwt' });
  }, SETUP_TIMEOUT);
  afterAll(async () => {
    await stopDemo(server);
    await Promise.all([tenantA, tenantB, stranger].map((provider) => provider?.stop()));
  });

  it('accepts each tenant’s tokens', async () => {
    for (const tenant of [tenantA, tenantB]) {
      const response = await request(server.url, '/profile', { token: await tenant.token() });
      expect(response.status).toBe(200);
      expect(response.body.iss).toBe(tenant.issuer);
    }
  });

  it('never accepts a token signed by one tenant’s key that claims the other tenant, even with a matching kid', async () => {
    const claims = (iss: string) => validClaims({ iss, aud: AUDIENCE, client_id: 'service-a' });
    const header = { kid: 'tenant-signing-key', typ: 'at+jwt' };
    // The control: signed by A's key and claiming A, it is accepted.
    expect((await request(server.url, '/profile', { token: rs256Token(keyA.privateKey, claims(tenantA.issuer), header) })).status).toBe(200);
    const forged = await request(server.url, '/profile', { token: rs256Token(keyA.privateKey, claims(tenantB.issuer), header) });
    expect(forged.status).toBe(401);
    expect(forged.headers.get('www-authenticate')).toContain('error_description="invalid signature"');
  });

  it('refuses an untrusted issuer with 401 and no request to any provider', async () => {
    const token = await stranger.token();
    const before = await Promise.all([tenantA, tenantB, stranger].map(async (provider) => keyRequests(await provider.requests())));
    for (let i = 0; i < 5; i++) {
      const response = await request(server.url, '/profile', { token });
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toContain('error_description="issuer not accepted"');
    }
    const after = await Promise.all([tenantA, tenantB, stranger].map(async (provider) => keyRequests(await provider.requests())));
    expect(after).toEqual(before);
    expect(before[2]).toBe(0);
  });
});

describe('JWT_TRUSTED_ISSUERS: SIGHUP refetches every issuer’s keys, whatever the cooldown', () => {
  it('accepts a rotated key after the signal, and not before', async () => {
    const provider = await startOpenIdProvider({ audience: AUDIENCE });
    const server = await resourceServer({ JWT_TRUSTED_ISSUERS: provider.issuer, JWT_JWKS_COOLDOWN: '600' });
    try {
      expect((await request(server.url, '/profile', { token: await provider.token() })).status).toBe(200);
      const newKid = await provider.rotate();
      const rotated = await provider.token();
      // Within the cooldown an unknown kid fetches nothing.
      expect((await request(server.url, '/profile', { token: rotated })).status).toBe(401);
      server.process.kill('SIGHUP');
      await server.waitFor(newKid);
      expect((await request(server.url, '/profile', { token: rotated })).status).toBe(200);
    } finally {
      await stopDemo(server);
      await provider.stop();
    }
  });
});

describe('JWT_TRUSTED_ISSUERS: SIGHUP re-reads the key files of issuers with local keys', () => {
  const INTERNAL = 'https://internal.example.test';
  const spki = (pair: RsaPair): string => pair.publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const pkcs8 = (pair: RsaPair): string => pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;

  it('takes a replaced key file on the signal, not before, together with the fetched issuer; a bad file keeps the keys', async () => {
    const [current, next] = [rsaPair(), rsaPair()];
    const keyFile = join(mkdtempSync(join(cwd, 'tenant-keys-')), 'internal.pem');
    writeFileSync(keyFile, spki(current));
    const provider = await startOpenIdProvider({ audience: AUDIENCE });
    const server = await resourceServer({
      JWT_TRUSTED_ISSUERS: JSON.stringify([{ issuer: INTERNAL, publicKeyPath: keyFile }, provider.issuer]),
      JWT_JWKS_COOLDOWN: '600',
    });
    const internalToken = (pair: RsaPair): string => rs256Token(pair.privateKey, validClaims({ iss: INTERNAL, aud: AUDIENCE }));
    const status = async (token: string): Promise<number> => (await request(server.url, '/profile', { token })).status;
    try {
      expect(await status(internalToken(current))).toBe(200);
      expect(await status(await provider.token())).toBe(200);

      writeFileSync(keyFile, spki(next));
      const newKid = await provider.rotate();
      const rotated = await provider.token();
      // Nothing is read again before the signal: the file's new key, and the provider's, are unknown yet.
      expect(await status(internalToken(next))).toBe(401);
      expect(await status(rotated)).toBe(401);
      await hangUp(server, `Keys of issuer "${INTERNAL}" reloaded`);
      await server.waitFor(newKid);
      expect(await status(internalToken(next))).toBe(200);
      expect(await status(internalToken(current))).toBe(401);
      expect(await status(rotated)).toBe(200);

      // A file that is not a key, then a private key where the public key belongs: each signal changes nothing but
      // one error line naming the setting and the file, and no line of the key is ever printed.
      for (const broken of ['not a key', pkcs8(current)]) {
        writeFileSync(keyFile, broken);
        await hangUp(server, `Key reload of issuer "${INTERNAL}" failed; the current keys stay in force.`);
        expect(await status(internalToken(next))).toBe(200);
        expect(await status(rotated)).toBe(200);
      }
      expect(server.output().split(`JWT_TRUSTED_ISSUERS (issuer "${INTERNAL}") publicKeyPath ("${keyFile}")`).length).toBe(3);
      for (const line of [...pkcs8(current).split('\n'), ...spki(next).split('\n')].filter(
        (text) => text.length >= 24 && !text.startsWith('-----'),
      )) {
        expect(server.output()).not.toContain(line);
      }
      expect(server.process.exitCode).toBeNull();
    } finally {
      await stopDemo(server);
      await provider.stop();
    }
  });
});
