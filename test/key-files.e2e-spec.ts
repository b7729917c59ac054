import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, createPublicKey, generateKeyPairSync, verify, type KeyObject } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KeyReloader, Rs256AuthError, type Rs256AuthModuleOptions } from '../src/index.js';
import { createApp, WIRINGS } from './fixtures/app.js';
import { listen, request } from './support/http.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { LogCapture } from './support/log-capture.js';
import { errorText, startupError } from './support/startup.js';
import { craftToken, rs256Token, validClaims } from './support/tokens.js';

let keys: KeyFiles;
let work: string;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'rs256-auth-key-files-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

const read = (path: string): string => readFileSync(path, 'utf8');
const spki = (key: KeyObject): string => key.export({ type: 'spki', format: 'pem' }) as string;
const file = (name: string, content: string | Buffer): string => {
  const path = join(work, name);
  writeFileSync(path, content);
  return path;
};
const mkfifo = (name: string): string => {
  const path = join(work, name);
  expect(spawnSync('mkfifo', [path]).status).toBe(0);
  return path;
};
/** A process that opens `fifo` for writing (waiting for a reader) and writes `content` into it. */
const fifoWriter = (fifo: string, content: string): ChildProcess =>
  spawn('sh', ['-c', 'exec cat "$0" > "$1"', file('fifo-content.pem', content), fifo], { stdio: 'ignore' });

/** The body lines of every PEM block in `pems`, cut to 24 characters: none may appear anywhere. */
function keyBodies(...pems: string[]): string[] {
  return pems.flatMap((pem) =>
    pem
      .split('\n')
      .filter((line) => !line.startsWith('-----') && line.length >= 24)
      .map((line) => line.slice(0, 24)),
  );
}

describe.each(WIRINGS)('key material given as a path is never quoted (%s)', (wiring) => {
  const privatePem = (): string => read(keys.privatePath);
  const publicPem = (): string => read(keys.publicPath);
  it.each([
    [
      'a PEM private key in JWT_PRIVATE_KEY_PATH',
      () => ({ env: { JWT_PRIVATE_KEY_PATH: privatePem() } }),
      ['JWT_PRIVATE_KEY_PATH', 'inline in JWT_PRIVATE_KEY,'],
    ],
    [
      'a PEM public key in JWT_PUBLIC_KEY_PATH',
      () => ({ env: { JWT_PUBLIC_KEY_PATH: publicPem() } }),
      ['JWT_PUBLIC_KEY_PATH', 'inline in JWT_PUBLIC_KEY,'],
    ],
    [
      'a PEM in a comma-separated JWT_PUBLIC_KEY_PATH',
      () => ({ env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_PUBLIC_KEY_PATH: `${keys.publicPath},${publicPem()}` } }),
      ['JWT_PUBLIC_KEY_PATH', 'inline in JWT_PUBLIC_KEY,'],
    ],
    [
      'a PEM with its newlines flattened to \\n',
      () => ({ env: { JWT_PRIVATE_KEY_PATH: privatePem().replace(/\n/g, '\\n') } }),
      ['JWT_PRIVATE_KEY_PATH'],
    ],
    [
      'a base64-encoded PEM',
      () => ({ env: { JWT_PUBLIC_KEY_PATH: Buffer.from(publicPem()).toString('base64') } }),
      ['JWT_PUBLIC_KEY_PATH', 'inline in JWT_PUBLIC_KEY,'],
    ],
    ['a value longer than any path', () => ({ env: { JWT_PRIVATE_KEY_PATH: 'A'.repeat(5000) } }), ['JWT_PRIVATE_KEY_PATH', '4096']],
    [
      'a PEM in the keys.privateKeyPath option',
      () => ({ options: { keys: { privateKeyPath: privatePem() } } }),
      ['keys.privateKeyPath option', 'inline in keys.privateKey option,'],
    ],
    [
      'a PEM in the keys.publicKeyPath option list',
      () => ({ options: { keys: { publicKeyPath: [{ path: publicPem(), kid: 'k' }] } } }),
      ['keys.publicKeyPath option', 'inline in keys.publicKey option,'],
    ],
  ] as [string, () => { env?: Record<string, string>; options?: Rs256AuthModuleOptions }, string[]][])(
    '%s: refused, naming the inline setting, with no key body in message, causes, stack or logs',
    async (_name, config, mustMention) => {
      const logs = new LogCapture();
      const error = await startupError(wiring, config(), logs);
      expect(error.code).toBe('RS256_CONFIG_INVALID');
      expect(error.message).toContain('looks like a PEM key rather than a path');
      for (const fragment of mustMention) {
        expect(error.message).toContain(fragment);
      }
      const seen = `${errorText(error)}\n${logs.lines.join('\n')}`;
      expect(seen).not.toMatch(/-----BEGIN [A-Z ]*KEY/);
      const bodies = keyBodies(privatePem(), publicPem());
      for (const body of [...bodies, ...bodies.map((line) => Buffer.from(line).toString('base64').slice(0, 24))]) {
        expect(seen).not.toContain(body);
      }
    },
  );
});

