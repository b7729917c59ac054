import { verify } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Rs256AuthConfig } from '../src/options/rs256-auth-config.js';
import { RevocationList } from '../src/sessions/revocation-list.js';
import { RedisSessionStore } from '../src/sessions/redis-session.store.js';
import type { Revocation, SessionStore } from '../src/sessions/session-store.interface.js';
import type { JwtClaims } from '../src/interfaces/jwt-claims.interface.js';
import { startRedis } from '../test/support/redis.js';
import { measure, type Row } from './micro.js';
import type { BenchKeys } from './tokens.js';

/** Revocations in the list while checks are timed: a busy API's worth of logouts within one access-token lifetime. */
export const REVOCATION_ENTRIES = 10_000;
/** Checks per timed call: one check is far below the timer's resolution. */
const CHECKS_PER_CALL = 100;
const PROPAGATION_SAMPLES = 200;

export interface PropagationFigures {
  samples: number;
  p50: number;
  p99: number;
}

const decode = (token: string): JwtClaims => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString());

/**
 * The revocation check as every authenticated request runs it (a shared store's list, so the staleness test is
 * included), against one raw `crypto.verify`. The claims are distinct tokens' and none is revoked: the common case,
 * which still looks up jti, sid and sub.
 */
export async function revocationCheckRows(keys: BenchKeys, tokens: string[]): Promise<Row[]> {
  const shared: SessionStore = {
    shared: true,
    createSession: async () => 0,
    rotate: async () => ({ status: 'unknown' }),
    revoke: async () => [],
    watch: async () => undefined,
    close: async () => undefined,
  };
  const config = { sessions: { store: 'redis', refreshExpiresIn: 86400, maxStalenessMs: 3_600_000, failOpen: false } } as unknown as Rs256AuthConfig;
  const list = new RevocationList(config, shared);
  const until = Date.now() + 3_600_000;
  const kinds: Revocation['kind'][] = ['jti', 'sid', 'sub'];
  list.apply(Array.from({ length: REVOCATION_ENTRIES }, (_, i) => ({ kind: kinds[i % 3], value: `revoked-${i}`, until, before: 0 })));
  list.confirm(Date.now());
  const claims = tokens.map((token, i) => ({ ...decode(token), sid: `session-${i}`, jti: `token-${i}` }));
  const parts = tokens.map((token) => {
    const dot = token.lastIndexOf('.');
    return { input: Buffer.from(token.slice(0, dot)), signature: Buffer.from(token.slice(dot + 1), 'base64url') };
  });
  const n = tokens.length;
  const rows = await measure(
    {
      'raw crypto.verify, KeyObject (the floor)': (i) => verify('sha256', parts[i % n].input, keys.publicKey, parts[i % n].signature),
      [`revocation check, ${REVOCATION_ENTRIES} entries`]: (i) => {
        for (let j = 0; j < CHECKS_PER_CALL; j++) list.check(claims[(i + j) % n]);
      },
    },
    400,
    15,
  );
  return rows.map((row, index) => (index === 1 ? { ...row, microseconds: row.microseconds / CHECKS_PER_CALL } : row));
}

/**
 * Two instances' Redis stores (separate connections, one process, so one clock) on a redis-server started for the
 * run: the time from the revoke call on one to the revocation being in force in the other's list.
 */
export async function propagation(): Promise<PropagationFigures> {
  const redis = await startRedis();
  try {
    return await propagationThrough(redis.url, (taken) => taken < PROPAGATION_SAMPLES);
  } finally {
    await redis.stop();
  }
}

/**
 * Propagation between two stores on the Redis at `url`, sampled one revocation at a time while `more(samples taken)`
 * (after 20 warm-up rounds): alone, or while other instances load the same server.
 */
export async function propagationThrough(url: string, more: (taken: number) => boolean): Promise<PropagationFigures> {
  const settings = { topology: { kind: 'url', url } as const, timeoutMs: 1000, keyPrefix: 'bench:' };
  const config = { sessions: { store: 'redis', refreshExpiresIn: 86400, maxStalenessMs: 10_000, failOpen: false } } as unknown as Rs256AuthConfig;
  const [a, b] = await Promise.all([RedisSessionStore.connect(settings, 10_000), RedisSessionStore.connect(settings, 10_000)]);
  const listA = new RevocationList(config, a);
  const listB = new RevocationList(config, b);
  let arrived: ((value: string) => void) | undefined;
  const apply = listB.apply.bind(listB);
  listB.apply = (revocations) => {
    apply(revocations);
    for (const revocation of revocations) arrived?.(revocation.value);
  };
  await Promise.all([listA.onModuleInit(), listB.onModuleInit()]);
  const delays: number[] = [];
  try {
    for (let i = -20; i < 0 || more(delays.length); i++) {
      const value = `propagation-${i}`;
      const seen = new Promise<void>((done) => {
        arrived = (name) => name === value && done();
      });
      const start = performance.now();
      await a.revoke([{ kind: 'jti', value, until: Date.now() + 60_000 }]);
      await seen;
      // The first rounds warm the connections and the JIT.
      if (i >= 0) delays.push(performance.now() - start);
    }
  } finally {
    await Promise.all([listA.onModuleDestroy(), listB.onModuleDestroy()]);
  }
  delays.sort((x, y) => x - y);
  const at = (q: number): number => delays[Math.min(delays.length - 1, Math.ceil(delays.length * q) - 1)];
  return { samples: delays.length, p50: at(0.5), p99: at(0.99) };
}
