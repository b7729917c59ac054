import { randomBytes } from 'node:crypto';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import { DPOP_ALGORITHMS, DPOP_MODES, type DpopAlgorithm, type DpopConfig, type DpopMode } from './dpop-config.js';
import { HTTP_TOKEN } from '../transports/token-extractors.js';
import type { SettingsReader } from './from-env.js';
import { invalid } from './parse.js';
import { checkedProxyAddresses } from './proxy-addresses.js';

/** Nonce secrets shorter than this are refused: the nonces' HMAC key, guessed, lets a client mint its own. */
const MIN_NONCE_SECRET_LENGTH = 32;

/**
 * DPoP's settings. Resolved whatever the mode, since `@Dpop()` turns it on per route. Several instances (the Redis
 * store) with nonces need a shared nonce secret: a nonce from one instance would otherwise be refused by the next.
 */
export function resolveDpop(reader: SettingsReader, sharedStore: boolean): DpopConfig {
  const mode = reader.read('dpopMode').trim().toLowerCase();
  if (!(DPOP_MODES as readonly string[]).includes(mode)) {
    throw invalid(reader.label('dpopMode'), reader.read('dpopMode'), `one of ${DPOP_MODES.join(', ')}`);
  }
  const algorithms = reader.read('dpopAlgorithms');
  const unknown = algorithms.find((alg) => !(DPOP_ALGORITHMS as readonly string[]).includes(alg));
  if (unknown !== undefined) {
    throw invalid(
      reader.label('dpopAlgorithms'),
      unknown,
      `asymmetric algorithms from ${DPOP_ALGORITHMS.join(', ')} (none and HMAC are never accepted)`,
    );
  }
  const originHeader = reader.read('dpopOriginHeader');
  if (originHeader !== undefined && !HTTP_TOKEN.test(originHeader)) {
    throw invalid(reader.label('dpopOriginHeader'), originHeader, "a header name such as 'X-External-Origin'");
  }
  const proxies = reader.read('dpopTrustedProxies');
  if ((originHeader === undefined) !== (proxies === undefined)) {
    const [set, unset] =
      originHeader === undefined ? (['dpopTrustedProxies', 'dpopOriginHeader'] as const) : (['dpopOriginHeader', 'dpopTrustedProxies'] as const);
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${reader.label(set)} is set but ${reader.label(unset)} is not; the origin header is believed only from the proxies' addresses: set both, or neither.`,
    );
  }
  if (proxies !== undefined) checkedProxyAddresses(reader.label('dpopTrustedProxies'), proxies);
  return {
    mode: mode as DpopMode,
    algorithms: [...new Set(algorithms)] as DpopAlgorithm[],
    proofMaxAge: reader.read('dpopProofMaxAge'),
    nonce: reader.read('dpopNonce') ? { secret: nonceSecret(reader, sharedStore), lifetime: reader.read('dpopNonceLifetime') } : undefined,
    origin: originHeader !== undefined && proxies !== undefined ? { header: originHeader.toLowerCase(), trustedProxies: proxies } : undefined,
  };
}

function nonceSecret(reader: SettingsReader, sharedStore: boolean): string {
  const secret = reader.read('dpopNonceSecret');
  const setting = reader.label('dpopNonceSecret');
  if (secret === undefined) {
    if (sharedStore) {
      throw new Rs256AuthError(
        'RS256_CONFIG_INVALID',
        `${reader.label('dpopNonce')} is true with the Redis session store but ${setting} is not set; give every instance the same secret of at least ${MIN_NONCE_SECRET_LENGTH} characters, or one instance's nonces are refused by the others.`,
      );
    }
    return randomBytes(32).toString('base64url');
  }
  if (secret.length < MIN_NONCE_SECRET_LENGTH) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${setting} is shorter than ${MIN_NONCE_SECRET_LENGTH} characters; expected a random secret of at least ${MIN_NONCE_SECRET_LENGTH}.`,
    );
  }
  return secret;
}
