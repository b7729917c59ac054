import { createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { JwtService } from '@nestjs/jwt';
import { Test } from '@nestjs/testing';
import { JwtAuthGuard } from '../src/index.js';
import { benchModule, httpContext } from './apps.js';
import { createBenchKeys, signTokens } from './tokens.js';

/**
 * Phases of operations for an instruction counter, one dump per phase (see README.md, "Where the time goes"):
 *
 *   node bench/dist/bench/count.js prepare <dir>
 *   valgrind --tool=callgrind --smc-check=all-non-file --separate-threads=yes --dump-before=uv_os_getpriority \
 *     node --perf-basic-prof bench/dist/bench/count.js <dir> raw:2000:1000 miss:2000:6000 hit:4000:6000
 *
 * `prepare` writes a key pair and 12,000 tokens (signing under valgrind would take hours). Each phase is
 * `name:operations[:warm-up]`; the warm-up runs before the first marker, so the dump between a phase's two markers
 * holds its operations only. `miss` goes through a guard whose cache (the default, 5000) is full and turning over.
 */
const TOKENS = 12_000;
const [command, ...phases] = process.argv.slice(2);

if (command === 'prepare') {
  const dir = phases[0];
  mkdirSync(dir, { recursive: true });
  const keys = createBenchKeys();
  copyFileSync(keys.privatePath, join(dir, 'private.pem'));
  copyFileSync(keys.publicPath, join(dir, 'public.pem'));
  writeFileSync(join(dir, 'tokens.json'), JSON.stringify(await signTokens(keys, TOKENS)));
} else {
  const dir = command;
  const privatePath = join(dir, 'private.pem');
  const publicPath = join(dir, 'public.pem');
  const privatePem = readFileSync(privatePath, 'utf8');
  const publicPem = readFileSync(publicPath, 'utf8');
  const tokens = JSON.parse(readFileSync(join(dir, 'tokens.json'), 'utf8')) as string[];
  const publicKey = createPublicKey(publicPem);
  const privateKey = createPrivateKey(privatePem);
  const moduleRef = await Test.createTestingModule({
    imports: [benchModule({ variant: 'library', privatePem, publicPem, privatePath, publicPath })],
  }).compile();
  const app = await moduleRef.init();
  const guard = app.get(JwtAuthGuard);
  const jwt = app.get(JwtService);
  const response = { header: () => undefined };
  const contexts = tokens.map((token) => httpContext({ headers: { authorization: `Bearer ${token}` } }, response));
  const parts = tokens.map((token) => {
    const dot = token.lastIndexOf('.');
    return { input: Buffer.from(token.slice(0, dot)), signature: Buffer.from(token.slice(dot + 1), 'base64url') };
  });
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url');
  const ops: Record<string, (i: number) => unknown> = {
    raw: (i) => verify('sha256', parts[i].input, publicKey, parts[i].signature),
    miss: (i) => guard.canActivate(contexts[i]),
    hit: () => guard.canActivate(contexts[0]),
    rawsign: (i) => {
      const now = Math.floor(Date.now() / 1000);
      const input = `${header}.${Buffer.from(JSON.stringify({ sub: `user-${i}`, iat: now, exp: now + 900 })).toString('base64url')}`;
      return `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
    },
    sign: (i) => jwt.sign({ sub: `user-${i}` }),
  };
  let next = 0;
  for (const phase of phases) {
    const [name, count, warmUp = '300'] = phase.split(':');
    const op = ops[name];
    for (let i = 0; i < Number(warmUp); i++) op(next++ % TOKENS);
    getPriority(); // marker: the dump before it ends the warm-up
    for (let i = 0; i < Number(count); i++) op(next++ % TOKENS);
    getPriority(); // marker: the dump before it holds the phase
  }
  await app.close();
}
