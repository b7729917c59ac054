import type { DpopAlgorithm, DpopMode } from './dpop-config.js';

/** DPoP (RFC 9449): access tokens bound to a key the client proves it holds with every request. */
export interface DpopModuleOptions {
  /**
   * DPoP-bound tokens and proofs, see docs/dpop.md. With DPoP, proofs are checked by the guard (HTTP only).
   * @env JWT_DPOP, JWT_DPOP_ALGORITHMS, JWT_DPOP_PROOF_MAX_AGE, JWT_DPOP_NONCE, JWT_DPOP_NONCE_SECRET,
   * JWT_DPOP_NONCE_LIFETIME, JWT_DPOP_ORIGIN_HEADER, JWT_DPOP_TRUSTED_PROXIES
   */
  dpop?: DpopOptions;
}

export interface DpopOptions {
  /**
   * `off`: the `DPoP` scheme is not accepted (routes with `@Dpop()` excepted). `allowed`: bearer tokens and
   * DPoP-bound tokens, a bound token only under `DPoP` with its proof. `required`: DPoP-bound tokens only.
   * @env JWT_DPOP
   * @default 'off'
   */
  mode?: DpopMode;

  /**
   * Algorithms a proof may be signed with; asymmetric only (`none` and HMAC are refused at start-up).
   * @env JWT_DPOP_ALGORITHMS (comma-separated)
   * @default ['ES256', 'RS256', 'PS256', 'EdDSA']
   */
  algorithms?: DpopAlgorithm[];

  /**
   * Seconds a proof is accepted after its `iat` (plus `clockTolerance` either way); its `jti` is remembered that long.
   * @env JWT_DPOP_PROOF_MAX_AGE
   * @default 60
   */
  proofMaxAge?: number | string;

  /**
   * Server nonces (RFC 9449 §8): proofs must carry a nonce the server handed out in a `DPoP-Nonce` header. `true`
   * uses the defaults below.
   * @env JWT_DPOP_NONCE (`true`/`false`)
   * @default false
   */
  nonce?: boolean | DpopNonceOptions;

  /**
   * Name of a header a trusted proxy sets (replacing whatever the client sent) to the origin clients address,
   * `https://api.example.com`: proofs' `htu` is checked against it on requests from `trustedProxies`. Unset (and
   * from anywhere else), the origin is the request's `Host` header and `https` when the connection is TLS.
   * @env JWT_DPOP_ORIGIN_HEADER
   * @default none
   */
  originHeader?: string;

  /**
   * Addresses (IPv4, IPv6, CIDR ranges) of the proxies whose `originHeader` is believed, matched against the
   * connection's own address; a request from anywhere else is checked against its own `Host`. Needs `originHeader`.
   * @env JWT_DPOP_TRUSTED_PROXIES (comma-separated)
   * @default none
   */
  trustedProxies?: string[];
}

export interface DpopNonceOptions {
  /**
   * HMAC key of the nonces, at least 32 characters. Nonces are stateless: every instance with the same secret
   * accepts the others'. Without it each process draws its own (one instance only; refused with the Redis store).
   * @env JWT_DPOP_NONCE_SECRET
   * @default a random key per process
   */
  secret?: string;

  /**
   * How long a nonce is current; it is accepted for one more such period after that.
   * @env JWT_DPOP_NONCE_LIFETIME
   * @default '5m'
   */
  lifetime?: number | string;
}
