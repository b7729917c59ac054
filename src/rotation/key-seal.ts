import { createCipheriv, createDecipheriv, createPrivateKey, randomBytes, scrypt, type KeyObject } from 'node:crypto';

/**
 * scrypt's cost: 2^15 × 8 × 128 bytes = 32 MiB, three times over (p = 3, run in turn), about a third of a second per
 * derivation, which is why a key is derived once per salt and process. The 32 MiB row of OWASP's minimums (Password
 * Storage Cheat Sheet: N = 2^17, r = 8, p = 1, or its equivalents); p = 1 alone at 2^15 was a quarter of the minimum.
 */
const SCRYPT = { N: 2 ** 15, r: 8, p: 3, maxmem: 64 * 1024 * 1024 } as const;
const FORMAT = 'scrypt-aes-256-gcm';

/** The entry's fields the schedule reads: bound to the sealed key as AES-GCM's additional data. */
export interface SealedKeyMetadata {
  readonly seq: number;
  readonly kid: string;
  readonly createdAt: number;
  readonly activeFrom: number;
}

const associatedData = ({ seq, kid, createdAt, activeFrom }: SealedKeyMetadata): Buffer =>
  Buffer.from(JSON.stringify([FORMAT, seq, kid, createdAt, activeFrom]));

/**
 * Seals rotated private keys at rest: the PKCS#8 DER encrypted with AES-256-GCM under a key derived by scrypt from
 * the rotation passphrase, with the entry's metadata as additional authenticated data. An entry written by anyone
 * without the passphrase (an unencrypted key, an earlier `activeFrom`, a kid changed) fails authentication. Sealed
 * text: `scrypt-aes-256-gcm.<salt>.<iv>.<ciphertext>.<tag>`, base64url parts.
 */
export class KeySeal {
  /** Derived keys by salt: one derivation per salt and process. */
  private readonly derived = new Map<string, Promise<Buffer>>();
  /** The salt of the entries this process seals. */
  private readonly salt = randomBytes(16);

  constructor(private readonly passphrase: string) {}

  /** Derives this process's sealing key ahead, so that sealing itself is quick. */
  async prepare(): Promise<void> {
    await this.keyFor(this.salt);
  }

  async seal(privateKey: KeyObject, metadata: SealedKeyMetadata): Promise<string> {
    const key = await this.keyFor(this.salt);
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', key, iv).setAAD(associatedData(metadata));
    const data = Buffer.concat([cipher.update(privateKey.export({ type: 'pkcs8', format: 'der' })), cipher.final()]);
    return [FORMAT, ...[this.salt, iv, data, cipher.getAuthTag()].map((part) => part.toString('base64url'))].join('.');
  }

  /** The private key of a sealed entry; throws if the entry was not sealed with this passphrase and this metadata. */
  async open(sealed: string, metadata: SealedKeyMetadata): Promise<KeyObject> {
    const [format, ...parts] = sealed.split('.');
    const [salt, iv, data, tag] = parts.map((part) => Buffer.from(part, 'base64url'));
    if (format !== FORMAT || parts.length !== 4 || salt.length !== 16 || iv.length !== 12 || tag.length !== 16) {
      throw new Error(`not a ${FORMAT} sealed key`);
    }
    const decipher = createDecipheriv('aes-256-gcm', await this.keyFor(salt), iv)
      .setAAD(associatedData(metadata))
      .setAuthTag(tag);
    const der = Buffer.concat([decipher.update(data), decipher.final()]);
    return createPrivateKey({ key: der, format: 'der', type: 'pkcs8' });
  }

  private keyFor(salt: Buffer): Promise<Buffer> {
    const id = salt.toString('hex');
    let key = this.derived.get(id);
    if (!key) {
      key = new Promise<Buffer>((done, fail) => scrypt(this.passphrase, salt, 32, SCRYPT, (error, derived) => (error ? fail(error) : done(derived))));
      this.derived.set(id, key);
    }
    return key;
  }
}
