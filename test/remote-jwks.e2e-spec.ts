import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash, createPublicKey, generateKeyPairSync, verify, type JsonWebKey, type KeyObject } from 'node:crypto';
import { request } from './support/http.js';
import { rsaPair } from './support/keys.js';
import { createDevKeys, SETUP_TIMEOUT, startDemo, stopDemo, type ServerProcess } from './support/processes.js';
import { craftToken, rs256Token, validClaims } from './support/tokens.js';

const COOLDOWN_SECONDS = 1;
const TIMEOUT_MS = 300;
const DEMO_ISSUER = 'nestjs-rs256-auth-demo';

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const kidOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid;

/** Output a server printed from `from` on, once `text` is in it (or fails after `ms`). */
async function outputAfter(server: ServerProcess, from: number, text: string, ms = 15000): Promise<string> {
  const deadline = Date.now() + ms;
  while (!server.output().slice(from).includes(text)) {
    if (Date.now() > deadline) throw new Error(`"${text}" did not appear in:\n${server.output().slice(from)}`);
    await sleep(50);
  }
  return server.output().slice(from);
}

/** RFC 7638 thumbprint of an RSA public key, as a JWK Set entry without `kid` is known by. */
function thumbprint(key: KeyObject): string {
  const { e, n } = key.export({ format: 'jwk' });
  return createHash('sha256')
    .update(JSON.stringify({ e, kty: 'RSA', n }))
    .digest('base64url');
}

const jwkOf = (key: KeyObject, kid?: string): JsonWebKey => ({ ...key.export({ format: 'jwk' }), ...(kid === undefined ? {} : { kid }) });

/**
 * Stands between the resource server and the issuer's JWK Set: counts every request that reaches the issuer, and
 * can play an issuer that is down, that hangs, or that serves a set of its own.
 */
class IssuerProxy {
  requests = 0;
  mode: 'forward' | 'down' | 'hang' | 'custom' | 'serve' = 'forward';
  custom: unknown;
  serve: (res: ServerResponse) => void = () => undefined;
  private readonly hung = new Set<ServerResponse>();
  private readonly server: Server;

