import type * as Jose from 'jose' with { 'resolution-mode': 'import' };
import { Rs256AuthError } from '../errors/rs256-auth.error.js';

/**
 * Loads jose, which resource-server mode uses to fetch JWK Sets. jose 6 is an ES module only, so it is loaded here,
 * when resource-server mode starts, rather than imported at the top of a file: the CommonJS build keeps this
 * `import()` as it is (Node loads ES modules from CommonJS that way), and an app that never sets `JWT_JWKS_URI`
 * never loads jose at all. That is what lets a CommonJS app's Jest tests, whose runtime cannot load ES modules
 * without `--experimental-vm-modules`, use everything but resource-server mode with no configuration.
 */
export async function loadJose(): Promise<typeof Jose> {
  try {
    return await import('jose');
  } catch (error) {
    throw new Rs256AuthError(
      'RS256_RUNTIME_UNSUPPORTED',
      `JWT_JWKS_URI (jwksUri) is set, and resource-server mode needs the ES module "jose", which this runtime could not ` +
        `import (${error instanceof Error ? error.message : String(error)}). Under Jest's CommonJS runtime, run Jest ` +
        `as "node --experimental-vm-modules node_modules/jest/bin/jest.js".`,
      { cause: error },
    );
  }
}
