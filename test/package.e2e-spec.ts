import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { ROOT as root } from './support/paths.js';
import { startDemo, stopDemo, type ServerProcess } from './support/processes.js';

/**
 * The package as a user gets it: packed, installed into apps laid out as `nest new` makes them, and tested with
 * each app's own test runner. Nothing is downloaded: each app's node_modules links this repository's packages, with
 * NestJS 11, Jest 30, ts-jest and TypeScript 5 taken first from the test/apps/nest11 workspace for the NestJS 11 app.
 */
const ROOT_MODULES = join(root, 'node_modules');
const NEST11_MODULES = join(root, 'test/apps/nest11/node_modules');

/** How an app is laid out: `nest new`'s templates (@nestjs/schematics 11 `ts`, 12 `ts-esm` and 12 `ts`). */
interface AppKind {
  name: string;
  /** The app's package.json `type`: how its TypeScript compiles and which of the package's builds it loads. */
  format: 'commonjs' | 'module';
  /** node_modules folders linked into the app, the first holding a name winning. */
  modules: string[];
  tsconfig: Record<string, unknown>;
  scripts: Record<string, string>;
  /** Extra files of the template (runner configuration). */
  files: Record<string, string>;
  /** What the test files import their hooks from; Jest and Vitest (`globals: true`) need nothing. */
  testHeader: string;
  /** The runner's summary when the app's tests (three of its own, one or two on the testing kit) passed. */
  passed: RegExp;
}

const NEST_TSCONFIG = {
  module: 'nodenext',
  moduleResolution: 'nodenext',
  resolvePackageJsonExports: true,
  esModuleInterop: true,
  isolatedModules: true,
  declaration: true,
  removeComments: true,
  emitDecoratorMetadata: true,
  experimentalDecorators: true,
  allowSyntheticDefaultImports: true,
  target: 'ES2023',
  sourceMap: true,
  outDir: './dist',
  incremental: true,
  skipLibCheck: true,
};

/** @nestjs/schematics 11, `ts`: CommonJS, `npm run test:e2e` is `jest --config ./test/jest-e2e.json` with ts-jest. */
const NEST11_JEST: AppKind = {
  name: 'nest11-commonjs-jest',
  format: 'commonjs',
  modules: [NEST11_MODULES, ROOT_MODULES],
  tsconfig: {
    ...NEST_TSCONFIG,
    baseUrl: './',
    strictNullChecks: true,
    forceConsistentCasingInFileNames: true,
    noImplicitAny: true,
    strictBindCallApply: true,
    noFallthroughCasesInSwitch: true,
  },
  scripts: { 'test:e2e': 'jest --config ./test/jest-e2e.json' },
  files: {
    'test/jest-e2e.json': JSON.stringify({
      moduleFileExtensions: ['js', 'json', 'ts'],
      rootDir: '.',
      testEnvironment: 'node',
      testRegex: '.e2e-spec.ts$',
      transform: { '^.+\\.(t|j)s$': 'ts-jest' },
    }),
  },
  testHeader: '',
  passed: /Tests:\s+5 passed, 5 total/,
};

/**
 * @nestjs/schematics 12, `ts-esm`: ES modules, `npm run test:e2e` is Vitest. The template's Vitest 4 would bring
 * Vite 8, which does not install where npm is 10; this repository pins Vite 7, whose esbuild emits no decorator
 * metadata, so the app's own classes here take no constructor injection (the package's classes are compiled by tsc).
 */
const NEST12_VITEST: AppKind = {
  name: 'nest12-esm-vitest',
  format: 'module',
  modules: [ROOT_MODULES],
  tsconfig: { ...NEST_TSCONFIG, rootDir: '.', strict: true, strictPropertyInitialization: false, types: ['vitest/globals', 'node'] },
  scripts: { 'test:e2e': 'vitest run --config ./vitest.config.e2e.ts' },
  files: {
    'vitest.config.e2e.ts': `import { defineConfig } from 'vitest/config';
import tsconfigPaths from 'vite-tsconfig-paths';

export default defineConfig({
  plugins: [tsconfigPaths()],
  test: {
    globals: true,
    root: './',
    include: ['**/*.e2e-spec.ts'],
  },
});
`,
  },
  testHeader: '',
  passed: /Tests\s+5 passed \(5\)/,
};

/**
 * @nestjs/schematics 12, `ts`: compiled to CommonJS. Its template runs Jest 30 with --experimental-vm-modules, but
 * Jest can load NestJS 12's own ES modules from CommonJS only on Node 24.9 or later (require(esm)), whatever this
 * package does; on the Node versions this package supports, the app's compiled tests run under Node's own runner.
 */
