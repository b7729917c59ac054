import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Debian's SoftHSM 2 PKCS#11 library (package softhsm2; .ci/run installs it). */
export const SOFTHSM_LIBRARY = '/usr/lib/softhsm/libsofthsm2.so';

const KEYGEN_SCRIPT = fileURLToPath(new URL('./softhsm-keygen.process.mjs', import.meta.url));

/** A key pair to generate inside a token: its CKA_LABEL, CKA_ID (hex) and modulus length. */
export interface TokenKey {
  label: string;
  id: string;
  bits: number;
}

/** A SoftHSM set-up of one test file: its own configuration and token folder, tokens initialised by the test. */
export interface SoftHsm {
  dir: string;
  /** Initialises a token in the next free slot, generates `keys` inside it, and returns the token's slot id. */
  initToken(label: string, pin: string, keys: TokenKey[]): number;
  cleanup(): void;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): string {
  const result = spawnSync(command, args, { env, encoding: 'utf8', timeout: 60_000 });
  if (result.status !== 0) {
    throw new Error(`${command} ${args[0]} failed (${result.status ?? result.signal}):\n${result.stdout}${result.stderr}${result.error ?? ''}`);
  }
  return result.stdout;
}

/**
 * The process's real environment. Jest hands each test file a copy of `process.env`, but the PKCS#11 library reads
 * the real one (getenv, at C_Initialize); `process.getBuiltinModule` (Node 20.16+) returns the real process object.
 */
function realEnv(): NodeJS.ProcessEnv {
  const real = (process as { getBuiltinModule?: (name: string) => NodeJS.Process }).getBuiltinModule?.('node:process');
  return real?.env ?? process.env;
}

/**
 * A temporary SoftHSM: writes a configuration with its own token folder and points `SOFTHSM2_CONF` at it, in this
 * process (the library, loaded by the module under test, reads it at C_Initialize) and in the tools it runs.
 */
export function createSoftHsm(): SoftHsm {
  const dir = mkdtempSync(join(tmpdir(), 'rs256-auth-softhsm-'));
  const tokens = join(dir, 'tokens');
  mkdirSync(tokens);
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${tokens}\nobjectstore.backend = file\nlog.level = ERROR\nslots.removable = false\n`);
  const environment = realEnv();
  const previous = environment.SOFTHSM2_CONF;
  environment.SOFTHSM2_CONF = conf;
  const env = { PATH: process.env.PATH, SOFTHSM2_CONF: conf };
  return {
    dir,
    initToken(label, pin, keys) {
      const output = run('softhsm2-util', ['--init-token', '--free', '--label', label, '--pin', pin, '--so-pin', `so-${pin}`], env);
      run(process.execPath, [KEYGEN_SCRIPT, SOFTHSM_LIBRARY, label, pin, JSON.stringify(keys)], env);
      // "The token has been initialized and is reassigned to slot 2037448625"
      const slot = /reassigned to slot (\d+)/.exec(output);
      if (!slot) throw new Error(`softhsm2-util did not say the token's slot:\n${output}`);
      return Number(slot[1]);
    },
    cleanup() {
      if (previous === undefined) delete environment.SOFTHSM2_CONF;
      else environment.SOFTHSM2_CONF = previous;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
