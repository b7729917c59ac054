import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JwtService } from '@nestjs/jwt';
import { Test } from '@nestjs/testing';
import { openCustody } from '../src/custody/open-custody.js';
import { Rs256AuthModule } from '../src/index.js';
import { measure, rawSignOp, type Row } from './micro.js';
import type { BenchKeys } from './tokens.js';

/** Debian's SoftHSM 2 (package softhsm2), the HSM of the custody rows. */
const SOFTHSM_LIBRARY = '/usr/lib/softhsm/libsofthsm2.so';
const TOKEN = 'bench';
const PIN = '246810';

/**
 * A SoftHSM token of its own, in a temporary folder, with an RSA-2048 key generated inside it (by the tests' key
 * generator, test/support/softhsm-keygen.process.mjs; npm runs the bench from the repository root). Points this
 * process's SOFTHSM2_CONF at it before the library is loaded. `undefined` where softhsm2 is not installed.
 */
function softHsmToken(): { cleanup: () => void } | undefined {
  if (spawnSync('softhsm2-util', ['--version']).status !== 0) return undefined;
  const dir = mkdtempSync(join(tmpdir(), 'rs256-auth-bench-hsm-'));
  mkdirSync(join(dir, 'tokens'));
  const conf = join(dir, 'softhsm2.conf');
  writeFileSync(conf, `directories.tokendir = ${join(dir, 'tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  process.env.SOFTHSM2_CONF = conf;
  const env = { PATH: process.env.PATH, SOFTHSM2_CONF: conf };
  for (const [command, args] of [
    ['softhsm2-util', ['--init-token', '--free', '--label', TOKEN, '--pin', PIN, '--so-pin', `so-${PIN}`]],
    [
      process.execPath,
      ['test/support/softhsm-keygen.process.mjs', SOFTHSM_LIBRARY, TOKEN, PIN, JSON.stringify([{ label: 'jwt', id: '01', bits: 2048 }])],
    ],
  ] as const) {
    const result = spawnSync(command, args, { env, encoding: 'utf8' });
    if (result.status !== 0) throw new Error(`${command} failed:\n${result.stdout}${result.stderr}`);
  }
  return { cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Signing with the key in an HSM (SoftHSM, in process: a network HSM adds its round trip) beside the raw
 * `crypto.sign` floor and the library signing with a key file: the PKCS#11 call alone (`C_SignInit` + `C_Sign`,
 * synchronous), and `JwtService.sign` / `signAsync` with `JWT_PKCS11_*` settings. `signAsync` runs 16 calls in
 * flight (as `measure` does for every promise), queued on one session. `undefined` where softhsm2 is missing.
 */
export async function custodyRows(keys: BenchKeys): Promise<Row[] | undefined> {
  const token = softHsmToken();
  if (!token) return undefined;
  const pkcs11 = { module: SOFTHSM_LIBRARY, tokenLabel: TOKEN, keyLabel: 'jwt', pin: PIN };
  const hsmApp = await (await Test.createTestingModule({ imports: [Rs256AuthModule.forRoot({ keys: { pkcs11 } })] }).compile()).init();
  const fileApp = await (
    await Test.createTestingModule({
      imports: [Rs256AuthModule.forRoot({ keys: { privateKeyPath: keys.privatePath, publicKeyPath: keys.publicPath } })],
    }).compile()
  ).init();
  // The PKCS#11 call alone, through a second login to the same token (the module's own stays untouched).
  const custody = await openCustody({
    pkcs11: {
      module: { setting: 'bench', path: SOFTHSM_LIBRARY },
      token: { setting: 'bench', label: TOKEN },
      key: { setting: 'bench', label: 'jwt' },
      pin: { setting: 'bench', value: PIN },
    },
  });
  const hsmJwt = hsmApp.get(JwtService);
  const fileJwt = fileApp.get(JwtService);
  const sample = rawSignOp(keys)(0) as string;
  const signingInput = Buffer.from(sample.slice(0, sample.lastIndexOf('.')));
  try {
    return await measure(
      {
        'raw crypto.sign, KeyObject (the floor)': rawSignOp(keys),
        'library: JwtService.sign, key file': (i) => fileJwt.sign({ sub: `user-${i}` }),
        'SoftHSM: C_SignInit + C_Sign alone': () => custody.signSync!(signingInput),
        'library: JwtService.sign, SoftHSM': (i) => hsmJwt.sign({ sub: `user-${i}` }),
        'library: JwtService.signAsync, SoftHSM': (i) => hsmJwt.signAsync({ sub: `user-${i}` }),
      },
      40,
      12,
    );
  } finally {
    await custody.close();
    await Promise.all([hsmApp.close(), fileApp.close()]);
    token.cleanup();
  }
}
