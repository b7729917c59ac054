import { boolean, lifetime, list, text } from '../parse.js';
import { setting } from './setting.js';

/** The settings of DPoP, RFC 9449 (section `dpop`): rows of SETTINGS (see settings.ts). */
export const DPOP_SETTINGS = {
  dpopMode: setting({
    env: 'JWT_DPOP',
    option: 'dpop.mode',
    parse: text(),
    section: 'dpop',
    default: 'off',
    doc: '`off`, `allowed` (bearer and DPoP-bound tokens; a bound token only with its proof) or `required` (DPoP-bound tokens only); `@Dpop()` sets it per route',
  }),
  dpopAlgorithms: setting({
    env: 'JWT_DPOP_ALGORITHMS',
    option: 'dpop.algorithms',
    parse: list(),
    section: 'dpop',
    default: 'ES256,RS256,PS256,EdDSA',
    doc: 'algorithms a proof may be signed with, comma-separated, from ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384, PS512, EdDSA; announced as `algs` in challenges',
  }),
  dpopProofMaxAge: setting({
    env: 'JWT_DPOP_PROOF_MAX_AGE',
    option: 'dpop.proofMaxAge',
    parse: lifetime,
    section: 'dpop',
    default: '60',
    unit: 'lifetime',
    doc: "how long after its `iat` a proof is accepted (plus `JWT_CLOCK_TOLERANCE` either way); its `jti` is remembered that long, in the Redis store's server when sessions use one",
  }),
  dpopNonce: setting({
    env: 'JWT_DPOP_NONCE',
    option: 'dpop.nonce',
    parse: boolean,
    section: 'dpop',
    default: 'false',
    doc: 'proofs must carry a server nonce (`use_dpop_nonce`, `DPoP-Nonce` header, RFC 9449 §8)',
  }),
  dpopNonceSecret: setting({
    env: 'JWT_DPOP_NONCE_SECRET',
    option: 'dpop.nonce.secret',
    parse: text({ secret: true }),
    section: 'dpop',
    secret: true,
    defaultDoc: 'a random key per process; required with the Redis store',
    doc: "HMAC key of the nonces, at least 32 characters: instances sharing it accept one another's nonces",
  }),
  dpopNonceLifetime: setting({
    env: 'JWT_DPOP_NONCE_LIFETIME',
    option: 'dpop.nonce.lifetime',
    parse: lifetime,
    section: 'dpop',
    default: '5m',
    unit: 'lifetime',
    doc: 'how long a nonce is current; it is accepted for one more such period',
  }),
  dpopOriginHeader: setting({
    env: 'JWT_DPOP_ORIGIN_HEADER',
    option: 'dpop.originHeader',
    parse: text(),
    section: 'dpop',
    defaultDoc: 'none: the `Host` header, `https` over TLS',
    example: 'X-External-Origin',
    doc: 'header a trusted proxy sets (overwriting any the client sent) to the origin clients address (`https://api.example.com`), against which `htu` is checked',
  }),
};
