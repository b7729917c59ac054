import type { KeyObject } from 'node:crypto';

/**
 * A signing key the process never holds: in an HSM (PKCS#11) or behind a KMS (the `keys.signer` option), both opened by
 * src/custody/open-custody.ts; defined here, below both the key set that holds it and the custody code. Opened and
 * checked once at start-up (its public half is RSA, at least 2048 bits, with a valid exponent, and a probe it
 * signed verifies with that public half), then shared by every key set built while the module runs.
 */
export interface SigningCustody {
  /** Where the key lives, for the start-up line: never a PIN or any other secret. */
  readonly where: string;
  /** The public half, checked, published in the JWK Set and used by the verifier. */
  readonly publicKey: KeyObject;
  /** The `kid` the key was given (the `keys.signer` option's); `undefined` for its RFC 7638 thumbprint. */
  readonly kid?: string;
  /**
   * A throwaway key of this process that jsonwebtoken signs with where it shapes a token (per-call options, a
   * payload with its own `iat`, `exp`…): its signature is cut off and the token signed in custody. Its signature
   * never leaves the process and no verifier knows it; the header and payload it shaped do leave, so the header is
   * checked first (RS256 and the signing key's `kid`, see `signingInputOf`).
   */
  readonly standIn: KeyObject;
  /** The RS256 signature (RSASSA-PKCS1-v1_5 with SHA-256) of a token's signing input. */
  sign(signingInput: Buffer): Promise<Buffer>;
  /** The same, synchronously; absent where the custody only answers asynchronously (a KMS). */
  readonly signSync?: (signingInput: Buffer) => Buffer;
  /** Logs out and closes what was opened; called once, when the module is destroyed. */
  close(): Promise<void>;
}
