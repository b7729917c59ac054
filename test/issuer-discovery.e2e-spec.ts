import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { discoverJwksUri } from '../src/issuers/issuer-discovery.js';
import { RemoteJwks, type TrustedIssuerOptions } from '../src/index.js';
import { createApp, WIRINGS } from './fixtures/app.js';
import { listen, request } from './support/http.js';
import { createKeyFiles, type KeyFiles, type RsaPair } from './support/keys.js';
import { LogCapture } from './support/log-capture.js';
import { rs256Token, validClaims } from './support/tokens.js';
import { until } from './support/until.js';

/** An issuer's metadata server: serves the given documents by path, 404 for anything else, and logs each path asked for. */
class MetadataServer {
  readonly asked: string[] = [];
  documents: Record<string, unknown> = {};
  private readonly server: Server = createServer((req, res) => {
    const path = req.url ?? '';
    this.asked.push(path);
    const document = this.documents[path];
    if (document === undefined) {
      res.writeHead(404).end();
    } else {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(document));
    }
  });
  origin = '';

  async listen(): Promise<void> {
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done));
    this.origin = `http://127.0.0.1:${(this.server.address() as { port: number }).port}`;
  }

  close(): Promise<void> {
    return new Promise((done) => this.server.close(() => done()));
  }
}

const OPTIONS = { timeoutMs: 2000, maxBytes: 65536, allowHttp: false };

/** The audience of this resource server: every resource server of an identity provider needs one. */
const API = 'https://api.example.test';

describe('issuer discovery (OpenID Connect Discovery, then RFC 8414)', () => {
  const metadata = new MetadataServer();
  beforeAll(() => metadata.listen());
  afterAll(() => metadata?.close());
  beforeEach(() => {
    metadata.asked.length = 0;
  });

  it('takes jwks_uri from /.well-known/openid-configuration', async () => {
    const issuer = metadata.origin;
    metadata.documents = { '/.well-known/openid-configuration': { issuer, jwks_uri: `${issuer}/keys` } };
    expect((await discoverJwksUri(issuer, OPTIONS)).href).toBe(`${issuer}/keys`);
    expect(metadata.asked).toEqual(['/.well-known/openid-configuration']);
  });

  it('falls back to RFC 8414, inserting the well-known segment before the issuer’s path', async () => {
    const issuer = `${metadata.origin}/tenants/a`;
    metadata.documents = { '/.well-known/oauth-authorization-server/tenants/a': { issuer, jwks_uri: `${metadata.origin}/tenants/a/keys` } };
    expect((await discoverJwksUri(issuer, OPTIONS)).href).toBe(`${metadata.origin}/tenants/a/keys`);
    expect(metadata.asked).toEqual(['/tenants/a/.well-known/openid-configuration', '/.well-known/oauth-authorization-server/tenants/a']);
  });

  it('refuses metadata that names another issuer (mix-up), even one differing by a trailing slash', async () => {
    const issuer = metadata.origin;
    for (const named of ['https://evil.example', `${issuer}/`]) {
      metadata.documents = { '/.well-known/openid-configuration': { issuer: named, jwks_uri: `${issuer}/keys` } };
      await expect(discoverJwksUri(issuer, OPTIONS)).rejects.toThrow(`names issuer ${JSON.stringify(named)}, not ${JSON.stringify(issuer)}`);
    }
  });

  it.each([
    ['missing', {}],
    ['not a URL', { jwks_uri: 'keys' }],
    ['http: on a host that is not loopback', { jwks_uri: 'http://id.example.com/keys' }],
  ])('refuses a jwks_uri that is %s', async (_name, fields) => {
    const issuer = metadata.origin;
    metadata.documents = { '/.well-known/openid-configuration': { issuer, ...fields } };
    await expect(discoverJwksUri(issuer, OPTIONS)).rejects.toThrow('has no usable jwks_uri');
  });

  it('fails when neither document exists, naming both places', async () => {
    metadata.documents = {};
    await expect(discoverJwksUri(metadata.origin, OPTIONS)).rejects.toThrow(
      `no metadata at ${metadata.origin}/.well-known/openid-configuration or ${metadata.origin}/.well-known/oauth-authorization-server`,
    );
  });
});

