import { mkdirSync, mkdtempSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Test } from '@nestjs/testing';
import { KeyReloader, Rs256AuthError } from '../src/index.js';
import { appModule, createApp } from './fixtures/app.js';
import { listen, request } from './support/http.js';
import { createKeyFiles, rsaPair, type KeyFiles, type RsaPair } from './support/keys.js';
import { LogCapture } from './support/log-capture.js';
import { createDevKeys, hangUp, startDemo, stopDemo } from './support/processes.js';
import { rs256Token, validClaims } from './support/tokens.js';

let keys: KeyFiles;
let work: string;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'rs256-auth-rotation-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const pem = {
  private: (pair: RsaPair) => pair.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
  public: (pair: RsaPair) => pair.publicKey.export({ type: 'spki', format: 'pem' }) as string,
};
const kidOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid;
const jwksKids = async (url: string): Promise<string[]> =>
  (await request(url, '/.well-known/jwks.json')).body.keys.map((key: { kid: string }) => key.kid);

describe('several verification keys, selected by kid', () => {
  it('verifies tokens of every key in a folder; with several keys a kid is required and must be known', async () => {
    mkdirSync(join(work, 'public'));
    writeFileSync(join(work, 'public/a.pem'), pem.public(keys.main));
    writeFileSync(join(work, 'public/b.pub'), pem.public(keys.other));
    writeFileSync(join(work, 'public/notes.txt'), 'not a key, not read');
    const { app, jwt } = await createApp({ env: { JWT_PUBLIC_KEY_PATH: join(work, 'public'), JWT_JWKS_ENABLED: 'true' } });
    try {
      const url = await listen(app);
      const kids = await jwksKids(url);
      expect(kids).toHaveLength(2);
      for (const [pair, kid] of [
        [keys.main, kids[0]],
        [keys.other, kids[1]],
      ] as const) {
        expect((await request(url, '/profile', { token: rs256Token(pair.privateKey, validClaims(), { kid }) })).status).toBe(200);
      }
      const noKid = await request(url, '/profile', { token: rs256Token(keys.main.privateKey, validClaims()) });
      expect(noKid.status).toBe(401);
      expect(noKid.headers.get('www-authenticate')).toContain('token has no kid and several keys are configured');
      const wrongKid = await request(url, '/profile', { token: rs256Token(keys.main.privateKey, validClaims(), { kid: kids[1] }) });
      expect(wrongKid.headers.get('www-authenticate')).toContain('invalid signature');
      expect(() => jwt.sign({ sub: 'u' })).toThrow(Rs256AuthError);
    } finally {
      await app.close();
    }
  });

  it('takes comma-separated files in JWT_PUBLIC_KEY_PATH', async () => {
    const env = {
      JWT_PRIVATE_KEY_PATH: keys.privatePath,
      JWT_PUBLIC_KEY_PATH: `${keys.otherPublicPath}, ${keys.publicPath}`,
      JWT_JWKS_ENABLED: 'true',
    };
    const { app, jwt } = await createApp({ env });
    try {
      const url = await listen(app);
      expect(await jwksKids(url)).toHaveLength(2);
      expect((await request(url, '/profile', { token: jwt.sign({ sub: 'u' }) })).status).toBe(200);
      const otherKid = (await jwksKids(url)).find((kid) => kid !== kidOf(jwt.sign({ sub: 'u' })))!;
      expect((await request(url, '/profile', { token: rs256Token(keys.other.privateKey, validClaims(), { kid: otherKid }) })).status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('uses a configured kid in place of the thumbprint, for verifying and for signing', async () => {
    const { app, jwt } = await createApp({
      options: { keys: { privateKeyPath: keys.privatePath, publicKeyPath: [keys.otherPublicPath, { path: keys.publicPath, kid: 'main-2026' }] } },
    });
    try {
      const url = await listen(app);
      const token = jwt.sign({ sub: 'u' });
      expect(kidOf(token)).toBe('main-2026');
      expect((await request(url, '/profile', { token })).status).toBe(200);
      expect((await request(url, '/profile', { token: rs256Token(keys.main.privateKey, validClaims(), { kid: 'unknown' }) })).status).toBe(401);
    } finally {
      await app.close();
    }
  });

  it.each([
    [
      'no public key belongs to the private key',
      () => ({ JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_PUBLIC_KEY_PATH: keys.otherPublicPath }),
      'RS256_KEY_MISMATCH',
    ],
    ['a folder with no key file', () => (mkdirSync(join(work, 'empty')), { JWT_PUBLIC_KEY_PATH: join(work, 'empty') }), 'RS256_KEY_NOT_FOUND'],
    ['a private key inside the public key folder', () => ({ JWT_PUBLIC_KEY_PATH: keys.dir }), 'RS256_PRIVATE_KEY_AS_PUBLIC'],
  ])('refuses at start-up: %s', async (_name, env, code) => {
    await expect(Test.createTestingModule({ imports: [appModule({ env: env() })] }).compile()).rejects.toMatchObject({ code });
  });

  it('refuses one kid for two different keys', async () => {
    const options = {
      keys: {
        publicKeyPath: [
          { path: keys.publicPath, kid: 'k' },
          { path: keys.otherPublicPath, kid: 'k' },
        ],
      },
    };
    await expect(Test.createTestingModule({ imports: [appModule({ options })] }).compile()).rejects.toMatchObject({
      code: 'RS256_CONFIG_INVALID',
      message: expect.stringContaining('kid "k" names two different keys'),
    });
  });
});

describe('rotation without restart', () => {
  it('walks the documented procedure: add the new public key, switch the private key, drop the old public key', async () => {
    const [oldPair, newPair] = [keys.main, keys.other];
    mkdirSync(join(work, 'public'));
    writeFileSync(join(work, 'private.pem'), pem.private(oldPair));
    writeFileSync(join(work, 'public/old.pem'), pem.public(oldPair));
    const logs = new LogCapture();
    const env = { JWT_PRIVATE_KEY_PATH: join(work, 'private.pem'), JWT_PUBLIC_KEY_PATH: join(work, 'public'), JWT_JWKS_ENABLED: 'true' };
    const { app, jwt } = await createApp({ env, logger: logs });
    try {
      const url = await listen(app);
      const reloader = app.get(KeyReloader);
      const oldToken = jwt.sign({ sub: 'u' });
      expect((await request(url, '/profile', { token: oldToken })).status).toBe(200);

      // 1. Add the new public key and deploy: both verify, the old key still signs.
      writeFileSync(join(work, 'public/new.pem'), pem.public(newPair));
      expect(await reloader.reload()).toBe(true);
      expect(await jwksKids(url)).toHaveLength(2);
      expect(kidOf(jwt.sign({ sub: 'u' }))).toBe(kidOf(oldToken));
      expect((await request(url, '/profile', { token: oldToken })).status).toBe(200);

      // 2. Switch the private key: new tokens carry the new kid, old tokens keep working.
      writeFileSync(join(work, 'private.pem'), pem.private(newPair));
      expect(await reloader.reload()).toBe(true);
      const newToken = jwt.sign({ sub: 'u' });
      expect(kidOf(newToken)).not.toBe(kidOf(oldToken));
      expect((await request(url, '/profile', { token: newToken })).status).toBe(200);
      expect((await request(url, '/profile', { token: oldToken })).status).toBe(200);

      // 3. After the longest token lifetime, drop the old public key: its tokens stop working (cache included).
      unlinkSync(join(work, 'public/old.pem'));
      expect(await reloader.reload()).toBe(true);
      const refused = await request(url, '/profile', { token: oldToken });
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toContain('kid');
      expect((await request(url, '/profile', { token: newToken })).status).toBe(200);
      expect(await jwksKids(url)).toEqual([kidOf(newToken)]);
      expect(logs.matching(/Keys reloaded/)).toHaveLength(3);
    } finally {
      await app.close();
    }
  });

  it('keeps the current keys when the new files fail a check, and logs one error naming the file', async () => {
    writeFileSync(join(work, 'private.pem'), pem.private(keys.main));
    const logs = new LogCapture();
    const { app, jwt } = await createApp({ env: { JWT_PRIVATE_KEY_PATH: join(work, 'private.pem') }, logger: logs });
    try {
      const url = await listen(app);
      const token = jwt.sign({ sub: 'u' });
      for (const broken of ['not a key', pem.public(keys.other), readFileSync(keys.smallPrivatePath, 'utf8')]) {
        writeFileSync(join(work, 'private.pem'), broken);
        expect(await app.get(KeyReloader).reload()).toBe(false);
        expect((await request(url, '/profile', { token })).status).toBe(200);
        expect(kidOf(jwt.sign({ sub: 'u' }))).toBe(kidOf(token));
      }
      const errors = logs.matching(/^ERROR/);
      expect(errors).toHaveLength(3);
      for (const line of errors) {
        expect(line).toContain(`JWT_PRIVATE_KEY_PATH ("${join(work, 'private.pem')}")`);
        expect(line).toContain('the current keys stay in force');
      }
      expect(logs.lines.join('\n')).not.toContain('PRIVATE KEY');
    } finally {
      await app.close();
    }
  });

  it('listens for SIGHUP unless JWT_RELOAD_ON_SIGHUP=false, and stops listening when the app closes', async () => {
    const before = process.listenerCount('SIGHUP');
    const listening = await createApp({ env: { JWT_PRIVATE_KEY_PATH: keys.privatePath } });
    expect(process.listenerCount('SIGHUP')).toBe(before + 1);
    const deaf = await createApp({ env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_RELOAD_ON_SIGHUP: 'false' } });
    expect(process.listenerCount('SIGHUP')).toBe(before + 1);
    await Promise.all([listening.app.close(), deaf.app.close()]);
    expect(process.listenerCount('SIGHUP')).toBe(before);
  });

  it('reloads by itself when a key file changes, with keys.watchFiles', async () => {
    mkdirSync(join(work, 'public'));
    writeFileSync(join(work, 'public/a.pem'), pem.public(keys.main));
    const { app } = await createApp({ env: { JWT_PUBLIC_KEY_PATH: join(work, 'public'), JWT_WATCH_KEY_FILES: 'true' } });
    try {
      const url = await listen(app);
      const fresh = rsaPair();
      const token = rs256Token(fresh.privateKey, validClaims());
      expect((await request(url, '/profile', { token })).status).toBe(401);
      writeFileSync(join(work, 'public/a.pem'), pem.public(fresh));
      let status = 401;
      for (let attempt = 0; attempt < 50 && status !== 200; attempt++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        status = (await request(url, '/profile', { token })).status;
      }
      expect(status).toBe(200);
    } finally {
      await app.close();
    }
  });

  it('starts, and logs one error naming the folder, when a key folder cannot be watched', async () => {
    const parent = join(work, 'gone');
    const folder = join(parent, 'public');
    mkdirSync(folder, { recursive: true });
    writeFileSync(join(folder, 'a.pem'), pem.public(keys.main));
    const moduleRef = await Test.createTestingModule({
      imports: [appModule({ env: { JWT_PUBLIC_KEY_PATH: folder, JWT_WATCH_KEY_FILES: 'true' } })],
    }).compile();
    const logs = new LogCapture();
    moduleRef.useLogger(logs);
    // Read at start-up, gone before the watch begins: fs.watch throws (as it does past the system's limit on watches).
    rmSync(parent, { recursive: true });
    await moduleRef.init();
    const errors = logs.matching(/^ERROR/);
    expect(errors).toEqual([expect.stringContaining(`Cannot watch ${parent} for changes to the keys: `)]);
    expect(errors[0]).toContain('ENOENT');
    await moduleRef.close();
  });
});

describe('SIGHUP on a running server (the demo, a real process)', () => {
  it('rotates on the signal, and a broken file changes nothing but a log line', async () => {
    expect(createDevKeys(work).status).toBe(0);
    mkdirSync(join(work, 'keys/public'));
    writeFileSync(join(work, 'keys/public/current.pem'), readFileSync(join(work, 'keys/public.pem')));
    const demo = await startDemo(work, { JWT_PUBLIC_KEY_PATH: 'keys/public' });
    const login = async (): Promise<string> =>
      (await request(demo.url, '/auth/login', { method: 'POST', body: { username: 'demo', password: 'demo-password' } })).body.access_token;
    try {
      const oldToken = await login();
      const next = rsaPair();
      writeFileSync(join(work, 'keys/public/next.pem'), pem.public(next));
      await hangUp(demo, 'Keys reloaded');
      writeFileSync(join(work, 'keys/private.pem'), pem.private(next));
      await hangUp(demo, 'Keys reloaded');
      const newToken = await login();
      expect(kidOf(newToken)).not.toBe(kidOf(oldToken));
      expect((await request(demo.url, '/profile', { token: oldToken })).status).toBe(200);
      expect((await request(demo.url, '/profile', { token: newToken })).status).toBe(200);

      writeFileSync(join(work, 'keys/private.pem'), 'garbage');
      await hangUp(demo, 'Key reload failed');
      expect(demo.output()).toContain('JWT_PRIVATE_KEY_PATH ("keys/private.pem")');
      expect(kidOf(await login())).toBe(kidOf(newToken));
      expect((await request(demo.url, '/profile', { token: newToken })).status).toBe(200);

      unlinkSync(join(work, 'keys/public/current.pem'));
      writeFileSync(join(work, 'keys/private.pem'), pem.private(next));
      await hangUp(demo, 'Keys reloaded');
      expect((await request(demo.url, '/profile', { token: oldToken })).status).toBe(401);
      expect((await request(demo.url, '/profile', { token: newToken })).status).toBe(200);
    } finally {
      await stopDemo(demo);
    }
  });
});
