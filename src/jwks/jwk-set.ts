import type { KeyObject } from 'node:crypto';
import type { KeySet } from '../keys/key-set.js';

/** An RSA public key as RFC 7517 §4 describes it, with only public members. */
export interface RsaPublicJwk {
  kty: 'RSA';
  n: string;
  e: string;
  /** RFC 7638 thumbprint: the `kid` issued tokens carry. */
  kid: string;
  alg: 'RS256';
  use: 'sig';
}

/**
 * The verification keys as a JWK Set. Members are picked one by one, never spread from a key export, so a
 * private member (`d`, `p`, `q`, ...) cannot slip in even if a private key reached the set.
 */
export function toJwkSet(keys: KeySet): { keys: RsaPublicJwk[] } {
  return {
    keys: keys.verificationKeys.map(({ kid, key }) => {
      return rsaPublicJwk(key, kid);
    }),
  };
}

/** An RSA public key as a JWK with only its public members; every key here was checked to be RSA when loaded. */
export function rsaPublicJwk(key: KeyObject, kid: string): RsaPublicJwk {
  const { n, e } = key.export({ format: 'jwk' });
  if (n === undefined || e === undefined) throw new TypeError(`key ${kid} is not an RSA key`);
  return { kty: 'RSA', n, e, kid, alg: 'RS256', use: 'sig' };
}
