import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Rs256AuthError } from './errors/rs256-auth.error.js';
import { checkPeerVersions } from './peer-versions.js';

/** An application folder whose node_modules holds only the package.json files given, as npm would lay them out. */
function app(packages: Record<string, { version: string; type?: string }>): string {
  const root = mkdtempSync(join(tmpdir(), 'rs256-peers-'));
  for (const [name, manifest] of Object.entries(packages)) {
    mkdirSync(join(root, 'node_modules', name), { recursive: true });
    writeFileSync(join(root, 'node_modules', name, 'package.json'), JSON.stringify({ name, ...manifest }));
  }
  mkdirSync(join(root, 'src', 'deep'), { recursive: true });
  return root;
}

const NEST11 = { '@nestjs/common': { version: '11.2.10' } };
const LINE11 = { '@nestjs/config': { version: '4.0.4' }, '@nestjs/jwt': { version: '11.0.2' }, '@nestjs/passport': { version: '11.0.5' } };
const ESM = (version: string) => ({ version, type: 'module' });

describe('checkPeerVersions', () => {
  const roots: string[] = [];
  afterAll(() => {
    for (const root of roots) rmSync(root, { recursive: true, force: true });
  });
  const folder = (packages: Record<string, { version: string; type?: string }>): string => {
    const root = app(packages);
    roots.push(root);
    return root;
  };

  it('names NestJS 11 with the ES-module-only NestJS 12 releases of its peers, and the install line that fits', () => {
    const root = folder({ ...NEST11, ...LINE11, '@nestjs/config': ESM('12.0.1'), '@nestjs/jwt': ESM('12.0.2') });
    let failure: unknown;
    try {
      // From a folder below the application's, as Node resolves.
      checkPeerVersions(join(root, 'src', 'deep'));
    } catch (error) {
      failure = error;
    }
    expect(failure).toBeInstanceOf(Rs256AuthError);
    expect(failure).toMatchObject({
      code: 'RS256_PEER_MISMATCH',
      message:
        'NestJS 11 (@nestjs/common 11.2.10) is installed with @nestjs/config 12.0.1, @nestjs/jwt 12.0.2, made for NestJS 12 and ES modules only: ' +
        'a CommonJS application, and its Jest tests, cannot load them. Install the releases for NestJS 11: npm install @nestjs/config@4 @nestjs/jwt@11 @nestjs/passport@11',
    });
  });

  it('looks from where it is given, not from the working directory: a monorepo package with its own NestJS 12', () => {
    // The repository root has NestJS 11 with the NestJS 12 peers; the app below it has NestJS 12 of its own.
    const root = folder({ ...NEST11, '@nestjs/config': ESM('12.0.1'), '@nestjs/jwt': ESM('12.0.2') });
    const app = join(root, 'apps', 'api');
    for (const [name, manifest] of Object.entries({ '@nestjs/common': ESM('12.5.1') })) {
      mkdirSync(join(app, 'node_modules', name), { recursive: true });
      writeFileSync(join(app, 'node_modules', name, 'package.json'), JSON.stringify({ name, ...manifest }));
    }
    const from = join(app, 'node_modules', 'nestjs-rs256-auth', 'dist', 'cjs');
    mkdirSync(from, { recursive: true });
    expect(() => checkPeerVersions(from)).not.toThrow();
    // The same lookup as a list of folders, as require.resolve.paths() gives it.
    expect(() => checkPeerVersions([join(app, 'node_modules'), join(root, 'node_modules')])).not.toThrow();
    // And from the root itself, the mismatch is there.
    expect(() => checkPeerVersions(root)).toThrow(Rs256AuthError);
  });

  it.each<[string, Record<string, { version: string; type?: string }>]>([
    ['NestJS 11 with its own line', { ...NEST11, ...LINE11 }],
    ['NestJS 12 with the NestJS 12 line', { '@nestjs/common': ESM('12.5.1'), '@nestjs/config': ESM('12.0.1'), '@nestjs/jwt': ESM('12.0.2') }],
    ['peers not found from the folder', { ...NEST11 }],
    ['no NestJS found', { '@nestjs/config': ESM('12.0.1') }],
  ])('accepts %s', (_name, packages) => {
    expect(() => checkPeerVersions(folder(packages))).not.toThrow();
  });
});
