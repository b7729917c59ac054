/**
 * The resolved DPoP settings and the algorithms they choose from: here, below both the options that resolve them and
 * src/dpop/, which reads them, so that neither folder depends on the other's files both ways.
 */

/** Every algorithm a DPoP proof may be signed with here: asymmetric only (`none` and HMAC never, RFC 9449 §4.2). */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA'] as const;
export type DpopAlgorithm = (typeof DPOP_ALGORITHMS)[number];

/** The algorithms accepted unless `JWT_DPOP_ALGORITHMS` says otherwise. */
export const DEFAULT_DPOP_ALGORITHMS: readonly DpopAlgorithm[] = ['ES256', 'RS256', 'PS256', 'EdDSA'];

/**
 * `off`: the `DPoP` scheme is not accepted; `allowed`: bearer tokens and DPoP-bound tokens both (a bound token only
 * with its proof); `required`: DPoP-bound tokens with their proof only.
 */
export const DPOP_MODES = ['off', 'allowed', 'required'] as const;
export type DpopMode = (typeof DPOP_MODES)[number];

/** DPoP (RFC 9449) as configured. */
export interface DpopConfig {
  /** The mode of routes without `@Dpop()`. */
  readonly mode: DpopMode;
  readonly algorithms: readonly DpopAlgorithm[];
  /** Seconds a proof is accepted after its `iat` (and its `jti` remembered). */
  readonly proofMaxAge: number;
  /** Server nonces (RFC 9449 §8); `undefined` when proofs need none. */
  readonly nonce?: {
    /** HMAC key of the nonces (a string, as the frozen configuration holds it): shared by every instance when configured. */
    readonly secret: string;
    /** Seconds a nonce is current; it is accepted for one more such period after that. */
    readonly lifetime: number;
  };
  /**
   * Where a trusted proxy passes the origin clients address (`https://api.example.com`), against which `htu` is
   * checked: the header's lower-case name, and the proxies' addresses (checked at start-up). `undefined`, and for
   * requests from other addresses: the request's own `Host` and whether its connection is TLS.
   */
  readonly origin?: { readonly header: string; readonly trustedProxies: readonly string[] };
}