describe.each(WIRINGS)('issuerResolver: dynamic tenants (%s)', (wiring) => {
  let keys: KeyFiles;
  beforeAll(() => {
    keys = createKeyFiles();
  });
  afterAll(() => keys.cleanup());

  it('asks the resolver once per issuer, remembers yes and no in a bounded cache, and isolates keys', async () => {
    const asked: string[] = [];
    const resolver = async (iss: string): Promise<TrustedIssuerOptions | undefined> => {
      asked.push(iss);
      if (iss === 'https://tenant-a.test') return { issuer: iss, publicKeyPath: keys.publicPath };
      if (iss === 'https://tenant-b.test') return { issuer: iss, publicKeyPath: keys.otherPublicPath, audience: 'b-api' };
      if (iss === 'https://tenant-c.test') return { issuer: iss, publicKeyPath: keys.publicPath };
      return undefined;
    };
    const { app } = await createApp({ wiring, options: { keys: { issuerResolver: resolver, issuerCacheSize: 2 }, tokens: { audience: API } } });
    const run = async (url: string): Promise<void> => {
      const tokenA = rs256Token(keys.main.privateKey, validClaims({ iss: 'https://tenant-a.test', aud: API }));
      const tokenB = rs256Token(keys.other.privateKey, validClaims({ iss: 'https://tenant-b.test', aud: 'b-api' }));
      const status = async (token: string): Promise<number> => (await request(url, '/profile', { token })).status;
      expect(await status(tokenA)).toBe(200);
      expect(await status(tokenA)).toBe(200);
      expect(await status(tokenB)).toBe(200);
      // B's audience is its own; A's key never verifies a token claiming B.
      expect(await status(rs256Token(keys.other.privateKey, validClaims({ iss: 'https://tenant-b.test', aud: API })))).toBe(401);
      expect(await status(rs256Token(keys.main.privateKey, validClaims({ iss: 'https://tenant-b.test', aud: 'b-api' })))).toBe(401);
      const refused = rs256Token(keys.main.privateKey, validClaims({ iss: 'https://unknown.test', aud: API }));
      expect(await status(refused)).toBe(401);
      expect(await status(refused)).toBe(401);
      expect(asked).toEqual(['https://tenant-a.test', 'https://tenant-b.test', 'https://unknown.test']);
      // Refused issuers are remembered apart: a flood of made-up ones never pushes an accepted issuer out.
      for (let i = 0; i < 5; i++) {
        expect(await status(rs256Token(keys.main.privateKey, validClaims({ iss: `https://made-up-${i}.test`, aud: API })))).toBe(401);
      }
      expect(await status(tokenA)).toBe(200);
      expect(await status(tokenB)).toBe(200);
      expect(asked.filter((iss) => iss === 'https://tenant-a.test' || iss === 'https://tenant-b.test')).toHaveLength(2);
      // The cache holds two accepted issuers: a third pushes out A, the least recently used, which is asked about again.
      expect(await status(rs256Token(keys.main.privateKey, validClaims({ iss: 'https://tenant-c.test', aud: API })))).toBe(200);
      expect(await status(tokenA)).toBe(200);
      expect(asked.slice(-2)).toEqual(['https://tenant-c.test', 'https://tenant-a.test']);
    };
    try {
      await run(await listen(app));
    } finally {
      await app.close();
    }
  });

  it('re-reads the key file a resolver answer named on SIGHUP (refreshNow), keeping the keys when the file is bad', async () => {
    const keyFile = join(keys.dir, `tenant-${wiring}.pem`);
    writeFileSync(keyFile, readFileSync(keys.publicPath));
    const resolver = (iss: string): TrustedIssuerOptions | undefined =>
      iss === 'https://tenant-e.test' ? { issuer: iss, publicKeyPath: keyFile } : undefined;
    const logs = new LogCapture();
    const { app } = await createApp({ wiring, options: { keys: { issuerResolver: resolver }, tokens: { audience: API } }, logger: logs });
    try {
      const url = await listen(app);
      const status = async (pair: RsaPair): Promise<number> =>
        (await request(url, '/profile', { token: rs256Token(pair.privateKey, validClaims({ iss: 'https://tenant-e.test', aud: API })) })).status;
      expect(await status(keys.main)).toBe(200);
      writeFileSync(keyFile, readFileSync(keys.otherPublicPath));
      expect(await status(keys.other)).toBe(401);
      expect(await app.get(RemoteJwks).refreshNow()).toBe(true);
      expect(await status(keys.other)).toBe(200);
      expect(await status(keys.main)).toBe(401);
      writeFileSync(keyFile, readFileSync(keys.privatePath));
      expect(await app.get(RemoteJwks).refreshNow()).toBe(false);
      expect(await status(keys.other)).toBe(200);
      expect(logs.matching(/^ERROR/)).toEqual([
        expect.stringContaining(
          `Key reload of issuer "https://tenant-e.test" failed; the current keys stay in force. keys.issuerResolver option (issuer "https://tenant-e.test") publicKeyPath ("${keyFile}")`,
        ),
      ]);
      expect(logs.lines.join('\n')).not.toContain('PRIVATE KEY');
    } finally {
      await app.close();
    }
  });

  it('with keys.watchFiles, watches the key files of configured and resolved issuers, a resolved one until it leaves the cache', async () => {
    // A folder each: a watch sees every change in its folder, and a reload of one issuer set off by a write for the
    // other could still be logging when the test counts.
    const [configuredFile, resolvedFile] = [
      join(mkdtempSync(join(keys.dir, 'watched-')), 'configured.pem'),
      join(mkdtempSync(join(keys.dir, 'watched-')), 'resolved.pem'),
    ];
    writeFileSync(configuredFile, readFileSync(keys.publicPath));
    writeFileSync(resolvedFile, readFileSync(keys.publicPath));
    const resolver = (iss: string): TrustedIssuerOptions | undefined =>
      iss === 'https://tenant-g.test'
        ? { issuer: iss, publicKeyPath: resolvedFile }
        : iss === 'https://tenant-h.test'
          ? { issuer: iss, publicKeyPath: keys.publicPath }
          : undefined;
    const logs = new LogCapture();
    const { app } = await createApp({
      wiring,
      options: {
        keys: {
          trustedIssuers: [{ issuer: 'https://tenant-f.test', publicKeyPath: configuredFile }],
          issuerResolver: resolver,
          issuerCacheSize: 1,
          watchFiles: true,
        },
        tokens: { audience: API },
      },
      logger: logs,
    });
    const reloads = (iss: string): number => logs.matching(new RegExp(`Keys of issuer "${iss}" reloaded`)).length;
    const settled = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 1000));
    try {
      const url = await listen(app);
      const status = async (iss: string, pair: RsaPair): Promise<number> =>
        (await request(url, '/profile', { token: rs256Token(pair.privateKey, validClaims({ iss, aud: API })) })).status;
      /** Asks until the answer is 200, for at most 5 s: the change is picked up once writes settle. */
      const accepted = async (iss: string, pair: RsaPair): Promise<number> => {
        let answer = await status(iss, pair);
        for (let attempt = 0; attempt < 50 && answer !== 200; attempt++) {
          await new Promise((resolve) => setTimeout(resolve, 100));
          answer = await status(iss, pair);
        }
        return answer;
      };

      expect(await status('https://tenant-f.test', keys.main)).toBe(200);
      writeFileSync(configuredFile, readFileSync(keys.otherPublicPath));
      expect(await accepted('https://tenant-f.test', keys.other)).toBe(200);
      expect(await status('https://tenant-f.test', keys.main)).toBe(401);

      expect(await status('https://tenant-g.test', keys.main)).toBe(200);
      writeFileSync(resolvedFile, readFileSync(keys.otherPublicPath));
      expect(await accepted('https://tenant-g.test', keys.other)).toBe(200);

      // A second resolved issuer pushes the first out of the one-issuer cache: its file is no longer watched.
      expect(await status('https://tenant-h.test', keys.main)).toBe(200);
      const before = reloads('https://tenant-g.test');
      writeFileSync(resolvedFile, readFileSync(keys.publicPath));
      await settled();
      expect(reloads('https://tenant-g.test')).toBe(before);
    } finally {
      await app.close();
    }
    // Nor is anything watched once the app is closed.
    const before = reloads('https://tenant-f.test');
    writeFileSync(configuredFile, readFileSync(keys.publicPath));
    await settled();
    expect(reloads('https://tenant-f.test')).toBe(before);
  });

  it('JwtService.verifyAsync resolves an issuer as the guard does; verify, synchronous, knows only resolved ones', async () => {
    const resolver = (iss: string): TrustedIssuerOptions | undefined =>
      iss === 'https://tenant-c.test' ? { issuer: iss, publicKeyPath: keys.publicPath } : undefined;
    const { app, jwt } = await createApp({ wiring, options: { keys: { issuerResolver: resolver }, tokens: { audience: API } } });
    try {
      const token = rs256Token(keys.main.privateKey, validClaims({ iss: 'https://tenant-c.test', aud: API }));
      expect(() => jwt.verify(token)).toThrow('issuer not accepted');
      expect((await jwt.verifyAsync(token)).iss).toBe('https://tenant-c.test');
      expect(jwt.verify(token).iss).toBe('https://tenant-c.test');
      await expect(jwt.verifyAsync(rs256Token(keys.main.privateKey, validClaims({ iss: 'https://tenant-d.test', aud: API })))).rejects.toThrow(
        'issuer not accepted',
      );
    } finally {
      await app.close();
    }
  });
});

