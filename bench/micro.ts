import { sign, verify } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { CanActivate, ExecutionContext, INestApplicationContext } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { Test } from '@nestjs/testing';
import { createSigner, createVerifier } from 'fast-jwt';
import { importPKCS8, importSPKI, jwtVerify, SignJWT } from 'jose';
import jsonwebtoken from 'jsonwebtoken';
import { AuthGuard } from '@nestjs/passport';
import { JwtAuthGuard } from '../src/index.js';
import { RS256_STRATEGY } from '../src/rs256-auth.constants.js';
import { TokenVerifier } from '../src/token/token-verifier.js';
import { benchModule, httpContext, RecipeGuard, transportContext, type BenchAppOptions, type OtherTransport } from './apps.js';
import type { BenchKeys } from './tokens.js';

export interface Row {
  name: string;
  microseconds: number;
}

export type Op = (index: number) => unknown;

/** Calls of an asynchronous op kept in flight at once: as many as the HTTP runs' connections. */
export const IN_FLIGHT = 16;

/**
 * `count` calls of `op` from index `first`. A synchronous op is called back to back. An asynchronous one (its first
 * call returns a promise) is measured by throughput, as a server runs it: IN_FLIGHT calls in flight, each settled
 * call making room for the next, so work it hands to libuv's thread pool (jose's Web Crypto) or to the event loop
 * overlaps as it does under load, instead of the clock waiting on each call in turn.
 */
async function runRound(op: Op, first: number, count: number): Promise<void> {
  const end = first + count;
  let next = first + 1;
  const head = op(first);
  if (!(head instanceof Promise)) {
    while (next < end) {
      const result = op(next++);
      if (result instanceof Promise) await result;
    }
    return;
  }
  const lane = async (pending: unknown): Promise<void> => {
    await pending;
    while (next < end) await op(next++);
  };
  const lanes = [lane(head)];
  while (lanes.length < IN_FLIGHT && next < end) lanes.push(lane(op(next++)));
  await Promise.all(lanes);
}

/**
 * Microseconds per call (for an asynchronous op, per call at IN_FLIGHT in flight: the inverse of its throughput):
 * the best of `rounds` rounds of `perRound` calls each, after a warm-up round. All variants of a table are measured
 * round by round in turn, so a disturbance hits them alike; the best round counts because on a shared machine
 * interference only ever adds time. `clock` (milliseconds) is the wall clock unless a table asks for CPU time.
 */
export async function measure(ops: Record<string, Op>, perRound: number, rounds: number, clock = (): number => performance.now()): Promise<Row[]> {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(ops).map((name) => [name, []]));
  for (let round = -1; round < rounds; round++) {
    for (const [name, op] of Object.entries(ops)) {
      const start = clock();
      await runRound(op, (round + 1) * perRound, perRound);
      if (round >= 0) samples[name].push(((clock() - start) * 1000) / perRound);
    }
  }
  return Object.entries(samples).map(([name, values]) => ({ name, microseconds: Math.min(...values) }));
}

/** The floor every ratio is taken against: one `crypto.verify` on the pre-split parts of each token. */
export function rawVerifyOp(keys: BenchKeys, tokens: string[]): Op {
  const parts = tokens.map((token) => {
    const dot = token.lastIndexOf('.');
    return { input: Buffer.from(token.slice(0, dot)), signature: Buffer.from(token.slice(dot + 1), 'base64url') };
  });
  return (i) => verify('sha256', parts[i % parts.length].input, keys.publicKey, parts[i % parts.length].signature);
}

/**
 * The peers' verifiers, each set up once as its documentation recommends: jsonwebtoken and fast-jwt with the key
 * given once; jose with the key imported once (`importSPKI`: a `CryptoKey`, what `jwtVerify` works with; a
 * `KeyObject` it converts on first use and keeps in a `WeakMap`); the recipe's guard in the app `recipe` (apps.ts).
 */
export async function peerVerifyOps(keys: BenchKeys, tokens: string[], recipeContexts: ExecutionContext[]): Promise<Record<string, Op>> {
  const recipeGuard: CanActivate = new RecipeGuard();
  const fastUncached = createVerifier({ key: keys.publicPem, algorithms: ['RS256'], cache: false });
  const fastCached = createVerifier({ key: keys.publicPem, algorithms: ['RS256'], cache: true });
  const joseKey = await importSPKI(keys.publicPem, 'RS256');
  const n = tokens.length;
  return {
    'recipe: AuthGuard + passport-jwt, PEM string': (i) => recipeGuard.canActivate(recipeContexts[i % n]),
    'jsonwebtoken.verify, KeyObject': (i) => jsonwebtoken.verify(tokens[i % n], keys.publicKey, { algorithms: ['RS256'] }),
    'jsonwebtoken.verify, PEM string': (i) => jsonwebtoken.verify(tokens[i % n], keys.publicPem, { algorithms: ['RS256'] }),
    'fast-jwt, no cache': (i) => fastUncached(tokens[i % n]),
    'fast-jwt, cache (same token)': () => fastCached(tokens[0]),
    'jose.jwtVerify, key imported once (importSPKI)': (i) => jwtVerify(tokens[i % n], joseKey, { algorithms: ['RS256'] }),
  };
}

async function appContext(options: BenchAppOptions): Promise<INestApplicationContext> {
  const moduleRef = await Test.createTestingModule({ imports: [benchModule(options)] }).compile();
  return moduleRef.init();
}

/** The transports other than HTTP the verify table has rows for, with the label their rows carry, in pool order. */
export const TRANSPORT_ROWS: readonly (readonly [OtherTransport, string])[] = [
  ['graphql', 'GraphQL resolver'],
  ['ws', 'socket.io gateway message'],
  ['rpc', 'microservice message'],
];

