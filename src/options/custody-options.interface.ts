import type { Rs256Signer } from '../custody/signer.interface.js';

/**
 * Where the signing key lives when the process should never hold it: in an HSM (`pkcs11`) or behind a KMS
 * (`signer`). Each excludes the other and the private key settings (`privateKeyPath`, `privateKey`).
 */
export interface CustodyOptions {
  /** Sign in an HSM over PKCS#11: the key never leaves the token. Needs the `pkcs11js` package. */
  pkcs11?: Pkcs11Options;

  /**
   * Sign with a key held by a KMS (AWS KMS, Google Cloud KMS, Azure Key Vault, Vault's transit engine…). With a
   * signer, `JwtService.sign` (synchronous) throws `RS256_SIGNER_ASYNC`: use `signAsync`. At start-up a probe is
   * signed and must verify with `publicKey`.
   * @env none: a function, given in code only
   * @default none (a private key, or verify-only mode)
   */
  signer?: Rs256Signer;
}

/** The HSM, the token in it, the key in the token and the PIN that opens it. */
export interface Pkcs11Options {
  /**
   * Path of the HSM vendor's PKCS#11 library (e.g. SoftHSM's `/usr/lib/softhsm/libsofthsm2.so`).
   * @env JWT_PKCS11_MODULE
   * @default none (no HSM)
   */
  module?: string;

  /**
   * Label of the token that holds the key. This or `slot`.
   * @env JWT_PKCS11_TOKEN_LABEL
   * @default none
   */
  tokenLabel?: string;

  /**
   * Id of the slot that holds the token. This or `tokenLabel`.
   * @env JWT_PKCS11_SLOT
   * @default none
   */
  slot?: number;

  /**
   * Label (`CKA_LABEL`) of the RSA private key in the token. This or `keyId`.
   * @env JWT_PKCS11_KEY_LABEL
   * @default none
   */
  keyLabel?: string;

  /**
   * Id (`CKA_ID`) of the RSA private key in the token, in hexadecimal. This or `keyLabel`.
   * @env JWT_PKCS11_KEY_ID
   * @default none
   */
  keyId?: string;

  /**
   * The token's user PIN. Never logged or quoted. This or `pinPath`.
   * @env JWT_PKCS11_PIN
   * @default none
   */
  pin?: string;

  /**
   * A file holding the user PIN (a Docker or Kubernetes secret); one trailing newline is ignored. This or `pin`.
   * @env JWT_PKCS11_PIN_PATH
   * @default none
   */
  pinPath?: string;
}
