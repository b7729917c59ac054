import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { closeSync, fchmodSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rsaPublicJwk, type RsaPublicJwk } from '../jwks/jwk-set.js';
import { rsaThumbprint } from '../keys/key-loader.js';
import { refuseProduction } from './production-guard.js';

/** A throwaway RSA key pair, made in memory for one test run. */
export interface TestKeyPair {
  /** The private key as PKCS#8 PEM: what the `keys.privateKey` option (`JWT_PRIVATE_KEY`) takes. */
  readonly privateKey: string;
  /** The public key as SPKI PEM: what the `keys.publicKey` option (`JWT_PUBLIC_KEY`) takes. */
  readonly publicKey: string;
  /** The RFC 7638 thumbprint: the `kid` the module gives this key, and the one its tokens carry. */
  readonly kid: string;
  /** The public key as a JWK, as a JWK Set serves it. */
  readonly publicJwk: RsaPublicJwk;
  /** The private key as a `KeyObject`, for signing. */
  readonly signingKey: KeyObject;
  /**
   * Writes `private.pem` (mode 0600) and `public.pem` into `dir` (created if missing), for an application that reads
   * `JWT_PRIVATE_KEY_PATH` or `JWT_PUBLIC_KEY_PATH`; nothing is written unless this is called.
   * @returns the two paths, as the `keys` option takes them: `Rs256AuthModule.forRoot({ keys: kit.keys.writeKeyFiles(dir) })`
   */
  writeKeyFiles(dir: string): { privateKeyPath: string; publicKeyPath: string };
}

/**
 * Makes a new RSA key pair in memory: the kit never ships keys of its own, so no two runs share one.
 * @param modulusLength RSA modulus size in bits; at least 2048, the module's minimum
 * @throws Rs256AuthError `RS256_TESTING_IN_PRODUCTION` when `NODE_ENV` is `production`
 */
export function createTestKeys(modulusLength = 2048): TestKeyPair {
  refuseProduction('createTestKeys()');
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength });
  return testKeyPair(privateKey, publicKey);
}

function testKeyPair(privateKey: KeyObject, publicKey: KeyObject): TestKeyPair {
  const privatePem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
  const publicPem = publicKey.export({ type: 'spki', format: 'pem' }) as string;
  const kid = rsaThumbprint(publicKey);
  return {
    privateKey: privatePem,
    publicKey: publicPem,
    kid,
    publicJwk: rsaPublicJwk(publicKey, kid),
    signingKey: privateKey,
    writeKeyFiles(dir: string) {
      mkdirSync(dir, { recursive: true });
      const privateKeyPath = join(dir, 'private.pem');
      const publicKeyPath = join(dir, 'public.pem');
      // `mode` applies only to a file created here: an existing private.pem is made 0600 before the key goes in.
      const fd = openSync(privateKeyPath, 'w', 0o600);
      try {
        fchmodSync(fd, 0o600);
        writeFileSync(fd, privatePem);
      } finally {
        closeSync(fd);
      }
      writeFileSync(publicKeyPath, publicPem);
      return { privateKeyPath, publicKeyPath };
    },
  };
}
