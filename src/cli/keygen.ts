import { generateKeyPair } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MIN_RSA_BITS, rsaThumbprint } from '../keys/key-loader.js';

const generateKeyPairAsync = promisify(generateKeyPair);

export interface KeygenOptions {
  /** Folder for `private.pem` and `public.pem`; created if missing. */
  out: string;
  bits: number;
  /** Encrypts the private key (PKCS#8, AES-256-CBC) when given. */
  passphrase?: string;
  /** Overwrite existing files. */
  force: boolean;
}

export interface KeygenResult {
  privatePath: string;
  publicPath: string;
  kid: string;
}

/** A failure the CLI reports as one line; `exitCode` 2 for bad usage, 1 for everything else. */
export class KeygenError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
  ) {
    super(message);
  }
}

/** Writes a new RSA key pair: `private.pem` (PKCS#8, mode 0600) and `public.pem` (SPKI). */
export async function generateKeyFiles({ out, bits, passphrase, force }: KeygenOptions): Promise<KeygenResult> {
  if (!Number.isInteger(bits) || bits < MIN_RSA_BITS || bits > 16384) {
    throw new KeygenError(`--bits must be a whole number from ${MIN_RSA_BITS} to 16384; got ${bits}.`, 2);
  }
  const privatePath = join(out, 'private.pem');
  const publicPath = join(out, 'public.pem');
  // Checked before anything is generated or written, so a refusal never leaves half a pair behind.
  const existing = [privatePath, publicPath].filter((path) => existsSync(path));
  if (existing.length > 0 && !force) {
    throw new KeygenError(`${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''}; pass --force to overwrite.`);
  }
  try {
    mkdirSync(out, { recursive: true });
  } catch (error) {
    throw new KeygenError(`Cannot create the folder ${out} (${(error as NodeJS.ErrnoException).code}).`);
  }
  const { privateKey, publicKey } = await generateKeyPairAsync('rsa', { modulusLength: bits });
  const privatePem = privateKey.export(
    passphrase ? { type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase } : { type: 'pkcs8', format: 'pem' },
  );
  try {
    writeFileSync(privatePath, privatePem, { mode: 0o600 });
    // `mode` applies only when the file is created; an overwritten file keeps its old mode otherwise.
    chmodSync(privatePath, 0o600);
    writeFileSync(publicPath, publicKey.export({ type: 'spki', format: 'pem' }), { mode: 0o644 });
  } catch (error) {
    throw new KeygenError(`Cannot write to ${out} (${(error as NodeJS.ErrnoException).code}).`);
  }
  return { privatePath, publicPath, kid: rsaThumbprint(publicKey) };
}