describe('every PEM block of a key source is inspected', () => {
  const both = (): string => read(keys.publicPath) + read(keys.privatePath);
  it.each([
    ['a public key file followed by the private key (cat public.pem private.pem)', () => ({ JWT_PUBLIC_KEY_PATH: file('keys.pem', both()) })],
    ['the private key followed by the public key', () => ({ JWT_PUBLIC_KEY_PATH: file('keys.pem', read(keys.privatePath) + read(keys.publicPath)) })],
    [
      'a PKCS#1 private key after the public key',
      () => ({ JWT_PUBLIC_KEY_PATH: file('keys.pem', read(keys.publicPath) + read(keys.privatePkcs1Path)) }),
    ],
    [
      'an encrypted private key after the public key',
      () => ({ JWT_PUBLIC_KEY_PATH: file('keys.pem', read(keys.publicPath) + read(keys.encryptedPath)) }),
    ],
    [
      'a private key whose block is not even closed',
      () => ({ JWT_PUBLIC_KEY_PATH: file('keys.pem', read(keys.publicPath) + read(keys.privatePath).split('-----END')[0]) }),
    ],
    [
      'such a file in a key folder',
      () => (mkdirSync(join(work, 'public')), file('public/keys.pem', both()), { JWT_PUBLIC_KEY_PATH: join(work, 'public') }),
    ],
    ['such a PEM inline in JWT_PUBLIC_KEY', () => ({ JWT_PUBLIC_KEY: both() })],
    ['such a PEM inline, base64-encoded', () => ({ JWT_PUBLIC_KEY: Buffer.from(both()).toString('base64') })],
  ])('%s: RS256_PRIVATE_KEY_AS_PUBLIC', async (_name, env) => {
    const error = await startupError('forRoot', { env: env() });
    expect(error.code).toBe('RS256_PRIVATE_KEY_AS_PUBLIC');
    expect(error.message).toMatch(/JWT_PUBLIC_KEY(_PATH)?/);
  });

  it('refuses two public keys in one file (one key per file; a folder or a list holds several)', async () => {
    const path = file('two.pem', read(keys.publicPath) + read(keys.otherPublicPath));
    const error = await startupError('forRoot', { env: { JWT_PUBLIC_KEY_PATH: path } });
    expect(error.code).toBe('RS256_KEY_AMBIGUOUS');
    expect(error.message).toContain(`JWT_PUBLIC_KEY_PATH ("${path}")`);
    expect(error.message).toContain('2 PEM blocks (PUBLIC KEY, PUBLIC KEY)');
  });

  it.each([
    ['the private key and its public key', () => read(keys.privatePath) + read(keys.publicPath), 'PRIVATE KEY, PUBLIC KEY'],
    ['two private keys', () => read(keys.privatePath) + read(keys.otherPrivatePath), 'PRIVATE KEY, PRIVATE KEY'],
  ])('refuses a private key file holding %s (exactly one block, the private key)', async (_name, content, labels) => {
    const path = file('private.pem', content());
    const error = await startupError('forRoot', { env: { JWT_PRIVATE_KEY_PATH: path } });
    expect(error.code).toBe('RS256_KEY_AMBIGUOUS');
    expect(error.message).toContain(`JWT_PRIVATE_KEY_PATH ("${path}")`);
    expect(error.message).toContain(labels);
  });

  it('refuses a BEGIN line without its END line', async () => {
    const path = file('cut.pem', read(keys.publicPath) + '-----BEGIN PUBLIC KEY-----\nMIIB\n');
    const error = await startupError('forRoot', { env: { JWT_PUBLIC_KEY_PATH: path } });
    expect(error.code).toBe('RS256_KEY_NOT_PEM');
    expect(error.message).toContain('"-----END"');
  });

  it('still takes one key with text around it (openssl "Bag Attributes", comments)', async () => {
    const path = file('annotated.pem', `Bag Attributes\n    friendlyName: main\n${read(keys.publicPath)}\n# rotated 2026-11\n`);
    const { app } = await createApp({ env: { JWT_PUBLIC_KEY_PATH: path } });
    try {
      const url = await listen(app);
      expect((await request(url, '/profile', { token: rs256Token(keys.main.privateKey, validClaims()) })).status).toBe(200);
    } finally {
      await app.close();
    }
  });
});

