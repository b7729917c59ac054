import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { ROOT as root } from './support/paths.js';


/** What a separate application writes: the README's quick usage, nothing from this repository. */
const CONSUMER_APP = `
import 'reflect-metadata';
import { Controller, Get, Module, UseGuards } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { Claims, JwtAuthGuard, Rs256AuthModule, type JwtClaims } from 'nestjs-rs256-auth';

@Controller()
class ProfileController {
  @UseGuards(JwtAuthGuard)
  @Get('profile')
  profile(@Claims() claims: JwtClaims): { sub?: string } {
    return { sub: claims.sub };
  }
}

@Module({ imports: [Rs256AuthModule.forRoot()], controllers: [ProfileController] })
class AppModule {}

const app = await NestFactory.create(AppModule, { logger: false });
await app.listen(0, '127.0.0.1');
const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');
const token = app.get(JwtService).sign({ sub: 'packed' });
const ok = await fetch(url + '/profile', { headers: { authorization: 'Bearer ' + token } });
const denied = await fetch(url + '/profile');
console.log(JSON.stringify({ ok: ok.status, body: await ok.json(), denied: denied.status }));
await app.close();
`;

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

  it('ships the compiled library with its types, and nothing else', () => {
    expect(files).toEqual(expect.arrayContaining(['package.json', 'README.md', 'dist/index.js', 'dist/index.d.ts']));
    expect(files.filter((file) => !file.startsWith('dist/') && !['package.json', 'README.md', 'LICENSE'].includes(file))).toEqual([]);
    expect(files.some((file) => file.startsWith('dist/demo') || file.startsWith('dist/main'))).toBe(false);
    expect(files.some((file) => file.endsWith('.spec.js') || file.endsWith('.spec.d.ts'))).toBe(false);
  });

  it('installs into a separate Nest app that type-checks and runs with forRoot(), JwtAuthGuard and JwtService', () => {
    const app = join(work, 'consumer');
    const modules = join(app, 'node_modules');
    const installed = join(modules, 'nestjs-rs256-auth');
    mkdirSync(installed, { recursive: true });
    execFileSync('tar', ['-xzf', tarball, '-C', installed, '--strip-components=1']);
    // The app's other dependencies are this repository's: linked, so nothing is downloaded.
    for (const name of readdirSync(join(root, 'node_modules'))) {
      if (!name.startsWith('.')) symlinkSync(join(root, 'node_modules', name), join(modules, name));
    }
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
    writeFileSync(join(app, 'main.ts'), CONSUMER_APP);
    writeFileSync(
      join(app, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'nodenext',
          moduleResolution: 'nodenext',
          strict: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          types: ['node'],
          outDir: 'out',
        },
        files: ['main.ts'],
      }),
    );
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', app], { cwd: app, encoding: 'utf8' });
    const output = execFileSync(process.execPath, [join(app, 'out/main.js')], {
      cwd: app,
      encoding: 'utf8',
      env: { PATH: process.env.PATH, JWT_PRIVATE_KEY_PATH: keys.privatePath },
    });
    expect(JSON.parse(output.trim().split('\n').pop()!)).toEqual({ ok: 200, body: { sub: 'packed' }, denied: 401 });
  });
});
