import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Rs256AuthError } from './errors/rs256-auth.error.js';

/** The peers whose NestJS 12 releases are ES modules only, with the release that goes with NestJS 11. */
const NEST11_LINE: Readonly<Record<string, string>> = { '@nestjs/config': '4', '@nestjs/jwt': '11', '@nestjs/passport': '11' };

interface Manifest {
  version?: string;
  type?: string;
}

/**
 * The package.json of `name` as Node finds it from `from`: the nearest `node_modules/<name>` up the folders.
 * Read as a file, not through `require`, which an ES-module-only package refuses for its own package.json.
 */
function manifest(name: string, from: string): Manifest | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    try {
      return JSON.parse(readFileSync(join(dir, 'node_modules', name, 'package.json'), 'utf8')) as Manifest;
    } catch {
      if (dirname(dir) === dir) return undefined;
    }
  }
}

/**
 * NestJS 11 with the NestJS 12 releases of `@nestjs/config`, `@nestjs/jwt` or `@nestjs/passport`: npm accepts the
 * mix (their peer ranges include NestJS 11), but those releases are ES modules only, and a CommonJS app's Jest tests
 * then fail on `Must use import to load ES Module`, which names neither the packages nor the versions. Looked up from
 * the application's folder (`peer-versions.guard.ts` runs it when the package is loaded; `nestjs-rs256-auth check`
 * on demand); a layout where they cannot be found from there is not checked.
 * @throws Rs256AuthError `RS256_PEER_MISMATCH`, naming each package and the install line for NestJS 11
 */
export function checkPeerVersions(from = process.cwd()): void {
  const common = manifest('@nestjs/common', from);
  if (common?.version?.split('.')[0] !== '11') {
    return;
  }
  const mismatched = Object.keys(NEST11_LINE)
    .map((name) => ({ name, found: manifest(name, from) }))
    .filter(({ found }) => found?.type === 'module');
  if (mismatched.length === 0) {
    return;
  }
  const named = mismatched.map(({ name, found }) => `${name} ${found!.version}`).join(', ');
  const install = Object.entries(NEST11_LINE)
    .map(([name, major]) => `${name}@${major}`)
    .join(' ');
  throw new Rs256AuthError(
    'RS256_PEER_MISMATCH',
    `NestJS 11 (@nestjs/common ${common.version}) is installed with ${named}, made for NestJS 12 and ES modules only: ` +
      `a CommonJS application, and its Jest tests, cannot load ${mismatched.length === 1 ? 'it' : 'them'}. ` +
      `Install the releases for NestJS 11: npm install ${install}`,
  );
}