describe('only regular files of at most 64 KiB are read', () => {
  const writers: ChildProcess[] = [];
  afterEach(() => {
    for (const writer of writers.splice(0)) writer.kill();
  });

  it.each([
    ['a FIFO nobody writes to (would wait forever)', () => ({ path: mkfifo('public.pem') }), 'a FIFO'],
    [
      'a FIFO that a process fills with a valid key',
      () => {
        const path = mkfifo('public.pem');
        writers.push(fifoWriter(path, read(keys.publicPath)));
        return { path };
      },
      'a FIFO',
    ],
    ['/dev/zero (endless)', () => ({ path: '/dev/zero' }), 'a device'],
    ['/dev/urandom (endless)', () => ({ path: '/dev/urandom' }), 'a device'],
    [
      'a regular file over 64 KiB, even if it holds a valid key',
      () => ({ path: file('big.pem', '\n'.repeat(64 * 1024) + read(keys.publicPath)) }),
      'larger than 65536 bytes',
    ],
  ])('%s as the key path: RS256_KEY_UNREADABLE at start-up, naming setting and path', async (_name, make, reason) => {
    const { path } = make();
    const error = await startupError('forRoot', { env: { JWT_PUBLIC_KEY_PATH: path } });
    expect(error.code).toBe('RS256_KEY_UNREADABLE');
    expect(error.message).toContain(`JWT_PUBLIC_KEY_PATH ("${path}")`);
    expect(error.message).toContain(reason);
  });

  it('a FIFO as the private key path, likewise', async () => {
    const path = mkfifo('private.pem');
    const error = await startupError('forRootAsync', { options: { keys: { privateKeyPath: path } } });
    expect(error.code).toBe('RS256_KEY_UNREADABLE');
    expect(error.message).toContain(`keys.privateKeyPath option ("${path}")`);
  });

  it('in a key folder, a FIFO named like a key file is refused; one named otherwise is never opened', async () => {
    mkdirSync(join(work, 'public'));
    file('public/a.pem', read(keys.publicPath));
    mkfifo('public/notes.fifo');
    const { app } = await createApp({ env: { JWT_PUBLIC_KEY_PATH: join(work, 'public') } });
    await app.close();
    const fifo = mkfifo('public/b.pem');
    const error = await startupError('forRoot', { env: { JWT_PUBLIC_KEY_PATH: join(work, 'public') } });
    expect(error.code).toBe('RS256_KEY_UNREADABLE');
    expect(error.message).toContain(`JWT_PUBLIC_KEY_PATH ("${fifo}")`);
  });

  it('a FIFO swapped in before a reload: the reload fails, the old keys stay, requests are served meanwhile', async () => {
    const privatePath = file('private.pem', read(keys.privatePath));
    const logs = new LogCapture();
    const { app, jwt } = await createApp({ env: { JWT_PRIVATE_KEY_PATH: privatePath }, logger: logs });
    try {
      const url = await listen(app);
      const token = jwt.sign({ sub: 'u' });
      const reloader = app.get(KeyReloader);
      // Once with nobody writing (a blocking read would hang the process), once with a writer offering the other key.
      for (const writer of [undefined, read(keys.otherPrivatePath)]) {
        const fifo = mkfifo('next.pem');
        renameSync(fifo, privatePath);
        if (writer) writers.push(fifoWriter(privatePath, writer));
        const [reloaded, response] = await Promise.all([reloader.reload(), request(url, '/profile', { token })]);
        expect(reloaded).toBe(false);
        expect(response.status).toBe(200);
        expect(jwt.sign({ sub: 'u' }).split('.')[0]).toBe(token.split('.')[0]);
        rmSync(privatePath);
      }
      const errors = logs.matching(/^ERROR/);
      expect(errors).toHaveLength(2);
      for (const line of errors) {
        expect(line).toContain(`JWT_PRIVATE_KEY_PATH ("${privatePath}"): is a FIFO`);
      }
    } finally {
      await app.close();
    }
  });
});

describe('reloads', () => {
  it('run one after another: a slow reload started first never replaces the set of a later one', async () => {
    // Every reload reads the private key first, then 200 public key files: run side by side, one started first would
    // finish last and put back what it read before the files changed.
    mkdirSync(join(work, 'public'));
    for (let copy = 0; copy < 200; copy++) file(`public/main-${String(copy).padStart(3, '0')}.pem`, read(keys.publicPath));
    file('public/other.pem', read(keys.otherPublicPath));
    const privatePath = file('reloaded-private.pem', read(keys.privatePath));
    const { app, jwt } = await createApp({ env: { JWT_PRIVATE_KEY_PATH: privatePath, JWT_PUBLIC_KEY_PATH: join(work, 'public') } });
    try {
      const reloader = app.get(KeyReloader);
      const replacement = file('replacement-private.pem', read(keys.otherPrivatePath));
      const first = reloader.reload();
      // Once a reload has opened the private key file, it reads the key it opened: renaming another file over the
      // path changes what a later open finds, not what that one reads.
      for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
      renameSync(replacement, privatePath);
      const second = reloader.reload();
      expect(await Promise.all([first, second])).toEqual([true, true]);
      const token = jwt.sign({ sub: 'u' });
      expect(
        verify('sha256', Buffer.from(token.split('.').slice(0, 2).join('.')), keys.other.publicKey, Buffer.from(token.split('.')[2], 'base64url')),
      ).toBe(true);
    } finally {
      await app.close();
    }
  });
});

