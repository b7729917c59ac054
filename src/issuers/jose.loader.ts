import type * as Jose from 'jose' with { 'resolution-mode': 'import' };
import { Rs256AuthError, messageOf } from '../errors/rs256-auth.error.js';

/**
 * Loads jose, which resource-server mode uses to fetch JWK Sets. jose 6 is an ES module only, so it is loaded here,
 * when an issuer's keys are first fetched, rather than imported at the top of a file: the CommonJS build keeps this
 * `import()` as it is (Node loads ES modules from CommonJS that way), and an app that never fetches keys
 * (`JWT_JWKS_URI`, `JWT_ISSUER_URL`, `JWT_TRUSTED_ISSUERS`) never loads jose at all. That is what lets a CommonJS app's Jest tests, whose runtime cannot load ES modules
 * without `--experimental-vm-modules`, use everything but resource-server mode with no configuration.
 */
export async function loadJose(): Promise<typeof Jose> {
  try {
    return await import('jose');
  } catch (error) {
    throw new Rs256AuthError(
      'RS256_RUNTIME_UNSUPPORTED',
      `Fetching an issuer's keys (JWT_JWKS_URI, JWT_ISSUER_URL or JWT_TRUSTED_ISSUERS) needs the ES module "jose", which this runtime could not ` +
        `import (${messageOf(error)}). Under Jest's CommonJS runtime, run Jest ` +
        `as "node --experimental-vm-modules node_modules/jest/bin/jest.js".`,
      { cause: error },
    );
  }
}