const NEST12_COMMONJS: AppKind = {
  name: 'nest12-commonjs-node-test',
  format: 'commonjs',
  modules: [ROOT_MODULES],
  tsconfig: { ...NEST_TSCONFIG, rootDir: '.', strict: true, strictPropertyInitialization: false, types: ['node'] },
  scripts: {
    'test:e2e': 'tsc -p tsconfig.json && node --test dist/test/app.e2e-spec.js dist/test/resource-server.e2e-spec.js dist/test/auth-kit.e2e-spec.js',
  },
  files: {},
  testHeader: "import { after as afterAll, before as beforeAll, describe, it } from 'node:test';\n",
  passed: /# pass 5\n# fail 0\n/,
};

/** The README's quick usage: a guarded route, the module from the environment, its JWK Set served. */
function appSources(ext: string): Record<string, string> {
  return {
    'src/profile.controller.ts': `import { Controller, Get, UseGuards } from '@nestjs/common';
import { Claims, JwtAuthGuard, type JwtClaims } from 'nestjs-rs256-auth';

@Controller()
export class ProfileController {
  @UseGuards(JwtAuthGuard)
  @Get('profile')
  profile(@Claims() claims: JwtClaims): { sub?: string } {
    return { sub: claims.sub };
  }
}
`,
    'src/app.module.ts': `import { Module } from '@nestjs/common';
import { Rs256AuthModule } from 'nestjs-rs256-auth';
import { ProfileController } from './profile.controller${ext}';

@Module({ imports: [Rs256AuthModule.forRoot({ publishing: { jwks: true } })], controllers: [ProfileController] })
export class AppModule {}
`,
  };
}

/** A guarded request through the app's own test runner: 200 with a token, 401 without. */
function appTest(kind: AppKind, ext: string): string {
  return `${kind.testHeader}import { INestApplication } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { AppModule } from '../src/app.module${ext}';

describe('nestjs-rs256-auth in this app', () => {
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    const moduleFixture = await Test.createTestingModule({ imports: [AppModule] }).compile();
    app = moduleFixture.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });

  afterAll(async () => {
    await app.close();
  });

  it('answers a guarded route with the claims of a token the app signed', async () => {
    const token = await app.get(JwtService).signAsync({ sub: 'packed' });
    await request(url).get('/profile').set('authorization', 'Bearer ' + token).expect(200, { sub: 'packed' });
  });

  it('refuses the route without a token, with a challenge', async () => {
    await request(url).get('/profile').expect(401).expect('www-authenticate', 'Bearer realm="api"');
  });
});
`;
}

/**
 * Resource-server mode: it verifies the app's tokens with the keys it fetched from the app's JWK Set on loopback,
 * under every runner, Jest's CommonJS runtime without --experimental-vm-modules included.
 */
function resourceServerTest(kind: AppKind, ext: string): string {
  return `${kind.testHeader}import { INestApplication } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { Test } from '@nestjs/testing';
import { Rs256AuthModule } from 'nestjs-rs256-auth';
import request from 'supertest';
import { AppModule } from '../src/app.module${ext}';
import { ProfileController } from '../src/profile.controller${ext}';

describe('a resource server verifying through the JWK Set of this app', () => {
  let issuer: INestApplication;
  let jwksUri: string;
  let token: string;
  const privateKeyPath = process.env.JWT_PRIVATE_KEY_PATH;

  beforeAll(async () => {
    issuer = (await Test.createTestingModule({ imports: [AppModule] }).compile()).createNestApplication({ logger: false });
    await issuer.listen(0, '127.0.0.1');
    jwksUri = (await issuer.getUrl()) + '/.well-known/jwks.json';
    // For this resource server's API: a resource server accepts only the tokens of its audience.
    token = await issuer.get(JwtService).signAsync({ sub: 'remote', aud: 'orders-api' });
    // The issuer's key came from the environment; a resource server has none.
    delete process.env.JWT_PRIVATE_KEY_PATH;
  });

  afterAll(async () => {
    process.env.JWT_PRIVATE_KEY_PATH = privateKeyPath;
    await issuer.close();
  });

  it('verifies tokens with the keys fetched from the JWK Set', async () => {
    const fixture = await Test.createTestingModule({
      imports: [Rs256AuthModule.forRoot({ keys: { jwksUri }, tokens: { audience: 'orders-api' } })],
      controllers: [ProfileController],
    }).compile();
    const server = fixture.createNestApplication({ logger: false });
    await server.listen(0, '127.0.0.1');
    const url = await server.getUrl();
    await request(url).get('/profile').set('authorization', 'Bearer ' + token).expect(200, { sub: 'remote' });
    await request(url).get('/profile').expect(401);
    await server.close();
  });
});
`;
}

