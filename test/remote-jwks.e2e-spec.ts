import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateKeyPairSync } from 'node:crypto';
import { request } from './support/http.js';
import { rsaPair } from './support/keys.js';
import { createDevKeys, startDemo, stopDemo, type ServerProcess } from './support/processes.js';
import { rs256Token, validClaims } from './support/tokens.js';

const COOLDOWN_SECONDS = 1;
const TIMEOUT_MS = 300;
const DEMO_ISSUER = 'nestjs-rs256-auth-demo';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const kidOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid;

/**
 * Stands between the resource server and the issuer's JWK Set: counts every request that reaches the issuer, and
 * can play an issuer that is down, that hangs, or that serves a set of its own.
 */
class IssuerProxy {
  requests = 0;
  mode: 'forward' | 'down' | 'hang' | 'custom' = 'forward';
  custom: unknown;
  private readonly hung = new Set<ServerResponse>();
  private readonly server: Server;

  constructor(private readonly issuerUrl: () => string) {
    this.server = createServer((_req, res) => {
      this.requests++;
      if (this.mode === 'down') {
        res.writeHead(503).end();
      } else if (this.mode === 'hang') {
        this.hung.add(res);
      } else if (this.mode === 'custom') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(this.custom));
      } else {
        fetch(`${this.issuerUrl()}/.well-known/jwks.json`)
          .then((upstream) => upstream.text())
          .then((body) => res.writeHead(200, { 'content-type': 'application/json' }).end(body));
      }
    });
  }

  async listen(): Promise<string> {
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}/jwks.json`;
  }

  async close(): Promise<void> {
    for (const res of this.hung) res.destroy();
    this.server.closeAllConnections();
    await new Promise((done) => this.server.close(done));
  }
}

function startResourceServer(cwd: string, jwksUri: string): Promise<ServerProcess> {
  return startDemo(
    cwd,
    {
      JWT_JWKS_URI: jwksUri,
      JWT_ISSUER: DEMO_ISSUER,
      JWT_AUDIENCE: DEMO_ISSUER,
      JWT_JWKS_COOLDOWN: String(COOLDOWN_SECONDS),
      JWT_JWKS_TIMEOUT_MS: String(TIMEOUT_MS),
      // Stale after a second, so the tests also cover background refreshes while the issuer is down.
      JWT_JWKS_CACHE_MAX_AGE: '1',
    },
    'demo/resource-server.js',
  );
}

/** A key the issuer never had, made once: tokens signed by it carry kids the issuer never published. */
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });

function strangerToken(): string {
  return rs256Token(stranger.privateKey, validClaims({ iss: DEMO_ISSUER, aud: DEMO_ISSUER }), { kid: `random-${Math.random()}` });
}

describe('resource-server mode: verifying with the issuer\'s JWK Set (two real processes)', () => {
  let issuerDir: string;
  let resourceDir: string;
  let issuer: ServerProcess;
  let resource: ServerProcess;
  let proxy: IssuerProxy;
  let jwksUri: string;

  const login = async (): Promise<string> =>
    (await request(issuer.url, '/auth/login', { method: 'POST', body: { username: 'demo', password: 'demo-password' } })).body.access_token;

  beforeAll(async () => {
    issuerDir = mkdtempSync(join(tmpdir(), 'rs256-auth-issuer-'));
    resourceDir = mkdtempSync(join(tmpdir(), 'rs256-auth-resource-'));
    expect(createDevKeys(issuerDir).status).toBe(0);
    mkdirSync(join(issuerDir, 'keys/public'));
    writeFileSync(join(issuerDir, 'keys/public/current.pem'), readFileSync(join(issuerDir, 'keys/public.pem')));
    issuer = await startDemo(issuerDir, { JWT_PUBLIC_KEY_PATH: 'keys/public' });
    proxy = new IssuerProxy(() => issuer.url);
    jwksUri = await proxy.listen();
    resource = await startResourceServer(resourceDir, jwksUri);
  });
  afterAll(async () => {
    await Promise.all([stopDemo(resource), stopDemo(issuer)]);
    await proxy.close();
    rmSync(issuerDir, { recursive: true, force: true });
    rmSync(resourceDir, { recursive: true, force: true });
  });

  it('verifies the issuer\'s tokens with the keys it fetched at start-up, holding no key file', async () => {
    expect(proxy.requests).toBe(1);
    const token = await login();
    expect((await request(resource.url, '/profile', { token })).body.sub).toBe('demo');
    expect((await request(resource.url, '/orders', { token })).status).toBe(200);
    expect((await request(resource.url, '/profile', { token: strangerToken() })).status).toBe(401);
  });

  it('turns a flood of unknown kids into at most one fetch per cooldown window', async () => {
    await sleep(COOLDOWN_SECONDS * 1000 + 100);
    const before = proxy.requests;
    const started = Date.now();
    let refused = 0;
    for (let wave = 0; wave < 5; wave++) {
      const tokens = Array.from({ length: 40 }, strangerToken);
      const statuses = await Promise.all(tokens.map(async (token) => (await request(resource.url, '/profile', { token })).status));
      refused += statuses.filter((status) => status === 401).length;
      await sleep(300);
    }
    const windows = Math.ceil((Date.now() - started) / (COOLDOWN_SECONDS * 1000));
    expect(refused).toBe(200);
    // 200 unknown kids over `windows` cooldown windows: at most one fetch reached the issuer in each.
    expect(proxy.requests - before).toBeGreaterThanOrEqual(1);
    expect(proxy.requests - before).toBeLessThanOrEqual(windows);
  });

  it('follows the issuer\'s key rotation: a new kid triggers a fetch and then verifies', async () => {
    const oldToken = await login();
    const next = rsaPair();
    writeFileSync(join(issuerDir, 'keys/public/next.pem'), next.publicKey.export({ type: 'spki', format: 'pem' }));
    issuer.process.kill('SIGHUP');
    await sleep(300);
    writeFileSync(join(issuerDir, 'keys/private.pem'), next.privateKey.export({ type: 'pkcs8', format: 'pem' }));
    issuer.process.kill('SIGHUP');
    await sleep(300);
    const newToken = await login();
    expect(kidOf(newToken)).not.toBe(kidOf(oldToken));
    await sleep(COOLDOWN_SECONDS * 1000 + 100);
    expect((await request(resource.url, '/profile', { token: newToken })).status).toBe(200);
    expect((await request(resource.url, '/profile', { token: oldToken })).status).toBe(200);
  });

  it('keeps serving cached keys while the issuer is down or hangs; unknown kids get a prompt 401', async () => {
    const token = await login();
    expect((await request(resource.url, '/profile', { token })).status).toBe(200);
    for (const mode of ['down', 'hang'] as const) {
      proxy.mode = mode;
      await sleep(COOLDOWN_SECONDS * 1000 + 100);
      const started = Date.now();
      const unknown = await request(resource.url, '/profile', { token: strangerToken() });
      expect(unknown.status).toBe(401);
      expect(Date.now() - started).toBeLessThan(TIMEOUT_MS + 1500);
      await sleep(TIMEOUT_MS + 100);
      // The cached set is past its max age and the refresh failed: the keys it holds still verify.
      expect((await request(resource.url, '/profile', { token })).status).toBe(200);
    }
    await resource.waitFor('cached key(s) stay in use');
    proxy.mode = 'forward';
  });

  it('skips JWK Set entries that cannot verify RS256 tokens, with a warning, and keeps the good ones', async () => {
    const good = (await request(issuer.url, '/.well-known/jwks.json')).body.keys;
    const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' });
    const small = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'jwk' });
    proxy.mode = 'custom';
    proxy.custom = {
      keys: [
        { ...ec, kid: 'ec-key' },
        { kty: 'oct', k: 'c2VjcmV0', kid: 'hmac-key' },
        { ...good[0], kid: 'rs384-key', alg: 'RS384' },
        { kty: 'RSA', n: '!!not base64!!', e: 'AQAB', kid: 'broken-key' },
        { ...small, kid: 'small-key' },
        ...good,
      ],
    };
    await sleep(COOLDOWN_SECONDS * 1000 + 100);
    expect((await request(resource.url, '/profile', { token: strangerToken() })).status).toBe(401);
    for (const kid of ['ec-key', 'hmac-key', 'rs384-key', 'broken-key', 'small-key']) {
      await resource.waitFor(`Skipping JWK Set entry "${kid}"`);
    }
    expect((await request(resource.url, '/profile', { token: await login() })).status).toBe(200);
    proxy.mode = 'forward';
  });

  it('starts while the issuer is down (and says so), and verifies once it is up', async () => {
    proxy.mode = 'down';
    const late = await startResourceServer(resourceDir, jwksUri);
    try {
      await late.waitFor('Fetching the JWK Set');
      const token = await login();
      const refused = await request(late.url, '/profile', { token });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toContain('no verification key is available yet');
      proxy.mode = 'forward';
      await sleep(COOLDOWN_SECONDS * 1000 + 100);
      expect((await request(late.url, '/profile', { token })).status).toBe(200);
    } finally {
      await stopDemo(late);
    }
  });
});