/**
 * Everything each verify variant needs, prepared before any clock starts. `transportTokens`: a pool of distinct
 * tokens for each of `TRANSPORT_ROWS`, in its order, none in `tokens`.
 */
export async function verifyRows(keys: BenchKeys, tokens: string[], transportTokens: string[][]): Promise<Row[]> {
  const base = { ...keys };
  const uncached = await appContext({ ...base, variant: 'library', cacheSize: 0 });
  const cached = await appContext({ ...base, variant: 'library' });
  // Half as many entries as tokens cycled: every call misses, stores its token and evicts the oldest, as a server
  // does under a stream of new tokens.
  const turning = await appContext({ ...base, variant: 'library', cacheSize: Math.floor(tokens.length / 2) });
  const recipe = await appContext({ ...base, variant: 'recipe' });
  const uncachedGuard = uncached.get(JwtAuthGuard);
  const cachedGuard = cached.get(JwtAuthGuard);
  const turningGuard = turning.get(JwtAuthGuard);
  // The same strategy reached through passport.authenticate, as JwtAuthGuard did before: what passport costs.
  const passportGuard: CanActivate = new (AuthGuard(RS256_STRATEGY))();
  const verifier = uncached.get(TokenVerifier);
  const response = { header: () => undefined };
  const requests = tokens.map((token) => ({ headers: { authorization: `Bearer ${token}` } }));
  const contexts = requests.map((request) => httpContext(request, response));
  const oneContext = () => httpContext({ headers: { authorization: `Bearer ${tokens[0]}` } }, response);
  const cachedContext = oneContext();
  // The transport adapters (GraphQL, WebSocket gateways, microservices) under the same budgets as HTTP, through the
  // same guard as the HTTP row, as in an app that serves several transports. Each transport cycles a pool of tokens
  // of its own: every variant of a round takes the same indices, and shared tokens would be hits.
  const transportOps: Record<string, Op> = {};
  TRANSPORT_ROWS.forEach(([transport, label], pool) => {
    const distinct = transportTokens[pool].map((token) => transportContext(transport, token));
    const same = transportContext(transport, tokens[0]);
    transportOps[`library: JwtAuthGuard, ${label}, cache turning over`] = (i) => turningGuard.canActivate(distinct[i % distinct.length]);
    transportOps[`library: JwtAuthGuard, ${label}, cached`] = () => cachedGuard.canActivate(same);
  });
  const peers = await peerVerifyOps(keys, tokens, contexts);
  const n = tokens.length;
  const rows = await measure(
    {
      'raw crypto.verify, KeyObject (the floor)': rawVerifyOp(keys, tokens),
      'library: TokenVerifier, uncached': (i) => verifier.verify(tokens[i % n]),
      'library: JwtAuthGuard, uncached': (i) => uncachedGuard.canActivate(contexts[i % n]),
      'library: JwtAuthGuard, cache turning over (new tokens)': (i) => turningGuard.canActivate(contexts[i % n]),
      'library: JwtAuthGuard, cached (same token)': () => cachedGuard.canActivate(cachedContext),
      ...transportOps,
      "library: AuthGuard('rs256-jwt') via passport, cached": () => passportGuard.canActivate(cachedContext),
      ...peers,
    },
    400,
    15,
  );
  await Promise.all([uncached.close(), cached.close(), turning.close(), recipe.close()]);
  return rows;
}

/** The floor of the sign table: the minimal JSON and base64url of a token and one `crypto.sign`. */
export function rawSignOp(keys: BenchKeys): Op {
  const header = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'JWT' })).toString('base64url');
  return (i) => {
    const now = Math.floor(Date.now() / 1000);
    const input = `${header}.${Buffer.from(JSON.stringify({ sub: `user-${i}`, iat: now, exp: now + 900 })).toString('base64url')}`;
    return `${input}.${sign('sha256', Buffer.from(input), keys.privateKey).toString('base64url')}`;
  };
}

/** The peers' signers, set up once as their documentation recommends (jose: the key imported once, `importPKCS8`). */
export async function peerSignOps(keys: BenchKeys, recipeJwt: JwtService): Promise<Record<string, Op>> {
  const fastSigner = createSigner({ key: keys.privatePem, algorithm: 'RS256', expiresIn: 900000 });
  const joseKey = await importPKCS8(keys.privatePem, 'RS256');
  return {
    'recipe: JwtService.sign, PEM string': (i) => recipeJwt.sign({ sub: `user-${i}` }),
    'jsonwebtoken.sign, PEM string': (i) => jsonwebtoken.sign({ sub: `user-${i}` }, keys.privatePem, { algorithm: 'RS256', expiresIn: 900 }),
    'fast-jwt signer, PEM string': (i) => fastSigner({ sub: `user-${i}` }),
    'jose SignJWT, key imported once (importPKCS8)': (i) =>
      new SignJWT({ sub: `user-${i}` }).setProtectedHeader({ alg: 'RS256' }).setIssuedAt().setExpirationTime('15m').sign(joseKey),
  };
}

export async function signRows(keys: BenchKeys): Promise<Row[]> {
  const library = await appContext({ ...keys, variant: 'library' });
  const recipe = await appContext({ ...keys, variant: 'recipe' });
  const libraryJwt = library.get(JwtService);
  const rows = await measure(
    {
      'raw crypto.sign, KeyObject (the floor)': rawSignOp(keys),
      'library: JwtService.sign': (i) => libraryJwt.sign({ sub: `user-${i}` }),
      ...(await peerSignOps(keys, recipe.get(JwtService))),
    },
    40,
    12,
  );
  await Promise.all([library.close(), recipe.close()]);
  return rows;
}