/**
 * The app's own tests on nestjs-rs256-auth/testing, as the testing guide shows them: the module on throwaway keys,
 * a token it accepts and every bad token refused with its code, and a resource server
 * on the fake issuer's JWT_ISSUER_URL, with an audience, taking a client_credentials token.
 */
function kitTest(kind: AppKind, ext: string): string {
  const fakeIssuer = `
  it('verifies a client_credentials token of the fake issuer, found by discovery from JWT_ISSUER_URL', async () => {
    const issuer = await startFakeIssuer();
    let server: INestApplication | undefined;
    try {
      const fixture = await Test.createTestingModule({
        imports: [Rs256AuthModule.forRoot({ keys: { issuerUrl: issuer.url }, tokens: { audience: 'https://api.test' } })],
        controllers: [ProfileController],
      }).compile();
      server = fixture.createNestApplication({ logger: false });
      await server.listen(0, '127.0.0.1');
      const token = await issuer.requestToken();
      await request(await server.getUrl()).get('/profile').set('authorization', 'Bearer ' + token).expect(200, { sub: 'test-client' });
    } finally {
      await server?.close();
      await issuer.close();
    }
  });
`;
  return `${kind.testHeader}import assert from 'node:assert/strict';
import { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Rs256AuthModule } from 'nestjs-rs256-auth';
import { createAuthTestKit, startFakeIssuer } from 'nestjs-rs256-auth/testing';
import request from 'supertest';
import { ProfileController } from '../src/profile.controller${ext}';

describe('the profile route, tested with nestjs-rs256-auth/testing', () => {
  const kit = createAuthTestKit();
  const privateKeyPath = process.env.JWT_PRIVATE_KEY_PATH;
  let app: INestApplication;
  let url: string;

  beforeAll(async () => {
    // The kit brings its own key; the one in this run's environment would be a second.
    delete process.env.JWT_PRIVATE_KEY_PATH;
    const moduleFixture = await Test.createTestingModule({ imports: [kit.module()], controllers: [ProfileController] }).compile();
    app = moduleFixture.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });

  afterAll(async () => {
    process.env.JWT_PRIVATE_KEY_PATH = privateKeyPath;
    await app.close();
  });

  it('accepts a test token and refuses every bad token with its code', async () => {
    await request(url).get('/profile').set('authorization', 'Bearer ' + kit.signTestToken({ sub: 'kit' })).expect(200, { sub: 'kit' });
    const bad = kit.badTokens();
    assert.equal(bad.length, 9);
    for (const { reason, code, token } of bad) {
      const response = await request(url).get('/profile').set('authorization', 'Bearer ' + token);
      assert.deepEqual([reason, response.status, response.body.code], [reason, 401, code]);
    }
  });
${fakeIssuer}});
`;
}

/** Links the given node_modules folders into the app's, the first holding a name (or scoped name) winning. */
function linkModules(target: string, sources: string[]): void {
  for (const source of sources) {
    for (const name of readdirSync(source)) {
      if (name.startsWith('.') || name === 'nest11-app-dependencies') continue;
      if (name.startsWith('@')) {
        mkdirSync(join(target, name), { recursive: true });
        for (const scoped of readdirSync(join(source, name))) {
          if (!existsSync(join(target, name, scoped))) symlinkSync(join(source, name, scoped), join(target, name, scoped));
        }
      } else if (!existsSync(join(target, name))) {
        symlinkSync(join(source, name), join(target, name));
      }
    }
  }
  // The commands the apps' scripts call, as npm would have put them on PATH.
  const bins: Record<string, string> = { jest: 'jest/bin/jest.js', vitest: 'vitest/vitest.mjs', tsc: 'typescript/bin/tsc' };
  mkdirSync(join(target, '.bin'));
  for (const [command, path] of Object.entries(bins)) symlinkSync(join('..', path), join(target, '.bin', command));
}

