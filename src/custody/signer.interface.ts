import type { KeyObject } from 'node:crypto';

/**
 * A signing key held by a KMS (AWS KMS, Google Cloud KMS, Azure Key Vault, Vault's transit engine…): the `keys.signer`
 * option. The module hands it each token's signing input and writes what it returns as the token's signature.
 * @example
 * keys: { signer: {
 *   publicKey: readFileSync('kms-public.pem', 'utf8'),
 *   sign: async (signingInput) =>
 *     Buffer.from((await kms.send(new SignCommand({ KeyId, Message: signingInput, MessageType: 'RAW', SigningAlgorithm: 'RSASSA_PKCS1_V1_5_SHA_256' }))).Signature!),
 * } }
 */
export interface Rs256Signer {
  /**
   * Signs `signingInput` (the token's `header.payload`, as bytes) with RSASSA-PKCS1-v1_5 and SHA-256, and returns the
   * raw signature (as many bytes as the modulus). The KMS hashes the input itself, or is given its SHA-256 digest:
   * see the key custody guide for each service.
   */
  sign(signingInput: Buffer): Promise<Buffer>;
  /**
   * The public half of the key: a `KeyObject` or a PEM (SPKI or PKCS#1). Checked at start-up as key files are (RSA,
   * at least 2048 bits, a valid exponent), and a probe the signer signs there must verify with it.
   */
  publicKey: KeyObject | string;
  /** The `kid` tokens carry and the JWK Set names the key by. @default its RFC 7638 thumbprint */
  kid?: string;
}
