import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from './support/http.js';
import { rsaPair, type RsaPair } from './support/keys.js';
import { ROOT } from './support/paths.js';
import { SETUP_TIMEOUT, startDemo, stopDemo, type ServerProcess } from './support/processes.js';
import { rs256Token, validClaims } from './support/tokens.js';

const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** The fenced blocks of one `## ` section of the README, by language, in order. */
function codeOf(heading: string, language: string): string[] {
  const start = README.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`README.md has no "## ${heading}" section`);
  const end = README.indexOf('\n## ', start + 1);
  const section = README.slice(start, end < 0 ? undefined : end);
  return [...section.matchAll(new RegExp(`\`\`\`${language}\\n([\\s\\S]*?)\`\`\``, 'g'))].map((match) => match[1]);
}

describe('the README', () => {
  it('stays a front page: at most 300 lines, the rest in docs/', () => {
    expect(README.trimEnd().split('\n').length).toBeLessThanOrEqual(300);
  });
});

/**
 * "Adding it to an app", taken from the README as a reader copies it: its module compiled against the built package
 * (resolved by its name, as an installed package is), started with the README's own command line, asked what the
 * README says it answers.
 */
describe("the README's app in twenty lines, copied as it stands", () => {
  let dir: string;
  let keys: RsaPair;
  let app: ServerProcess;
  let env: Record<string, string>;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rs256-auth-readme-app-'));
    const [module] = codeOf('Adding it to an app', 'ts');
    const [command] = codeOf('Adding it to an app', 'sh');
    mkdirSync(join(dir, 'node_modules'));
    for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
      symlinkSync(join(ROOT, 'node_modules', entry), join(dir, 'node_modules', entry));
    }
    symlinkSync(ROOT, join(dir, 'node_modules/nestjs-rs256-auth'));
    mkdirSync(join(dir, 'src'));
    writeFileSync(join(dir, 'src/app.module.ts'), module);
    // What `nest new` puts beside it, and the line the test waits for.
    writeFileSync(
      join(dir, 'src/main.ts'),
      [
        "import 'reflect-metadata';",
        "import { NestFactory } from '@nestjs/core';",
        "import { AppModule } from './app.module.js';",
        'const app = await NestFactory.create(AppModule, { logger: false });',
        "await app.listen(Number(process.env.PORT), '127.0.0.1');",
        "console.log('Listening on', await app.getUrl());",
      ].join('\n'),
    );
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          types: ['node'],
          skipLibCheck: true,
          rootDir: 'src',
          outDir: 'dist',
        },
        include: ['src'],
      }),
    );
    execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir], { stdio: 'pipe' });

    // The README's command line: its variables, with the key file it names made for this run.
    env = Object.fromEntries([...command.matchAll(/\b(JWT_[A-Z_]+)=(\S+)/g)].map(([, name, value]) => [name, value]));
    keys = rsaPair();
    mkdirSync(join(dir, 'keys'));
    writeFileSync(join(dir, env.JWT_PRIVATE_KEY_PATH), keys.privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
    app = await startDemo(dir, env, join(dir, 'dist/main.js'));
  }, SETUP_TIMEOUT);
  afterAll(async () => {
    await stopDemo(app);
    rmSync(dir, { recursive: true, force: true });
  });

  const token = (extra: Record<string, unknown> = {}): string =>
    rs256Token(keys.privateKey, validClaims({ sub: 'ada', iss: env.JWT_ISSUER, aud: env.JWT_AUDIENCE, ...extra }));

  it("starts on the README's command line, with a private key, an issuer and an audience", () => {
    expect(env).toEqual({ JWT_PRIVATE_KEY_PATH: expect.any(String), JWT_ISSUER: expect.any(String), JWT_AUDIENCE: expect.any(String) });
  });

  it('@Public() opens /health; every other route wants a token: 401 with an RFC 6750 challenge', async () => {
    expect(await request(app.url, '/health')).toMatchObject({ status: 200, body: { status: 'ok' } });
    const anonymous = await request(app.url, '/me');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="api"');
    const foreign = await request(app.url, '/me', { token: token({ aud: 'another-api' }) });
    expect(foreign.status).toBe(401);
    expect(foreign.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('@Claims() hands /me the verified claims; @RequireClaims answers 403 insufficient_scope without orders:read', async () => {
    expect((await request(app.url, '/me', { token: token() })).body).toMatchObject({ sub: 'ada', iss: env.JWT_ISSUER, aud: env.JWT_AUDIENCE });
    const denied = await request(app.url, '/orders', { token: token({ scope: 'profile' }) });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    expect(await request(app.url, '/orders', { token: token({ scope: 'orders:read' }) })).toMatchObject({
      status: 200,
      body: { userId: 'ada', orders: [] },
    });
  });
});