function run(command: string, args: string[], cwd: string, env: Record<string, string> = {}): string {
  const result = spawnSync(command, args, {
    cwd,
    encoding: 'utf8',
    // No colours: the runners' summaries are matched as text.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1', ...env },
  });
  const output = `${result.stdout}${result.stderr}`;
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status} in ${cwd}:\n${output}`);
  return output;
}

describe('the npm package', () => {
  let work: string;
  let keys: KeyFiles;
  let files: string[];
  let tarball: string;

  beforeAll(() => {
    keys = createKeyFiles();
    work = mkdtempSync(join(tmpdir(), 'rs256-auth-pack-'));
    // `npm test` has just built dist/ (pretest); prepack would only build it again.
    const [packed] = JSON.parse(
      execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: root, encoding: 'utf8' }),
    );
    files = packed.files.map((file: { path: string }) => file.path);
    tarball = join(work, packed.filename);
  });
  afterAll(() => {
    rmSync(work, { recursive: true, force: true });
    keys.cleanup();
  });

  /** A folder holding the unpacked tarball in node_modules/nestjs-rs256-auth, and the given packages linked. */
  function install(name: string, modules: string[], packageJson: Record<string, unknown>): string {
    const app = join(work, name);
    const installed = join(app, 'node_modules/nestjs-rs256-auth');
    mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
    linkModules(join(app, 'node_modules'), modules);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name, private: true, ...packageJson }));
    return app;
  }

  function write(app: string, path: string, content: string): void {
    mkdirSync(dirname(join(app, path)), { recursive: true });
    writeFileSync(join(app, path), content);
  }

  it('ships the ES module and CommonJS builds with their types, LICENSE and CHANGELOG, and nothing else', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'package.json',
        'README.md',
        'LICENSE',
        'CHANGELOG.md',
        'dist/index.js',
        'dist/index.d.ts',
        'dist/cjs/package.json',
        'dist/cjs/index.js',
        'dist/cjs/index.d.ts',
        'dist/cli/main.js',
        'dist/testing/index.js',
        'dist/cjs/testing/index.js',
        'dist/cjs/testing/index.d.ts',
      ]),
    );
    const other = files.filter((file) => !file.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE', 'CHANGELOG.md'].includes(file));
    expect(other).toEqual([]);
    expect(files.some((file) => /^dist\/(cjs\/)?(demo|main)/.test(file) || file.startsWith('dist/cjs/cli'))).toBe(false);
    // No key of any kind: the testing kit makes its keys per run.
    expect(files.some((file) => /\.(pem|key|jwk)$/.test(file))).toBe(false);
    expect(files.some((file) => file.endsWith('.spec.js') || file.endsWith('.spec.d.ts') || file.endsWith('.tsbuildinfo'))).toBe(false);
  });

  it('declares the peers of the optional integrations optional, so npm installs none of them unasked', () => {
    const manifest = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package/package.json'], { encoding: 'utf8' }));
    const meta: Record<string, { optional?: boolean }> = manifest.peerDependenciesMeta;
    const optional = Object.keys(meta).filter((name) => meta[name].optional === true);
    expect(optional.sort()).toEqual([
      '@nestjs/event-emitter',
      '@nestjs/graphql',
      '@nestjs/microservices',
      '@nestjs/swagger',
      '@nestjs/terminus',
      '@nestjs/websockets',
      'ioredis',
      'pkcs11js',
    ]);
    expect(Object.keys(manifest.peerDependencies)).toEqual(expect.arrayContaining(optional));
  });

  it('passes publint and @arethetypeswrong/cli on the packed tarball', () => {
    expect(run(process.execPath, [join(ROOT_MODULES, 'publint/src/cli.js'), tarball], work)).toContain('All good!');
    const attw = run(process.execPath, [join(ROOT_MODULES, '@arethetypeswrong/cli/dist/index.js'), tarball, '--format', 'json'], work);
    const report = JSON.parse(attw.slice(attw.indexOf('{')));
    expect(Object.values(report.problems ?? {}).flat()).toEqual([]);
    expect(Object.keys(report.analysis.entrypoints)).toEqual(['.', './swagger', './testing', './health', './package.json']);
  });

  // NestJS 12 is ES modules only: CommonJS code type-checks against it where TypeScript allows require() of ES
  // modules (module commonjs and nodenext), so module node16 is checked the way it is used, with NestJS 11.
  describe.each([
    ['commonjs', 'commonjs', 12, 'dist/cjs/index.d.ts'],
    ['node16', 'commonjs', 11, 'dist/cjs/index.d.ts'],
    ['nodenext', 'commonjs', 12, 'dist/cjs/index.d.ts'],
    ['node16', 'module', 12, 'dist/index.d.ts'],
    ['nodenext', 'module', 12, 'dist/index.d.ts'],
  ])('a consumer compiled with module %s in a "type": "%s" package, NestJS %d', (module, type, nest, types) => {
    it(`type-checks against ${types}`, () => {
      const modules = nest === 11 ? [NEST11_MODULES, ROOT_MODULES] : [ROOT_MODULES];
      const app = install(`types-${module}-${type}-${nest}`, modules, { type });
      write(
        app,
        'consumer.ts',
        `import { Module } from '@nestjs/common';
