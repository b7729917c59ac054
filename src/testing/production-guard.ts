import { Rs256AuthError } from '../errors/rs256-auth.error.js';

/**
 * Every entry of the testing kit calls this first: throwaway keys and a token endpoint that hands tokens to any
 * configured client have no place in a production process, and `NODE_ENV=production` is how a Node process says it
 * is one.
 * @throws Rs256AuthError `RS256_TESTING_IN_PRODUCTION`
 */
export function refuseProduction(what: string): void {
  if (process.env.NODE_ENV === 'production') {
    throw new Rs256AuthError(
      'RS256_TESTING_IN_PRODUCTION',
      `${what} is part of nestjs-rs256-auth/testing, which refuses to run with NODE_ENV=production; import it from tests only.`,
    );
  }
}