  constructor(private readonly issuerUrl: () => string) {
    this.server = createServer((_req, res) => {
      this.requests++;
      if (this.mode === 'down') {
        res.writeHead(503).end();
      } else if (this.mode === 'hang') {
        this.hung.add(res);
      } else if (this.mode === 'serve') {
        this.serve(res);
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

function startResourceServer(cwd: string, jwksUri: string, env: Record<string, string> = {}): Promise<ServerProcess> {
  return startDemo(
    cwd,
    {
      JWT_JWKS_URI: jwksUri,
      JWT_ISSUER: DEMO_ISSUER,
      JWT_AUDIENCE: DEMO_ISSUER,
      JWT_JWKS_COOLDOWN: String(COOLDOWN_SECONDS),
      JWT_JWKS_TIMEOUT: String(TIMEOUT_MS / 1000),
      // Stale after a second, so the tests also cover background refreshes while the issuer is down.
      JWT_JWKS_CACHE_MAX_AGE: '1',
      ...env,
    },
    'resource-server.js',
  );
}

/** A key the issuer never had, made once: tokens signed by it carry kids the issuer never published. */
const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 });

function strangerToken(): string {
  return rs256Token(stranger.privateKey, validClaims({ iss: DEMO_ISSUER, aud: DEMO_ISSUER }), { kid: `random-${Math.random()}` });
}

describe("resource-server mode: verifying with the issuer's JWK Set (two real processes)", () => {
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
  }, SETUP_TIMEOUT);
  afterAll(async () => {
    await Promise.all([stopDemo(resource), stopDemo(issuer)]);
    await proxy?.close();
    rmSync(issuerDir, { recursive: true, force: true });
    rmSync(resourceDir, { recursive: true, force: true });
  });

  it("verifies the issuer's tokens with the keys it fetched at start-up, holding no key file", async () => {
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

  it("follows the issuer's key rotation: a new kid triggers a fetch and then verifies", async () => {
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

  it('skips JWK Set entries that cannot verify RS256 tokens, in one warning, and keeps the good ones', async () => {
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
    const from = resource.output().length;
    expect((await request(resource.url, '/profile', { token: strangerToken() })).status).toBe(401);
    const output = await outputAfter(resource, from, 'entries skipped');
    const warnings = output.split('\n').filter((line) => line.includes('entries skipped'));
    expect(warnings).toHaveLength(1);
    for (const kid of ['ec-key', 'hmac-key', 'rs384-key', 'broken-key', 'small-key']) {
      expect(warnings[0]).toContain(`"${kid}": `);
    }
    expect(warnings[0]).toContain('5 entries skipped');
    expect((await request(resource.url, '/profile', { token: await login() })).status).toBe(200);
    proxy.mode = 'forward';
  });

  it('skips entries with a public exponent of 1 or 3; a token forged for e = 1 without any private key is refused', async () => {
    const good = (await request(issuer.url, '/.well-known/jwks.json')).body.keys;
    const modulus = rsaPair().publicKey.export({ format: 'jwk' }).n!;
    const exponentOne = { kty: 'RSA', n: modulus, e: 'AQ', kid: 'e1-key' };
    const exponentThree = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 });
    proxy.mode = 'custom';
    proxy.custom = { keys: [exponentOne, jwkOf(exponentThree.publicKey, 'e3-key'), ...good] };
    // With e = 1, s^e mod n is s itself: the PKCS#1 v1.5 encoding of the digest is a valid signature of anything.
    const digestInfoPrefix = Buffer.from('3031300d060960864801650304020105000420', 'hex');
    const size = Buffer.from(modulus, 'base64url').length;
    const forge = (input: Buffer): Buffer => {
      const digestInfo = Buffer.concat([digestInfoPrefix, createHash('sha256').update(input).digest()]);
      return Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(size - digestInfo.length - 3, 0xff), Buffer.from([0]), digestInfo]);
    };
    const claims = validClaims({ iss: DEMO_ISSUER, aud: DEMO_ISSUER });
    const forged = craftToken({ alg: 'RS256', typ: 'JWT', kid: 'e1-key' }, claims, forge);
    const [header, payload, signature] = forged.split('.');
    // The forgery is real: crypto accepts it under the e = 1 key, so only the exponent check stands in its way.
    const weakKey = createPublicKey({ key: exponentOne, format: 'jwk' });
    expect(verify('sha256', Buffer.from(`${header}.${payload}`), weakKey, Buffer.from(signature, 'base64url'))).toBe(true);
    await sleep(COOLDOWN_SECONDS * 1000 + 100);
    const from = resource.output().length;
    expect((await request(resource.url, '/profile', { token: forged })).status).toBe(401);
    const output = await outputAfter(resource, from, 'entries skipped');
    expect(output).toMatch(/"e1-key": [^;]*exponent/);
    expect(output).toMatch(/"e3-key": [^;]*exponent/);
    expect((await request(resource.url, '/profile', { token: rs256Token(exponentThree.privateKey, claims, { kid: 'e3-key' }) })).status).toBe(401);
    expect((await request(resource.url, '/profile', { token: await login() })).status).toBe(200);
    proxy.mode = 'forward';
  });

  it('treats a kid naming two different keys as unusable (one warning); identical duplicates are one key', async () => {
    const good = (await request(issuer.url, '/.well-known/jwks.json')).body.keys;
    const [twinA, twinB, unnamed, impostor, repeated] = [rsaPair(), rsaPair(), rsaPair(), rsaPair(), rsaPair()];
    const unnamedKid = thumbprint(unnamed.publicKey);
    proxy.mode = 'custom';
    proxy.custom = {
      keys: [
        jwkOf(twinA.publicKey, 'twin'),
        jwkOf(twinB.publicKey, 'twin'),
        jwkOf(unnamed.publicKey),
        // Claims the kid the key without one is known by.
        jwkOf(impostor.publicKey, unnamedKid),
        jwkOf(repeated.publicKey, 'repeated'),
        jwkOf(repeated.publicKey, 'repeated'),
        ...good,
      ],
    };
    const claims = validClaims({ iss: DEMO_ISSUER, aud: DEMO_ISSUER });
    await sleep(COOLDOWN_SECONDS * 1000 + 100);
    const from = resource.output().length;
    expect((await request(resource.url, '/profile', { token: rs256Token(repeated.privateKey, claims, { kid: 'repeated' }) })).status).toBe(200);
    const output = await outputAfter(resource, from, 'two different keys');
    expect(output.split('\n').filter((line) => line.includes('two different keys'))).toHaveLength(1);
    expect(output).toContain('"twin"');
    expect(output).toContain(`"${unnamedKid}"`);
    for (const [key, kid] of [
      [twinA, 'twin'],
      [twinB, 'twin'],
      [unnamed, unnamedKid],
      [impostor, unnamedKid],
    ] as const) {
      expect((await request(resource.url, '/profile', { token: rs256Token(key.privateKey, claims, { kid }) })).status).toBe(401);
    }
    expect((await request(resource.url, '/profile', { token: await login() })).status).toBe(200);
    proxy.mode = 'forward';
  });

  describe('with a timeout long enough that only the caps can cut a fetch short', () => {
    let roomy: ServerProcess;
    beforeAll(async () => {
      roomy = await startResourceServer(resourceDir, jwksUri, { JWT_JWKS_TIMEOUT: '10' });
      await roomy.waitFor('verification kids');
    }, SETUP_TIMEOUT);
    afterAll(() => stopDemo(roomy));

    it('cuts off a 50 MB JWK Set at the size cap, serving requests with the cached keys during and after the fetch', async () => {
      const token = await login();
      expect((await request(roomy.url, '/profile', { token })).status).toBe(200);
      const total = 50 * 1024 * 1024;
      const junk = Buffer.from('{"kty":"RSA","kid":"junk","n":"AQAB","e":"AQAB"},'.repeat(1024));
      let sent = 0;
      let started!: () => void;
      const streaming = new Promise<void>((done) => (started = done));
      let release!: () => void;
      const released = new Promise<void>((done) => (release = done));
      const finished = new Promise<void>((done) => {
        proxy.serve = (res) => {
          res.on('close', done);
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"keys":[');
          started();
          // Generated as it goes, with backpressure: neither side ever holds the document.
          const pump = (): void => {
            while (sent < total && !res.destroyed) {
              sent += junk.length;
              if (!res.write(junk)) return void res.once('drain', pump);
            }
            if (!res.destroyed) res.end('{}]}');
          };
          void released.then(pump);
        };
      });
      proxy.mode = 'serve';
      await sleep(COOLDOWN_SECONDS * 1000 + 100);
      const from = roomy.output().length;
      const unknown = request(roomy.url, '/profile', { token: strangerToken() });
      await streaming;
      // The fetch is under way: a request with a known kid does not wait for it.
      expect((await request(roomy.url, '/profile', { token })).status).toBe(200);
      release();
      expect((await unknown).status).toBe(401);
      await finished;
      const output = await outputAfter(roomy, from, 'cached key(s) stay in use');
      expect(output).toContain('larger than 1048576 bytes');
      // Cut off near the cap: what left the issuer is the cap plus what socket buffers took, not 50 MB.
      expect(sent).toBeLessThan(16 * 1024 * 1024);
      proxy.mode = 'forward';
      expect((await request(roomy.url, '/profile', { token })).status).toBe(200);
    });

    it('reads at most JWT_JWKS_MAX_KEYS of 100,000 junk entries and sums them up in one warning', async () => {
      const good = (await request(issuer.url, '/.well-known/jwks.json')).body.keys;
      const junk = Array.from({ length: 100_000 }, (_, index) => (index % 2 === 0 ? {} : { kty: 'RSA' }));
      proxy.mode = 'custom';
      proxy.custom = { keys: [...good, ...junk] };
      expect(JSON.stringify(proxy.custom).length).toBeLessThan(1024 * 1024);
      await sleep(COOLDOWN_SECONDS * 1000 + 100);
      const from = roomy.output().length;
      expect((await request(roomy.url, '/profile', { token: strangerToken() })).status).toBe(401);
      const output = await outputAfter(roomy, from, 'entries skipped');
      await sleep(200);
      const lines = roomy
        .output()
        .slice(from)
        .split('\n')
        .filter((line) => line.includes('WARN'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`${good.length + 100_000} entries, of which only the first 100 were read`);
      expect(lines[0]).toContain(`${100 - good.length} entries skipped`);
      expect(lines[0]).toMatch(/; and \d+ more\)/);
      expect(output.length).toBeLessThan(4096);
      proxy.mode = 'forward';
      expect((await request(roomy.url, '/profile', { token: await login() })).status).toBe(200);
    });
  });

  it('fetches the set on SIGHUP whatever the cooldown, logs the kids, and keeps running', async () => {
    const patient = await startResourceServer(resourceDir, jwksUri, { JWT_JWKS_COOLDOWN: '3600', JWT_JWKS_CACHE_MAX_AGE: '3600' });
    try {
      await patient.waitFor('verification kids');
      const good = (await request(issuer.url, '/.well-known/jwks.json')).body.keys;
      const added = rsaPair();
      const token = rs256Token(added.privateKey, validClaims({ iss: DEMO_ISSUER, aud: DEMO_ISSUER }), { kid: 'added-by-operator' });
      proxy.mode = 'custom';
      proxy.custom = { keys: [...good, jwkOf(added.publicKey, 'added-by-operator')] };
      // Within the hour-long cooldown, an unknown kid fetches nothing.
      let before = proxy.requests;
      expect((await request(patient.url, '/profile', { token })).status).toBe(401);
      expect(proxy.requests).toBe(before);

      let from = patient.output().length;
      patient.process.kill('SIGHUP');
      await outputAfter(patient, from, '"added-by-operator"');
      expect(proxy.requests).toBe(before + 1);
      expect(patient.process.exitCode).toBeNull();
      expect((await request(patient.url, '/profile', { token })).status).toBe(200);

      before = proxy.requests;
      from = patient.output().length;
      patient.process.kill('SIGHUP');
      expect(await outputAfter(patient, from, 'fetched on request, unchanged')).toContain('"added-by-operator"');
      expect(proxy.requests).toBe(before + 1);
      expect((await request(patient.url, '/profile', { token: await login() })).status).toBe(200);
    } finally {
      proxy.mode = 'forward';
      await stopDemo(patient);
    }
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