import { JwtAuthGuard, Rs256AuthError, Rs256AuthModule, type JwtClaims, type Rs256AuthModuleOptions } from 'nestjs-rs256-auth';

const options: Rs256AuthModuleOptions = { keys: { publicKeyPath: 'keys/public.pem', watchFiles: true }, tokens: { issuer: 'https://id.example.com', audience: ['web'] } };

@Module({ imports: [Rs256AuthModule.forRoot(options)], providers: [JwtAuthGuard] })
export class AppModule {}

export function subject(claims: JwtClaims): string | undefined {
  return claims.sub;
}

export function isMissingKey(error: unknown): boolean {
  return error instanceof Rs256AuthError && error.code === 'RS256_NO_KEY';
}

// @ts-expect-error the codes are a closed union, not a string: the types did not degrade to any
export const bogus: Rs256AuthError['code'] = 'RS256_NOT_A_CODE';
`,
      );
      write(
        app,
        'tsconfig.json',
        JSON.stringify({
          compilerOptions: { module, strict: true, experimentalDecorators: true, types: ['node'], noEmit: true, skipLibCheck: true },
          files: ['consumer.ts'],
        }),
      );
      const listed = run(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', app, '--listFiles'], app);
      expect(listed).toContain(`node_modules/nestjs-rs256-auth/${types}`);
    });
  });

  // ext: what relative imports end with.
  describe.each([
    [NEST11_JEST.name, NEST11_JEST, ''],
    [NEST12_VITEST.name, NEST12_VITEST, '.js'],
    [NEST12_COMMONJS.name, NEST12_COMMONJS, ''],
  ])('in a new app, %s', (_name, kind, ext) => {
    let app: string;
    beforeAll(() => {
      app = install(kind.name, kind.modules, { ...(kind.format === 'module' && { type: 'module' }), scripts: kind.scripts });
      write(app, 'tsconfig.json', JSON.stringify({ compilerOptions: kind.tsconfig, exclude: ['node_modules', 'dist'] }));
      for (const [path, content] of Object.entries({ ...kind.files, ...appSources(ext) })) write(app, path, content);
      write(app, 'test/app.e2e-spec.ts', appTest(kind, ext));
      write(app, 'test/resource-server.e2e-spec.ts', resourceServerTest(kind, ext));
      write(app, 'test/auth-kit.e2e-spec.ts', kitTest(kind, ext));
    });

    it('type-checks with its own TypeScript and tsconfig', () => {
      run(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', app, '--noEmit'], app);
    });

    it('passes its own e2e tests (npm run test:e2e): a guarded request, 200 with a token and 401 without, and its tests on nestjs-rs256-auth/testing', () => {
      const output = run('npm', ['run', 'test:e2e'], app, { JWT_PRIVATE_KEY_PATH: keys.privatePath });
      expect(output).toMatch(kind.passed);
    });
  });

  it('gives one install line per NestJS major in the README, the NestJS 11 one being the peers of the tested NestJS 11 app', () => {
    const readme = readFileSync(join(root, 'README.md'), 'utf8');
    const tested: Record<string, string> = JSON.parse(readFileSync(join(root, 'test/apps/nest11/package.json'), 'utf8')).devDependencies;
    const major = (name: string): string => tested[name].split('.')[0];
    expect(readme).toContain(
      `npm install nestjs-rs256-auth @nestjs/config@${major('@nestjs/config')} @nestjs/jwt@${major('@nestjs/jwt')} @nestjs/passport@${major('@nestjs/passport')} passport`,
    );
    expect(readme).toContain('npm install nestjs-rs256-auth @nestjs/config@12 @nestjs/jwt@12 @nestjs/passport@12 passport');
  });

  it('names the NestJS 12 releases of its peers in a NestJS 11 app: in its Jest run, and by `nestjs-rs256-auth check`', () => {
    // The README's old single install line in a NestJS 11 app: @nestjs/config, @nestjs/jwt and @nestjs/passport 12.
    const twelve = join(work, 'nestjs-12-peers');
    mkdirSync(join(twelve, '@nestjs'), { recursive: true });
    for (const name of ['config', 'jwt', 'passport']) symlinkSync(join(ROOT_MODULES, '@nestjs', name), join(twelve, '@nestjs', name));
    const app = install('nest11-jest-with-12-peers', [twelve, NEST11_MODULES, ROOT_MODULES], { scripts: NEST11_JEST.scripts });
    write(app, 'tsconfig.json', JSON.stringify({ compilerOptions: NEST11_JEST.tsconfig, exclude: ['node_modules', 'dist'] }));
    for (const [path, content] of Object.entries({ ...NEST11_JEST.files, ...appSources('') })) write(app, path, content);
    // A test that imports this package before any of those peers, as the testing guide's do.
    write(app, 'test/auth-kit.e2e-spec.ts', kitTest(NEST11_JEST, ''));
    const env = { PATH: process.env.PATH, HOME: process.env.HOME, NO_COLOR: '1' };
    const mismatch =
      /NestJS 11 \(@nestjs\/common 11\.[\d.]+\) is installed with @nestjs\/config 12\.[\d.]+, @nestjs\/jwt 12\.[\d.]+, @nestjs\/passport 12\.[\d.]+, made for NestJS 12 and ES modules only: .* npm install @nestjs\/config@4 @nestjs\/jwt@11 @nestjs\/passport@11/;
    const jest = spawnSync('npm', ['run', 'test:e2e'], { cwd: app, encoding: 'utf8', env });
    expect(jest.status).not.toBe(0);
    expect(`${jest.stdout}${jest.stderr}`).toMatch(mismatch);
    const check = spawnSync(process.execPath, ['node_modules/nestjs-rs256-auth/dist/cli/main.js', 'check'], { cwd: app, encoding: 'utf8', env });
    expect(check.status).toBe(1);
    expect(check.stderr).toMatch(mismatch);
    // The same app with the NestJS 11 line: check is content.
    const fitting = install('nest11-with-11-peers', [NEST11_MODULES, ROOT_MODULES], {});
    const ok = spawnSync(process.execPath, ['node_modules/nestjs-rs256-auth/dist/cli/main.js', 'check'], { cwd: fitting, encoding: 'utf8', env });
    expect({ status: ok.status, stdout: ok.stdout }).toEqual({
      status: 0,
      stdout: 'The installed NestJS packages and the peers of nestjs-rs256-auth go together.\n',
    });
  });

  it('runs the examples/ apps as examples/README.md shows: sign, verify with the public key, verify through the JWK Set', async () => {
    const servers: ServerProcess[] = [];
    const start = async (example: string, env: Record<string, string>): Promise<string> => {
      const manifest = JSON.parse(readFileSync(join(root, 'examples', example, 'package.json'), 'utf8'));
      const app = install(`example-${example}`, [ROOT_MODULES], { type: manifest.type });
      cpSync(join(root, 'examples', example, 'src'), join(app, 'src'), { recursive: true });
      cpSync(join(root, 'examples', example, 'tsconfig.json'), join(app, 'tsconfig.json'));
      run(process.execPath, [join(app, 'node_modules/typescript/bin/tsc'), '-p', app], app);
      const server = await startDemo(app, env, join(app, 'dist/main.js'));
      servers.push(server);
      return server.url;
    };
    try {
      const issuer = await start('basic-signing', { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_AUDIENCE: 'orders-api' });
      const verifier = await start('verify-only', { JWT_PUBLIC_KEY_PATH: keys.publicPath, JWT_AUDIENCE: 'orders-api' });
      const resourceServer = await start('resource-server', { JWT_JWKS_URI: `${issuer}/.well-known/jwks.json`, JWT_AUDIENCE: 'orders-api' });
      const { access_token: token } = (await (await fetch(`${issuer}/token`, { method: 'POST' })).json()) as { access_token: string };
      const bearer = { authorization: `Bearer ${token}` };
      const me = await fetch(`${issuer}/me`, { headers: bearer });
      expect(me.status).toBe(200);
      expect(await me.json()).toMatchObject({ sub: 'demo', scope: 'orders:read' });
      for (const url of [verifier, resourceServer]) {
        const orders = await fetch(`${url}/orders`, { headers: bearer });
        expect(orders.status).toBe(200);
        expect(await orders.json()).toEqual({ userId: 'demo', orders: [] });
        expect((await fetch(`${url}/orders`)).status).toBe(401);
      }
    } finally {
      for (const server of servers) await stopDemo(server);
    }
  });
});
