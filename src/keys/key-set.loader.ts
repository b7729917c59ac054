import { join } from 'node:path';
import type { SigningCustody } from './signing-custody.js';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import { listFolder, statPath } from './key-file.reader.js';
import { describeKeyOrigin, loadPrivateKey, loadPublicKey, publicKeyOf, rsaThumbprint, type KeyOrigin } from './key-loader.js';
import { KeySet, verificationKey, type SigningKey, type VerificationKey } from './key-set.js';

/** A configured public key: a file, a folder of key files, or an inline PEM, with an optional fixed `kid`. */
export type PublicKeySource = KeyOrigin & { kid?: string };

/** Everything needed to (re)build the key set; read again on every reload. */
export interface KeySetSources {
  privateKey?: KeyOrigin;
  /** A signing key in an HSM or behind a KMS, opened once at start-up; excludes `privateKey`. */
  custody?: SigningCustody;
  passphrase: { setting: string; value?: string };
  publicKeys: PublicKeySource[];
}

const KEY_FILE = /\.(pem|pub)$/;

/**
 * A folder stands for the `*.pem` and `*.pub` entries in it, in name order; anything else for itself. Entries are
 * chosen by name only: one so named that is not a regular file (a FIFO, a sub-folder) is refused when read, like
 * any key path.
 */
async function expand(source: PublicKeySource): Promise<PublicKeySource[]> {
  if (!('path' in source)) {
    return [source];
  }
  // Missing, unreadable or not a path at all: loadPublicKey reports it with the setting (and path, if it is one).
  const stats = await statPath(source.path);
  if (!stats?.isDirectory()) {
    return [source];
  }
  let names: string[];
  try {
    names = await listFolder(source.path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unknown error';
    throw new Rs256AuthError('RS256_KEY_UNREADABLE', `${describeKeyOrigin(source)}: the folder cannot be listed (${code}).`, { cause: error });
  }
  const files = names.filter((name) => KEY_FILE.test(name)).sort();
  if (files.length === 0) {
    throw new Rs256AuthError('RS256_KEY_NOT_FOUND', `${describeKeyOrigin(source)}: the folder holds no .pem or .pub file; expected RSA public keys.`);
  }
  return files.map((name) => ({ ...source, path: join(source.path, name) }));
}

/**
 * Reads and checks every configured key and builds the key set, without blocking the event loop: at start-up (the
 * module's config factory is async), on reloads and for the key files an `issuerResolver` answer names. Each public
 * key's `kid` is its RFC 7638 thumbprint unless one is configured; the private key's public half must be among the
 * public keys when any are configured (else it is derived), and the signing `kid` is that key's.
 * @throws Rs256AuthError (as a rejection) naming the setting and path at fault
 */
export async function loadKeySet(sources: KeySetSources): Promise<KeySet> {
  const { custody } = sources;
  const privateKey = sources.privateKey && (await loadPrivateKey(sources.privateKey, sources.passphrase));
  const entries: PublicKeySource[] = [];
  for (const source of sources.publicKeys) {
    entries.push(...(await expand(source)));
  }
  const byKid = new Map<string, { entry: VerificationKey; source: PublicKeySource; thumbprint: string }>();
  for (const source of entries) {
    const key = await loadPublicKey(source);
    const thumbprint = rsaThumbprint(key);
    const kid = source.kid ?? thumbprint;
    const existing = byKid.get(kid);
    if (existing && existing.thumbprint !== thumbprint) {
      throw new Rs256AuthError(
        'RS256_CONFIG_INVALID',
        `kid "${kid}" names two different keys: ${describeKeyOrigin(existing.source)} and ${describeKeyOrigin(source)}.`,
      );
    }
    // The same key listed twice (a file and the folder it is in) is one key.
    if (!existing) {
      byKid.set(kid, { entry: verificationKey(kid, key), source, thumbprint });
    }
  }
  // The signing key: in custody (HSM, KMS), or read into this process; neither means verify-only.
  const signer = custody
    ? { publicKey: custody.publicKey, where: custody.where, signing: (kid: string): SigningKey => ({ kid, custody }) }
    : privateKey && sources.privateKey
      ? {
          publicKey: publicKeyOf(privateKey),
          where: describeKeyOrigin(sources.privateKey),
          signing: (kid: string): SigningKey => ({ kid, key: privateKey }),
        }
      : undefined;
  if (!signer) {
    if (byKid.size === 0) {
      throw new Rs256AuthError(
        'RS256_NO_KEY',
        'No key is configured: set JWT_PRIVATE_KEY_PATH (to sign and verify) or JWT_PUBLIC_KEY_PATH (to verify only), ' +
          'or the keys.privateKeyPath/keys.publicKeyPath options.',
      );
    }
    return new KeySet([...byKid.values()].map(({ entry }) => entry));
  }
  const ownThumbprint = rsaThumbprint(signer.publicKey);
  if (byKid.size === 0) {
    const kid = custody?.kid ?? ownThumbprint;
    return new KeySet([verificationKey(kid, signer.publicKey)], signer.signing(kid));
  }
  const own = [...byKid.values()].find(({ thumbprint }) => thumbprint === ownThumbprint);
  if (!own) {
    const publics = entries.map((source) => describeKeyOrigin(source)).join(', ');
    throw new Rs256AuthError(
      'RS256_KEY_MISMATCH',
      `No configured public key (${publics}) belongs to the private key (${signer.where}); tokens signed with this private key would never verify.`,
    );
  }
  return new KeySet(
    [...byKid.values()].map(({ entry }) => entry),
    signer.signing(own.entry.kid),
  );
}

/** The files and folders a key set is read from: none where every key is given inline. */
export function keyPaths(sources: KeySetSources): string[] {
  return [sources.privateKey, ...sources.publicKeys].flatMap((source) => (source !== undefined && 'path' in source ? [source.path] : []));
}
