import { spawnSync } from 'node:child_process';
import { createPrivateKey, createPublicKey } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calculateJwkThumbprint } from 'jose';
import { DIST, ROOT } from './support/paths.js';

// The built CLI, as `npx nestjs-rs256-auth` runs it (`npm test` builds first).
const CLI = join(DIST, 'cli/main.js');

function run(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [CLI, ...args], { cwd: work, encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

let work: string;
beforeEach(() => {
  work = mkdtempSync(join(tmpdir(), 'rs256-auth-cli-'));
});
afterEach(() => rmSync(work, { recursive: true, force: true }));

describe('nestjs-rs256-auth keygen', () => {
  it('writes a 2048-bit PKCS#8 private key (0600) and SPKI public key into keys/, and prints the kid', async () => {
    const { status, stdout } = run(['keygen']);
    expect(status).toBe(0);
    const privatePem = readFileSync(join(work, 'keys/private.pem'), 'utf8');
    const publicPem = readFileSync(join(work, 'keys/public.pem'), 'utf8');
    expect(privatePem).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    expect(publicPem).toMatch(/^-----BEGIN PUBLIC KEY-----\n/);
    expect(statSync(join(work, 'keys/private.pem')).mode & 0o777).toBe(0o600);
    const privateKey = createPrivateKey(privatePem);
    const publicKey = createPublicKey({ key: publicPem, format: 'pem', type: 'spki' });
    expect(privateKey.asymmetricKeyDetails?.modulusLength).toBe(2048);
    expect(createPublicKey(privateKey).export({ format: 'jwk' })).toEqual(publicKey.export({ format: 'jwk' }));
    const kid = await calculateJwkThumbprint(publicKey.export({ format: 'jwk' }) as { kty: 'RSA'; n: string; e: string });
    expect(stdout).toContain(`kid: ${kid}\n`);
    expect(stdout).not.toContain('PRIVATE KEY');
    expect(stdout).toContain('Keep keys/private.pem out of version control: add it (or keys/) to .gitignore');
  });

  it('honours --out and --bits', () => {
    expect(run(['keygen', '--out', 'deep/nested', '--bits', '3072']).status).toBe(0);
    const key = createPrivateKey(readFileSync(join(work, 'deep/nested/private.pem')));
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(3072);
  });

  it('encrypts the private key with the passphrase from --passphrase-env', () => {
    expect(run(['keygen', '--passphrase-env', 'KEY_PASS'], { KEY_PASS: 's3cret' }).status).toBe(0);
    const pem = readFileSync(join(work, 'keys/private.pem'), 'utf8');
    expect(pem).toMatch(/^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    expect(() => createPrivateKey({ key: pem, passphrase: 'wrong' })).toThrow();
    expect(createPrivateKey({ key: pem, passphrase: 's3cret' }).asymmetricKeyType).toBe('rsa');
  });

  it('refuses to overwrite without --force, and overwrites with it (keeping mode 0600)', () => {
    expect(run(['keygen']).status).toBe(0);
    const before = readFileSync(join(work, 'keys/public.pem'), 'utf8');
    const refused = run(['keygen']);
    expect(refused.status).toBe(1);
    expect(refused.stderr).toContain('already exist');
    expect(refused.stderr).toContain('--force');
    expect(readFileSync(join(work, 'keys/public.pem'), 'utf8')).toBe(before);
    expect(run(['keygen', '--force']).status).toBe(0);
    expect(readFileSync(join(work, 'keys/public.pem'), 'utf8')).not.toBe(before);
    expect(statSync(join(work, 'keys/private.pem')).mode & 0o777).toBe(0o600);
  });

  it.each([
    [['keygen', '--bits', '1024'], '--bits must be a whole number from 2048'],
    [['keygen', '--bits', 'many'], '--bits must be a whole number'],
    [['keygen', '--bogus'], "Unknown option '--bogus'"],
    [['keygen', '--outt', 'x'], "Unknown option '--outt'; did you mean --out?\n"],
    [['keygen', '--passphrase', 'x'], "Unknown option '--passphrase'.\n"],
    [['keygen', '--passphrase-env', 'NOT_SET_ANYWHERE'], 'NOT_SET_ANYWHERE is not set'],
    [['keygen', '--passphrase-env', 'EMPTY'], 'EMPTY is not set or empty'],
    [['generate'], 'Unknown command "generate"'],
    [['--out', 'keys'], 'Unknown command ""'],
  ])('exits 2 with a clear message on %j', (args, message) => {
    const { status, stderr, stdout } = run(args, { EMPTY: '' });
    expect(status).toBe(2);
    expect(stderr).toContain(message);
    expect(stdout).toBe('');
  });

  it('exits 1 when the folder cannot be written', () => {
    writeFileSync(join(work, 'a-file'), 'x');
    const { status, stderr } = run(['keygen', '--out', 'a-file/keys']);
    expect(status).toBe(1);
    expect(stderr).toContain('Cannot create the folder a-file/keys (ENOTDIR)');
  });

  it.each([[['--help']], [['-h']], [[]], [['keygen', '--help']]])('prints usage on stdout and exits 0 with %j', (args) => {
    const { status, stdout, stderr } = run(args);
    expect(status).toBe(0);
    expect(stdout).toContain('Usage: nestjs-rs256-auth keygen [options]');
    expect(stdout).toContain('--passphrase-env VAR');
    expect(stdout).toContain('-v, --version');
    expect(stderr).toBe('');
    expect(readdirSync(work)).toEqual([]);
  });

  it.each([[['--version']], [['-v']]])('prints the package version with %j', (args) => {
    const { status, stdout } = run(args);
    expect(status).toBe(0);
    expect(stdout).toBe(`${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}\n`);
  });
});

describe('the nestjs-rs256-auth command in a fresh clone', () => {
  it('is built by `npm ci` (the prepare script), so `npx nestjs-rs256-auth --help` works right after it', () => {
    const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(manifest.bin['nestjs-rs256-auth']).toBe('dist/cli/main.js');
    expect(manifest.scripts.prepare).toBe('npm run build');
    // npx finds the command in this package's own `bin`, links the package into its cache and runs the file the
    // build wrote. A cache of its own keeps the run from depending on what an earlier npx left in ~/.npm/_npx.
    const cache = mkdtempSync(join(tmpdir(), 'rs256-auth-npx-cache-'));
    const npx = spawnSync('npx', ['--no-install', 'nestjs-rs256-auth', '--help'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, npm_config_cache: cache },
    });
    rmSync(cache, { recursive: true, force: true });
    // The whole result, so that a failure shows what npx printed.
    expect({ status: npx.status, stderr: npx.stderr }).toMatchObject({ status: 0 });
    expect(npx.stdout).toContain('Usage: nestjs-rs256-auth keygen [options]');
  });
});
