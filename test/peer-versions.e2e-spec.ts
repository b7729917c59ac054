import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DIST } from './support/paths.js';

/**
 * The built package loaded by Node from a working directory whose node_modules hold NestJS 11 with the
 * ES-module-only NestJS 12 releases of the peers (a monorepo's root, say), while the package itself resolves its
 * peers from this repository's node_modules (NestJS 12 throughout): nothing is wrong where the package looks.
 */
describe('the load-time peer check looks where the package resolves its peers, not in the working directory', () => {
  let cwd: string;
  beforeAll(() => {
    cwd = mkdtempSync(join(tmpdir(), 'rs256-peers-cwd-'));
    const packages = {
      '@nestjs/common': { version: '11.1.0' },
      '@nestjs/config': { version: '12.0.1', type: 'module' },
      '@nestjs/jwt': { version: '12.0.2', type: 'module' },
    };
    for (const [name, manifest] of Object.entries(packages)) {
      mkdirSync(join(cwd, 'node_modules', name), { recursive: true });
      writeFileSync(join(cwd, 'node_modules', name, 'package.json'), JSON.stringify({ name, ...manifest }));
    }
  });
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  const load = (args: string[]) =>
    spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { PATH: process.env.PATH, HOME: process.env.HOME } });

  it('loads the CommonJS build', () => {
    const loaded = load(['-e', `require(${JSON.stringify(join(DIST, 'cjs', 'index.js'))})`]);
    expect(loaded.stderr).not.toContain('RS256_PEER_MISMATCH');
    expect(loaded.status).toBe(0);
  });

  it('loads the ES module build', () => {
    const loaded = load(['--input-type=module', '-e', `await import(${JSON.stringify(pathToFileURL(join(DIST, 'index.js')).href)})`]);
    expect(loaded.stderr).not.toContain('RS256_PEER_MISMATCH');
    expect(loaded.status).toBe(0);
  });
});