describe('RSA public exponents outside FIPS 186-5 are refused at start-up', () => {
  /** The modulus of a real key with a chosen exponent, as a key file would carry it. */
  const withExponent = (e: bigint): KeyObject => {
    const { n } = keys.main.publicKey.export({ format: 'jwk' });
    const hex = e.toString(16);
    const bytes = Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex');
    return createPublicKey({ key: { kty: 'RSA', n, e: bytes.toString('base64url') }, format: 'jwk' });
  };

  it.each([
    ['e = 1', 1n, 'exponent is 1;'],
    ['e = 3', 3n, 'exponent is 3;'],
    ['an even e (65538)', 65538n, 'exponent is 65538;'],
    ['a 3072-bit e', (1n << 3071n) | 1n, 'a 3072-bit number'],
  ])('a public key with %s: RS256_KEY_EXPONENT_INVALID naming setting and path', async (_name, e, shown) => {
    const path = file('public.pem', spki(withExponent(e)));
    const error = await startupError('forRoot', { env: { JWT_PUBLIC_KEY_PATH: path } });
    expect(error.code).toBe('RS256_KEY_EXPONENT_INVALID');
    expect(error.message).toContain(`JWT_PUBLIC_KEY_PATH ("${path}")`);
    expect(error.message).toContain(shown);
  });

  it('a private key generated with e = 3', async () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048, publicExponent: 3 });
    const path = file('private.pem', privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    const error = await startupError('forRoot', { env: { JWT_PRIVATE_KEY_PATH: path } });
    expect(error.code).toBe('RS256_KEY_EXPONENT_INVALID');
    expect(error.message).toContain(`JWT_PRIVATE_KEY_PATH ("${path}")`);
  });

  it('e = 1 is refused because with it anyone forges tokens: the padded digest is its own signature', async () => {
    const key = withExponent(1n);
    // EMSA-PKCS1-v1_5 (RFC 8017 §9.2) of the signing input: no private key involved.
    const forge = (input: Buffer): Buffer => {
      const digestInfo = Buffer.concat([Buffer.from('3031300d060960864801650304020105000420', 'hex'), createHash('sha256').update(input).digest()]);
      return Buffer.concat([Buffer.from([0, 1]), Buffer.alloc(256 - 3 - digestInfo.length, 0xff), Buffer.from([0]), digestInfo]);
    };
    const forged = craftToken({ alg: 'RS256', typ: 'JWT' }, validClaims({ sub: 'admin' }), forge);
    const [header, payload, signature] = forged.split('.');
    expect(verify('sha256', Buffer.from(`${header}.${payload}`), key, Buffer.from(signature, 'base64url'))).toBe(true);

    // Were the key accepted, the forged token would open the app: the exponent check is all that stops it.
    const outcome = await createApp({ env: { JWT_PUBLIC_KEY_PATH: file('public.pem', spki(key)) } }).then(
      async ({ app }) => {
        try {
          const status = (await request(await listen(app), '/profile', { token: forged })).status;
          return `the app started with e = 1, and the forged token got ${status}`;
        } finally {
          await app.close();
        }
      },
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(Rs256AuthError);
    expect(outcome).toMatchObject({ code: 'RS256_KEY_EXPONENT_INVALID' });
  });
});

describe.each(WIRINGS)('a passphrase for an unencrypted private key is refused (%s)', (wiring) => {
  it('from environment variables, naming both', async () => {
    const error = await startupError(wiring, { env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_PRIVATE_KEY_PASSPHRASE: 'secret' } });
    expect(error.code).toBe('RS256_CONFIG_INVALID');
    expect(error.message).toContain('JWT_PRIVATE_KEY_PASSPHRASE is set');
    expect(error.message).toContain(`JWT_PRIVATE_KEY_PATH ("${keys.privatePath}") is not encrypted`);
    expect(error.message).not.toContain('secret');
  });

  it('from module options, an inline PKCS#1 key', async () => {
    const error = await startupError(wiring, { options: { keys: { privateKey: read(keys.privatePkcs1Path), privateKeyPassphrase: 'secret' } } });
    expect(error.code).toBe('RS256_CONFIG_INVALID');
    expect(error.message).toContain('keys.privateKeyPassphrase option');
    expect(error.message).toContain('keys.privateKey option');
  });
});
