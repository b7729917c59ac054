import { generateKeyPairSync } from 'node:crypto';
import { KeySeal, type SealedKeyMetadata } from './key-seal.js';

const PASSPHRASE = 'a rotation passphrase, long enough';

describe('KeySeal', () => {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const der = (key: { export(options: { type: 'pkcs8'; format: 'der' }): Buffer }): string =>
    key.export({ type: 'pkcs8', format: 'der' }).toString('base64');
  const metadata: SealedKeyMetadata = { seq: 3, kid: 'kid-3', createdAt: 1_700_000_000_000, activeFrom: 1_700_000_600_000 };
  const seal = new KeySeal(PASSPHRASE);
  let sealed: string;

  beforeAll(async () => {
    sealed = await seal.seal(privateKey, metadata);
  });

  it('opens what it sealed, with the same metadata, in another process (another salt) too', async () => {
    expect(der(await seal.open(sealed, metadata))).toBe(der(privateKey));
    expect(der(await new KeySeal(PASSPHRASE).open(sealed, metadata))).toBe(der(privateKey));
    expect(sealed).not.toContain(der(privateKey).slice(0, 40));
  });

  it('never seals twice under one nonce', async () => {
    const again = await seal.seal(privateKey, metadata);
    const [, salt1, iv1] = sealed.split('.');
    const [, salt2, iv2] = again.split('.');
    expect(salt2).toBe(salt1);
    expect(iv2).not.toBe(iv1);
  });

  it.each<[string, Partial<SealedKeyMetadata>]>([
    ['seq', { seq: 4 }],
    ['kid', { kid: 'kid-4' }],
    ['createdAt', { createdAt: metadata.createdAt - 1 }],
    ['activeFrom', { activeFrom: metadata.activeFrom - 1 }],
  ])('refuses the entry when its %s changed', async (_field, change) => {
    await expect(seal.open(sealed, { ...metadata, ...change })).rejects.toThrow();
  });

  it('refuses another passphrase, without quoting it', async () => {
    const error = await new KeySeal('another passphrase, long enough').open(sealed, metadata).then(
      () => undefined,
      (refusal: unknown) => refusal as Error,
    );
    expect(error?.message).toMatch(/authenticate/);
    expect(String(error?.message)).not.toContain('passphrase, long');
  });

  it('refuses an altered ciphertext, tag, nonce, a short tag and anything but its format', async () => {
    const parts = sealed.split('.');
    const flip = (index: number): string => {
      const bytes = Buffer.from(parts[index] ?? '', 'base64url');
      bytes[0] ^= 1;
      return parts.map((part, at) => (at === index ? bytes.toString('base64url') : part)).join('.');
    };
    for (const index of [1, 2, 3, 4]) await expect(seal.open(flip(index), metadata)).rejects.toThrow();
    const shortTag = [
      ...parts.slice(0, 4),
      Buffer.from(parts[4] ?? '', 'base64url')
        .subarray(0, 4)
        .toString('base64url'),
    ].join('.');
    await expect(seal.open(shortTag, metadata)).rejects.toThrow('not a scrypt-aes-256-gcm sealed key');
    await expect(seal.open(`${sealed}.x`, metadata)).rejects.toThrow('not a scrypt-aes-256-gcm sealed key');
    await expect(seal.open(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, metadata)).rejects.toThrow();
  });
});
