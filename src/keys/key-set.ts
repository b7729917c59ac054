import type { KeyObject } from 'node:crypto';
import type { SigningCustody } from './signing-custody.js';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';

/** A public key that verifies tokens, with the `kid` that selects it. */
export interface VerificationKey {
  readonly kid: string;
  readonly key: KeyObject;
  /** Length of an RS256 signature made with this key, in bytes (the modulus length). */
  readonly signatureLength: number;
  /**
   * Length of that signature in unpadded base64url, in characters: the one length a token's signature segment may
   * have. Buffer ignores a surplus character, so without this check a 3072-bit key (384 bytes, a multiple of 3)
   * would accept 64 spellings of every token.
   */
  readonly encodedSignatureLength: number;
}

/**
 * What signs tokens, with the `kid` written into their header: a private key this process holds, or a key in custody
 * (an HSM, a KMS) that signs on request.
 */
export type SigningKey =
  | { readonly kid: string; readonly key: KeyObject; readonly custody?: never }
  | { readonly kid: string; readonly custody: SigningCustody; readonly key?: never };

export function verificationKey(kid: string, key: KeyObject): VerificationKey {
  const signatureLength = Math.ceil((key.asymmetricKeyDetails?.modulusLength ?? 0) / 8);
  return { kid, key, signatureLength, encodedSignatureLength: Math.ceil((signatureLength * 4) / 3) };
}

/**
 * The keys in force: every public key that may verify a token, looked up by `kid`, and the private key that
 * signs, if any. Everything that needs a key asks this object, so the set can later be replaced as a whole
 * (rotation) without anyone holding on to a stale key. A `kid` is only ever a lookup here: never a path, URL
 * or anything fetched.
 */
export class KeySet {
  private readonly byKid: ReadonlyMap<string, VerificationKey>;

  constructor(
    readonly verificationKeys: readonly VerificationKey[],
    private readonly signing?: SigningKey,
    /**
     * Fetched keys that could not be refreshed for longer than `keys.remote.maxStale`: kept (a successful fetch compares
     * against them) but never selected, so every token is refused until a fetch succeeds.
     */
    readonly stale = false,
  ) {
    this.byKid = new Map(verificationKeys.map((entry) => [entry.kid, entry]));
  }

  /** The signing key; throws `RS256_NO_PRIVATE_KEY` in verify-only mode. */
  signingKey(): SigningKey {
    if (!this.signing) {
      throw new Rs256AuthError(
        'RS256_NO_PRIVATE_KEY',
        'Cannot sign: no private key is configured (verify-only mode). Set JWT_PRIVATE_KEY_PATH or the keys.privateKeyPath option.',
      );
    }
    return this.signing;
  }

  /** The HSM or KMS that signs, when the signing key is in custody rather than in this process. */
  get custody(): SigningCustody | undefined {
    return this.signing?.custody;
  }

  /** `kid` that issued tokens carry, or `undefined` in verify-only mode. */
  get signingKid(): string | undefined {
    return this.signing?.kid;
  }

  /**
   * The key that must have signed a token with this header `kid`. With a single key, a token without `kid` is
   * checked against it; with several, the `kid` is required.
   * @throws Rs256AuthError `RS256_TOKEN_KID_UNKNOWN`, or `RS256_TOKEN_KEYS_STALE` for a stale set
   */
  select(kid: unknown): VerificationKey {
    if (this.stale) {
      throw new Rs256AuthError('RS256_TOKEN_KEYS_STALE', 'verification keys are stale (the issuer could not be reached); try again later');
    }
    if (this.verificationKeys.length === 0) {
      throw new Rs256AuthError('RS256_TOKEN_KID_UNKNOWN', 'no verification key is available yet');
    }
    if (kid === undefined) {
      if (this.verificationKeys.length === 1) {
        return this.verificationKeys[0];
      }
      throw new Rs256AuthError('RS256_TOKEN_KID_UNKNOWN', 'token has no kid and several keys are configured');
    }
    const entry = typeof kid === 'string' ? this.byKid.get(kid) : undefined;
    if (!entry) {
      throw new Rs256AuthError('RS256_TOKEN_KID_UNKNOWN', 'token kid does not name a configured key');
    }
    return entry;
  }
}
