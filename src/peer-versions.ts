import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Rs256AuthError } from './errors/rs256-auth.error.js';

/** The peers whose NestJS 12 releases are ES modules only, with the release that goes with NestJS 11. */
const NEST11_LINE: Readonly<Record<string, string>> = { '@nestjs/config': '4', '@nestjs/jwt': '11', '@nestjs/passport': '11' };

interface Manifest {
  version?: string;
  type?: string;
}

/** The folders a bare `require(name)` from a file in `from` looks in, nearest first, as Node lists them. */
function nodeModulesFrom(from: string): string[] {
  const folders: string[] = [];
  for (let dir = from; ; dir = dirname(dir)) {
    if (basename(dir) !== 'node_modules') folders.push(join(dir, 'node_modules'));
    if (dirname(dir) === dir) return folders;
  }
}

/**
 * The package.json of `name` as Node finds it in `folders`: the first that holds `<name>/package.json`. Read as a
 * file, not through `require`, which an ES-module-only package refuses for its own package.json.
 */
function manifest(name: string, folders: readonly string[]): Manifest | undefined {
  for (const folder of folders) {
    try {
      return JSON.parse(readFileSync(join(folder, name, 'package.json'), 'utf8')) as Manifest;
    } catch {
      // Not in this one: on to the next, as Node goes.
    }
  }
  return undefined;
}

/**
 * NestJS 11 with the NestJS 12 releases of `@nestjs/config`, `@nestjs/jwt` or `@nestjs/passport`: npm accepts the
 * mix (their peer ranges include NestJS 11), but those releases are ES modules only, and the CommonJS build of this
 * package, which loads them with `require`, then fails (in Jest: `Must use import to load ES Module`, which names
 * neither the packages nor the versions). An ES-module application imports them, which works: so
 * `peer-versions.guard.ts` runs this in the CommonJS build only; `nestjs-rs256-auth check` on demand.
 * @param from where to look the packages up as the package's own `require` does: the folders
 *   `require.resolve.paths()` lists from the package's location, or a folder to start from (its `node_modules`,
 *   then its parents'). Not the working directory, which in a monorepo may see other installs than the package does.
 *   A layout where they cannot be found from there is not checked.
 * @throws Rs256AuthError `RS256_PEER_MISMATCH`, naming each package and the install line for NestJS 11
 */
export function checkPeerVersions(from: string | readonly string[]): void {
  const folders = typeof from === 'string' ? nodeModulesFrom(from) : from;
  const common = manifest('@nestjs/common', folders);
  if (common?.version?.split('.')[0] !== '11') {
    return;
  }
  const mismatched = Object.keys(NEST11_LINE).flatMap((name) => {
    const found = manifest(name, folders);
    return found?.type === 'module' ? [{ name, found }] : [];
  });
  if (mismatched.length === 0) {
    return;
  }
  const named = mismatched.map(({ name, found }) => `${name} ${found.version}`).join(', ');
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