describe('issuerResolver that fails: its tenant is refused for the cooldown, not for good, and never waited for past the timeout', () => {
  let keys: KeyFiles;
  beforeAll(() => {
    keys = createKeyFiles();
  });
  afterAll(() => keys.cleanup());

  it('asks again once keys.remote.cooldown has passed after a resolver threw', async () => {
    const asked: string[] = [];
    const resolver = (iss: string): TrustedIssuerOptions => {
      asked.push(iss);
      if (asked.length === 1) throw new Error('tenant database unreachable');
      return { issuer: iss, publicKeyPath: keys.publicPath };
    };
    const logs = new LogCapture();
    const { app } = await createApp({
      options: { keys: { issuerResolver: resolver, remote: { cooldown: 1 } }, tokens: { audience: API } },
      logger: logs,
    });
    try {
      const url = await listen(app);
      const token = rs256Token(keys.main.privateKey, validClaims({ iss: 'https://tenant-t.test', aud: API }));
      const status = async (): Promise<number> => (await request(url, '/profile', { token })).status;
      expect(await status()).toBe(401);
      // Within the cooldown the failure is remembered: not asked again.
      expect(await status()).toBe(401);
      expect(asked).toHaveLength(1);
      expect(logs.matching(/issuerResolver could not resolve/)).toEqual([
        expect.stringContaining('refused for 1 s (keys.remote.cooldown), then it is asked again'),
      ]);
      // Past it, asked again: the tenant is back.
      await until(async () => (await status()) === 200, 10_000, 'the tenant accepted after the cooldown');
      expect(asked).toHaveLength(2);
    } finally {
      await app.close();
    }
  });

  it('answers 401 within keys.remote.timeout when the resolver never settles, for every request waiting on it', async () => {
    const asked: string[] = [];
    const resolver = (iss: string): Promise<TrustedIssuerOptions> => {
      asked.push(iss);
      return new Promise(() => undefined);
    };
    const logs = new LogCapture();
    const { app } = await createApp({
      options: { keys: { issuerResolver: resolver, remote: { timeout: 0.5 } }, tokens: { audience: API } },
      logger: logs,
    });
    try {
      const url = await listen(app);
      const token = rs256Token(keys.main.privateKey, validClaims({ iss: 'https://tenant-h.test', aud: API }));
      const start = performance.now();
      const answers = await Promise.all([1, 2, 3].map(() => request(url, '/profile', { token })));
      expect(answers.map((answer) => answer.status)).toEqual([401, 401, 401]);
      expect(performance.now() - start).toBeLessThan(5000);
      expect(asked).toEqual(['https://tenant-h.test']);
      expect(logs.matching(/issuerResolver could not resolve/)).toEqual([
        expect.stringContaining('did not answer within 0.5 s (keys.remote.timeout)'),
      ]);
    } finally {
      await app.close();
    }
  });
});
