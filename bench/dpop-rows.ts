import { createHash, generateKeyPairSync, randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { Test } from '@nestjs/testing';
import { JwtAuthGuard, Rs256AuthModule } from '../src/index.js';
import { httpContext } from './apps.js';
import { measure, rawVerifyOp, type Op, type Row } from './micro.js';
import type { BenchKeys } from './tokens.js';

/**
 * The DPoP rows (in `npm run bench`, or alone: `npm run bench:dpop`, under a minute): a request under `Authorization: DPoP` with its proof, through
 * `JwtAuthGuard.canActivate` as Nest's router calls it, beside one raw RSA-2048 verification and the two raw
 * signature checks such a request cannot do without (the token's, the proof's). Every call has a new token (the
 * verified-token cache misses, as for a client's first request) and a new proof (a proof is good once), so each
 * pays both signatures, the proof's parsing and key import, `ath`, `htu` and the replay cache (in memory here).
 * Goal: at most the two signature checks plus 10 %.
 */
const PER_ROUND = 50;
const ROUNDS = 40;
const CALLS = (ROUNDS + 1) * PER_ROUND;
const HOST = 'bench.test';
const PATH = '/guarded';

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

interface ProofKey {
  alg: 'ES256' | 'RS256';
  privateKey: KeyObject;
  publicKey: KeyObject;
  jwk: object;
  jkt: string;
}

function proofKey(alg: ProofKey['alg']): ProofKey {
  const { privateKey, publicKey } =
    alg === 'ES256' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = publicKey.export({ format: 'jwk' });
  const members = alg === 'ES256' ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y } : { e: jwk.e, kty: jwk.kty, n: jwk.n };
  return { alg, privateKey, publicKey, jwk, jkt: createHash('sha256').update(JSON.stringify(members)).digest('base64url') };
}

const signWith = (key: ProofKey, input: string): Buffer =>
  sign('sha256', Buffer.from(input), key.alg === 'ES256' ? { key: key.privateKey, dsaEncoding: 'ieee-p1363' } : key.privateKey);

/** `CALLS` tokens bound to `key` (unbound without one), each with a proof of its own for GET http://bench.test/guarded. */
function boundRequests(keys: BenchKeys, key: ProofKey | undefined): { token: string; proof: string }[] {
  const now = Math.floor(Date.now() / 1000);
  return Array.from({ length: CALLS }, (_, index) => {
    const input = `${b64({ alg: 'RS256', typ: 'JWT', kid: keys.kid })}.${b64({ sub: `user-${index}`, iat: now, exp: now + 3600, ...(key && { cnf: { jkt: key.jkt } }) })}`;
    const token = `${input}.${sign('sha256', Buffer.from(input), keys.privateKey).toString('base64url')}`;
    const claims = {
      jti: randomUUID(),
      htm: 'GET',
      htu: `http://${HOST}${PATH}`,
      iat: now,
      ath: createHash('sha256').update(token).digest('base64url'),
    };
    if (!key) return { token, proof: '' };
    const signed = `${b64({ typ: 'dpop+jwt', alg: key.alg, jwk: key.jwk })}.${b64(claims)}`;
    return { token, proof: `${signed}.${signWith(key, signed).toString('base64url')}` };
  });
}

/** One raw verification of each proof's signature, on pre-split buffers: the proof's share of the floor. */
function rawProofOp(key: ProofKey, requests: { proof: string }[]): Op {
  const parts = requests.map(({ proof }) => {
    const dot = proof.lastIndexOf('.');
    return { input: Buffer.from(proof.slice(0, dot)), signature: Buffer.from(proof.slice(dot + 1), 'base64url') };
  });
  const options = key.alg === 'ES256' ? { key: key.publicKey, dsaEncoding: 'ieee-p1363' as const } : key.publicKey;
  return (i) => verify('sha256', parts[i % parts.length].input, options, parts[i % parts.length].signature);
}

export const DPOP_ALGS = ['ES256', 'RS256'] as const;
export const dpopRowName = (alg: (typeof DPOP_ALGS)[number]): string => `JwtAuthGuard, DPoP with an ${alg} proof, new token`;
export const dpopProofFloorName = (alg: (typeof DPOP_ALGS)[number]): string => `raw crypto.verify of the ${alg} proof`;

/** The floor (one raw RSA-2048 verification of a token) first, then the proofs' raw checks, the guard rows. */
export async function dpopRows(keys: BenchKeys): Promise<Row[]> {
  const moduleRef = await (
    await Test.createTestingModule({
      imports: [Rs256AuthModule.forRoot({ keys: { privateKeyPath: keys.privatePath, publicKeyPath: keys.publicPath }, dpop: { mode: 'allowed' } })],
    }).compile()
  ).init();
  const guard = moduleRef.get(JwtAuthGuard);
  const response = { header: () => undefined };
  const ops: Record<string, Op> = {};
  const floors: Record<string, Op> = {};
  for (const alg of DPOP_ALGS) {
    const key = proofKey(alg);
    const requests = boundRequests(keys, key);
    const contexts = requests.map(({ token, proof }) =>
      httpContext({ method: 'GET', url: PATH, headers: { host: HOST, authorization: `DPoP ${token}`, dpop: proof }, socket: {} }, response),
    );
    floors[dpopProofFloorName(alg)] = rawProofOp(key, requests);
    ops[dpopRowName(alg)] = (i) => guard.canActivate(contexts[i]);
  }
  const tokens = boundRequests(keys, proofKey('ES256')).map(({ token }) => token);
  // The same guard with unbound bearer tokens (DPoP allowed): what the library's token check costs on its own.
  const bearerContexts = boundRequests(keys, undefined).map(({ token }) =>
    httpContext({ method: 'GET', url: PATH, headers: { host: HOST, authorization: `Bearer ${token}` } }, response),
  );
  ops['JwtAuthGuard, Bearer, new token (for reference)'] = (i) => guard.canActivate(bearerContexts[i]);
  try {
    return await measure({ 'raw crypto.verify, RSA-2048 token (the floor)': rawVerifyOp(keys, tokens), ...floors, ...ops }, PER_ROUND, ROUNDS);
  } finally {
    await moduleRef.close();
  }
}

/** Goal: a DPoP request costs at most the two signature checks it needs (token and proof) plus 10 %. */
export function dpopGoal(rows: Row[], alg: (typeof DPOP_ALGS)[number]): { measured: number; budget: number } {
  const of = (name: string): number => rows.find((row) => row.name === name)!.microseconds;
  const floor = rows[0].microseconds;
  return { measured: of(dpopRowName(alg)) / floor, budget: (1.1 * (floor + of(dpopProofFloorName(alg)))) / floor };
}
