#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { generateKeyFiles, KeygenError } from './keygen.js';
import { messageOf } from '../errors/rs256-auth.error.js';

const USAGE = `Usage: nestjs-rs256-auth keygen [options]
       nestjs-rs256-auth --help | --version

Writes a new RSA key pair for RS256: private.pem (PKCS#8, mode 0600) and public.pem (SPKI).

Options:
  --out DIR              folder to write to, created if missing (default: keys)
  --bits N               RSA modulus size, at least 2048 (default: 2048)
  --passphrase-env VAR   encrypt the private key with the passphrase in environment variable VAR
  --force                overwrite existing key files
  -h, --help             show this help
  -v, --version          print the version of nestjs-rs256-auth
`;

/** The installed package's version: package.json sits two folders up from dist/cli/, in a clone as in node_modules. */
function version(): string {
  const manifest = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  return manifest.version;
}

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        out: { type: 'string', default: 'keys' },
        bits: { type: 'string', default: '2048' },
        'passphrase-env': { type: 'string' },
        force: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
        version: { type: 'boolean', short: 'v', default: false },
      },
    });
  } catch (error) {
    throw new KeygenError(`${(error as Error).message}\n\n${USAGE}`, 2);
  }
  const { values, positionals } = parsed;
  // No arguments is someone finding out what the command does, not a mistake: usage, and success.
  if (values.help || argv.length === 0) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${version()}\n`);
    return 0;
  }
  if (positionals.length !== 1 || positionals[0] !== 'keygen') {
    throw new KeygenError(`Unknown command "${positionals.join(' ')}".\n\n${USAGE}`, 2);
  }
  let passphrase: string | undefined;
  const variable = values['passphrase-env'];
  if (variable !== undefined) {
    passphrase = process.env[variable];
    if (!passphrase) {
      throw new KeygenError(`--passphrase-env ${variable}: the environment variable ${variable} is not set or empty.`, 2);
    }
  }
  const bits = /^\d+$/.test(values.bits) ? Number(values.bits) : Number.NaN;
  const result = await generateKeyFiles({ out: values.out, bits, passphrase, force: values.force });
  process.stdout.write(
    `Wrote ${result.privatePath} (PKCS#8${passphrase ? ', encrypted' : ''}, mode 0600) and ${result.publicPath} (SPKI)\n` +
      `kid: ${result.kid}\n`,
  );
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`nestjs-rs256-auth: ${messageOf(error)}\n`);
    process.exitCode = error instanceof KeygenError ? error.exitCode : 1;
  },
);
