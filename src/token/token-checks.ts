import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import type { JwtClaims } from '../interfaces/jwt-claims.interface.js';
import type { KeySource } from '../keys/key-source.js';
import type { RevocationList } from '../sessions/revocation-list.js';
import { peekIssuer, type TokenVerifier } from './token-verifier.js';

type VerifyMethod = 'verify' | 'verifyRequestToken';

/**
 * The checks a token passes wherever it is verified (the strategy behind `JwtAuthGuard`, `JwtService.verify` and
 * `verifyAsync`), written once so that they cannot drift apart: the verifier's, then the revocations, which apply
 * to tokens already verified and cached too.
 * @throws Rs256AuthError with a `RS256_TOKEN_*` code
 */
export function checkToken(verifier: TokenVerifier, revocations: RevocationList, token: string): JwtClaims {
  return unrevoked(revocations, verifier.verify(token));
}

/**
 * {@link checkToken} as a request gets it: a JWK Set past its max age starts refreshing first, and a token refused
 * for a reason that fetching may cure is tried once more after that fetch. An unknown kid may be a key the issuer
 * has just published (fetched at most once per cooldown window), and an iss the issuerResolver has not been asked
 * about may be a tenant. Synchronous (claims or a throw) unless there is something to wait for: a fetch, or with
 * `verifyRequestToken` a signature checked on the thread pool (what is refused there is not retried: kid and
 * issuer are looked up before the signature, so no fetch can cure it).
 * @param method the verifier's method: `verifyRequestToken` (the guard's, which honours the `verifyOffThread`
 *   option) or `verify`
 * @throws Rs256AuthError with a `RS256_TOKEN_*` code, or the promise rejects with it
 */
export function checkTokenWithRecovery(
  verifier: TokenVerifier,
  revocations: RevocationList,
  keys: KeySource,
  token: string,
  method: VerifyMethod,
): JwtClaims | Promise<JwtClaims> {
  keys.refreshIfStale();
  try {
    return checkOnce(verifier, revocations, token, method);
  } catch (error) {
    const recovery = error instanceof Rs256AuthError ? keys.recover(error.code, () => peekIssuer(token)) : undefined;
    if (recovery === undefined) {
      throw error;
    }
    return recovery.then((changed) => {
      if (!changed) {
        throw error;
      }
      return checkOnce(verifier, revocations, token, method);
    });
  }
}

function checkOnce(verifier: TokenVerifier, revocations: RevocationList, token: string, method: VerifyMethod): JwtClaims | Promise<JwtClaims> {
  if (method === 'verify') {
    return checkToken(verifier, revocations, token);
  }
  // A promise only with the verifyOffThread option, for a token not in the cache.
  const claims = verifier.verifyRequestToken(token);
  return claims instanceof Promise ? claims.then((verified) => unrevoked(revocations, verified)) : unrevoked(revocations, claims);
}

function unrevoked(revocations: RevocationList, claims: JwtClaims): JwtClaims {
  revocations.check(claims);
  return claims;
}
