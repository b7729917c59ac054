import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { JwtService } from '@nestjs/jwt';
import { Test } from '@nestjs/testing';
import { JwtAuthGuard, Rs256AuthModule } from '../src/index.js';
import { benchModule, httpContext } from './apps.js';
import { createBenchKeys, signTokens } from './tokens.js';

/**
 * Phases of operations for an instruction counter, one dump per phase (see README.md, "Where the time goes"):
 *
 *   node bench/dist/bench/count.js prepare <dir>
 *   valgrind --tool=callgrind --smc-check=all-non-file --separate-threads=yes --dump-before=uv_os_getpriority \
 *     node --perf-basic-prof bench/dist/bench/count.js <dir> raw:2000:1000 miss:2000:6000 hit:4000:6000
 *
 * `prepare` writes a key pair and 12,000 tokens (signing under valgrind would take hours), and 3,000 DPoP requests: a
 * token bound to an ES256 key with its proof for GET http://bench.test/guarded. Each phase is
 * `name:operations[:warm-up]`; the warm-up runs before the first marker, so the dump between a phase's two markers
 * holds its operations only. `miss` goes through a guard whose cache (the default, 5000) is full and turning over;
 * `dpop` through a guard with `dpop: { mode: 'allowed' }`, each request a new token and a new proof (at most 3,000
 * operations in all, warm-ups included: a proof is good once); `rawproof` is one raw verification of a proof.
 */
const TOKENS = 12_000;
const DPOP_REQUESTS = 3_000;
const [command, ...phases] = process.argv.slice(2);

if (command === 'prepare') {
  const dir = phases[0];
  mkdirSync(dir, { recursive: true });
  const keys = createBenchKeys();
  copyFileSync(keys.privatePath, join(dir, 'private.pem'));
  copyFileSync(keys.publicPath, join(dir, 'public.pem'));
  writeFileSync(join(dir, 'tokens.json'), JSON.stringify(await signTokens(keys, TOKENS)));
  const proofKey = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(join(dir, 'proof-public.pem'), proofKey.publicKey.export({ type: 'spki', format: 'pem' }));
  writeFileSync(join(dir, 'dpop.json'), JSON.stringify(dpopRequests(keys.privateKey, keys.kid, proofKey, DPOP_REQUESTS)));
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
  const dpopModule = await Test.createTestingModule({
    // Proofs a day old accepted: they are made by `prepare`, well before valgrind gets to them.
    imports: [
      Rs256AuthModule.forRoot({ keys: { privateKeyPath: privatePath, publicKeyPath: publicPath }, dpop: { mode: 'allowed', proofMaxAge: 86_400 } }),
    ],
  }).compile();
  const dpopApp = await dpopModule.init();
  const dpopGuard = dpopApp.get(JwtAuthGuard);
  const dpop = JSON.parse(readFileSync(join(dir, 'dpop.json'), 'utf8')) as { token: string; proof: string }[];
  const dpopContexts = dpop.map(({ token, proof }) =>
    httpContext(
      { method: 'GET', url: '/guarded', headers: { host: 'bench.test', authorization: `DPoP ${token}`, dpop: proof }, socket: {} },
      response,
    ),
  );
  const proofPublicKey = createPublicKey(readFileSync(join(dir, 'proof-public.pem'), 'utf8'));
  const proofParts = dpop.map(({ proof }) => {
    const dot = proof.lastIndexOf('.');
    return { input: Buffer.from(proof.slice(0, dot)), signature: Buffer.from(proof.slice(dot + 1), 'base64url') };
  });
  let nextDpop = 0;
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
    dpop: () => dpopGuard.canActivate(dpopContexts[nextDpop++]),
    rawproof: (i) =>
      verify(
        'sha256',
        proofParts[i % DPOP_REQUESTS].input,
        { key: proofPublicKey, dsaEncoding: 'ieee-p1363' },
        proofParts[i % DPOP_REQUESTS].signature,
      ),
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
  await Promise.all([app.close(), dpopApp.close()]);
}

/** `count` tokens bound to the ES256 `proofKey` (`cnf.jkt`), each with a proof of its own for GET http://bench.test/guarded. */
function dpopRequests(privateKey: KeyObject, kid: string, proofKey: { privateKey: KeyObject; publicKey: KeyObject }, count: number) {
  const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const jwk = proofKey.publicKey.export({ format: 'jwk' });
  const jkt = createHash('sha256')
    .update(JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }))
    .digest('base64url');
  const now = Math.floor(Date.now() / 1000);
  return Array.from({ length: count }, (_, index) => {
    const input = `${b64({ alg: 'RS256', typ: 'JWT', kid })}.${b64({ sub: `user-${index}`, iat: now, exp: now + 3600, cnf: { jkt } })}`;
    const token = `${input}.${sign('sha256', Buffer.from(input), privateKey).toString('base64url')}`;
    const ath = createHash('sha256').update(token).digest('base64url');
    const signed = `${b64({ typ: 'dpop+jwt', alg: 'ES256', jwk })}.${b64({ jti: randomUUID(), htm: 'GET', htu: 'http://bench.test/guarded', iat: now, ath })}`;
    return {
      token,
      proof: `${signed}.${sign('sha256', Buffer.from(signed), { key: proofKey.privateKey, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`,
    };
  });
}
