#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseArgs } from 'node:util';
import { generateKeyFiles, KeygenError } from './keygen.js';
import { messageOf } from '../errors/rs256-auth.error.js';
import { editDistance } from '../options/unknown-env.js';
import { checkPeerVersions } from '../peer-versions.js';

const USAGE = `Usage: nestjs-rs256-auth keygen [options]
       nestjs-rs256-auth check
       nestjs-rs256-auth --help | --version

keygen writes a new RSA key pair for RS256: private.pem (PKCS#8, mode 0600) and public.pem (SPKI).
check, run in an application's folder, says whether its NestJS and the peers this package needs go together.

Options of keygen:
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

const OPTIONS = ['--out', '--bits', '--passphrase-env', '--force', '--help', '--version'];

/**
 * parseArgs's message for a bad argument, except for an unknown option: Node's text there explains positionals
 * starting with '-', where the user most likely mistyped one of the few options; the nearest one is suggested.
 */
function optionHint(error: Error & { code?: string }): string {
  const unknown = error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' ? /'(-[^']*)'/.exec(error.message)?.[1] : undefined;
  if (unknown === undefined) {
    return error.message;
  }
  const [nearest] = OPTIONS.map((option) => ({ option, distance: editDistance(unknown, option) })).sort((a, b) => a.distance - b.distance);
  return nearest.distance <= 2 ? `Unknown option '${unknown}'; did you mean ${nearest.option}?` : `Unknown option '${unknown}'.`;
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
    throw new KeygenError(`${optionHint(error as Error & { code?: string })}\n\n${USAGE}`, 2);
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
  if (positionals.length === 1 && positionals[0] === 'check') {
    // As the CommonJS build would find them: from this package's location, not the working directory.
    checkPeerVersions(createRequire(import.meta.url).resolve.paths('@nestjs/common') ?? []);
    process.stdout.write('The installed NestJS packages and the peers of nestjs-rs256-auth go together.\n');
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
      `kid: ${result.kid}\n` +
      `Keep ${result.privatePath} out of version control: add it (or ${values.out}/) to .gitignore, and give it to deployments as a secret.\n`,
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
