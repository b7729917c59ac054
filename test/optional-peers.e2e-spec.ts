import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { DIST } from './support/paths.js';

/** The packages of the transports an HTTP-only application does not use, as they appear in a module's path. */
const TRANSPORT_PACKAGES =
  /node_modules\/(graphql|graphql-ws|ws|socket\.io|engine\.io|ioredis|mercurius|@apollo\/server|@nestjs\/(graphql|apollo|mercurius|websockets|platform-ws|platform-socket\.io|microservices))\//;

// Records every module the ESM loader resolves, from the hooks thread, into the file named by LOAD_LOG.
const HOOKS = `
import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const resolved = await next(specifier, context);
  appendFileSync(process.env.LOAD_LOG, resolved.url + '\\n');
  return resolved;
}`;
const REGISTER = `import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOKS)}`)});`;

/** Imports the built package (and `extra`) in a fresh Node process; returns every module it loaded, ESM and CommonJS. */
function modulesLoadedBy(extra: string[] = []): string[] {
  const work = mkdtempSync(join(tmpdir(), 'rs256-auth-peers-'));
  const log = join(work, 'loaded.txt');
  try {
    const script = `
      import { createRequire } from 'node:module';
      await import(${JSON.stringify(pathToFileURL(join(DIST, 'index.js')).href)});
      ${extra.map((specifier) => `await import(${JSON.stringify(specifier)});`).join('\n')}
      console.log(JSON.stringify(Object.keys(createRequire(import.meta.url).cache)));`;
    const output = execFileSync(
      process.execPath,
      ['--import', `data:text/javascript,${encodeURIComponent(REGISTER)}`, '--input-type=module', '-e', script],
      {
        cwd: join(DIST, '..'),
        env: { ...process.env, NODE_OPTIONS: '', LOAD_LOG: log },
        encoding: 'utf8',
      },
    );
    const required = JSON.parse(output.trim().split('\n').pop() ?? '[]') as string[];
    return [...readFileSync(log, 'utf8').split('\n').filter(Boolean), ...required];
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

describe('optional transport peers', () => {
  it('an HTTP-only application loads none of GraphQL, WebSocket or microservice packages', () => {
    const loaded = modulesLoadedBy();
    expect(loaded.some((url) => url.includes('@nestjs/core'))).toBe(true);
    expect(loaded.filter((url) => TRANSPORT_PACKAGES.test(url))).toEqual([]);
  });

  it('loads neither @nestjs/terminus nor @nestjs/event-emitter on import (the health entry point, and module init, do)', () => {
    expect(modulesLoadedBy().filter((url) => /node_modules\/@nestjs\/(terminus|event-emitter)\//.test(url))).toEqual([]);
  });

  it('loads no pkcs11js (a native addon) on import: only an HSM setting (JWT_PKCS11_MODULE) does', () => {
    expect(modulesLoadedBy().filter((url) => url.includes('node_modules/pkcs11js/'))).toEqual([]);
    expect(modulesLoadedBy(['pkcs11js']).some((url) => url.includes('node_modules/pkcs11js/'))).toBe(true);
  });

  it('sees them when they are loaded (the check itself works)', () => {
    const loaded = modulesLoadedBy(['@nestjs/microservices', '@nestjs/websockets']);
    expect(loaded.some((url) => url.includes('node_modules/@nestjs/microservices/'))).toBe(true);
    expect(loaded.some((url) => url.includes('node_modules/@nestjs/websockets/'))).toBe(true);
  });
});
