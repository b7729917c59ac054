import { generateKeyPairSync, type KeyExportOptions, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface RsaPair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

export function rsaPair(modulusLength = 2048): RsaPair {
  return generateKeyPairSync('rsa', { modulusLength });
}

/** Key files for one test file: real keys, made for this run in a temporary folder. */
export interface KeyFiles {
  dir: string;
  main: RsaPair;
  other: RsaPair;
  /** PKCS#8 private key of `main`. */
  privatePath: string;
  /** PKCS#1 (`BEGIN RSA PRIVATE KEY`) private key of `main`. */
  privatePkcs1Path: string;
  /** PKCS#8 private key of `main`, encrypted with `passphrase`. */
  encryptedPath: string;
  passphrase: string;
  /** SPKI public key of `main`. */
  publicPath: string;
  /** PKCS#1 (`BEGIN RSA PUBLIC KEY`) public key of `main`. */
  publicPkcs1Path: string;
  /** SPKI public key of `other`, a second RSA pair. */
  otherPublicPath: string;
  otherPrivatePath: string;
  ecPrivatePath: string;
  ecPublicPath: string;
  ed25519PublicPath: string;
  smallPrivatePath: string;
  smallPublicPath: string;
  /** A text file holding an HMAC secret, as HS256 setups use. */
  hmacSecretPath: string;
  /** A file in PEM armour whose body is not a key. */
  garbagePemPath: string;
  missingPath: string;
  cleanup(): void;
}

export function createKeyFiles(): KeyFiles {
  const dir = mkdtempSync(join(tmpdir(), 'rs256-auth-test-'));
  const write = (name: string, content: string): string => {
    const path = join(dir, name);
    writeFileSync(path, content, { mode: 0o600 });
    return path;
  };
  const main = rsaPair();
  const other = rsaPair();
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ed = generateKeyPairSync('ed25519');
  // 1024 bits is below the accepted minimum: exactly what the size check must catch.
  const small = rsaPair(1024);
  const passphrase = 'correct horse battery staple';
  const pem = (key: KeyObject, options: KeyExportOptions<'pem'>): string => key.export(options) as string;
  return {
    dir,
    main,
    other,
    passphrase,
    privatePath: write('private.pem', pem(main.privateKey, { type: 'pkcs8', format: 'pem' })),
    privatePkcs1Path: write('private-pkcs1.pem', pem(main.privateKey, { type: 'pkcs1', format: 'pem' })),
    encryptedPath: write('private-encrypted.pem', pem(main.privateKey, { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase })),
    publicPath: write('public.pem', pem(main.publicKey, { type: 'spki', format: 'pem' })),
    publicPkcs1Path: write('public-pkcs1.pem', pem(main.publicKey, { type: 'pkcs1', format: 'pem' })),
    otherPublicPath: write('other-public.pem', pem(other.publicKey, { type: 'spki', format: 'pem' })),
    otherPrivatePath: write('other-private.pem', pem(other.privateKey, { type: 'pkcs8', format: 'pem' })),
    ecPrivatePath: write('ec-private.pem', pem(ec.privateKey, { type: 'pkcs8', format: 'pem' })),
    ecPublicPath: write('ec-public.pem', pem(ec.publicKey, { type: 'spki', format: 'pem' })),
    ed25519PublicPath: write('ed25519-public.pem', pem(ed.publicKey, { type: 'spki', format: 'pem' })),
    smallPrivatePath: write('small-private.pem', pem(small.privateKey, { type: 'pkcs8', format: 'pem' })),
    smallPublicPath: write('small-public.pem', pem(small.publicKey, { type: 'spki', format: 'pem' })),
    hmacSecretPath: write('hmac-secret.txt', 'a-very-long-shared-secret-for-hs256-signing\n'),
    garbagePemPath: write('garbage.pem', '-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n'),
    missingPath: join(dir, 'does-not-exist.pem'),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
