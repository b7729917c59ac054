import { Redis } from 'ioredis';
import { Worker } from 'node:worker_threads';
import { SessionService, type SessionTokens } from '../src/index.js';
import { startRedis } from '../test/support/redis.js';
import { BENCH_CLAIMS, rawSignsFor, refreshFor, sessionInstance } from './refresh-instance.js';
import { propagationThrough, type PropagationFigures } from './sessions.js';
import type { BenchKeys } from './tokens.js';

/** Sessions whose Redis footprint is measured, and the refreshes each then goes through. */
const MEMORY_SESSIONS = 200;
const MEMORY_REFRESHES = 5;
/** Clients refreshing back to back on each instance, and for how long each throughput run lasts. */
const CLIENTS_PER_INSTANCE = 16;
const RUN_MS = 3000;
const INSTANCES = 3;

export interface Throughput {
  instances: number;
  refreshesPerSecond: number;
  /** Raw RSA-2048 signatures per second on as many threads, measured just before. */
  rawSignsPerSecond: number;
}

export interface SessionsOnRedisFigures {
  /** `MEMORY USAGE` of a session's one key, after its first refresh (the steady state: previous hash set). */
  bytesPerSession: number;
  /** What each further refresh adds to the sum of `MEMORY USAGE` over every key of the store. */
  bytesPerRefresh: number;
  /** Keys in Redis per session, and how many MEMORY_REFRESHES more refreshes added. */
  keysPerSession: number;
  keysAddedByRefreshes: number;
  throughput: Throughput[];
  /** Revocation propagation between two other instances while the three-instance refresh run loads the server. */
  propagationUnderLoad: PropagationFigures;
}

async function storeBytes(client: Redis): Promise<{ keys: number; bytes: number }> {
  let bytes = 0;
  const keys = await client.keys('rs256-auth:*');
  for (const key of keys) bytes += (await client.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) as number;
  return { keys: keys.length, bytes };
}

async function refreshAll(service: SessionService, pairs: SessionTokens[]): Promise<SessionTokens[]> {
  return Promise.all(pairs.map((pair) => service.refresh(pair.refreshToken)));
}

/** One message to every worker, and their answers. */
function ask(workers: Worker[], phase: 'sign' | 'refresh'): Promise<number[]> {
  return Promise.all(
    workers.map(
      (worker) =>
        new Promise<number>((done) => {
          worker.once('message', done);
          worker.postMessage(phase);
        }),
    ),
  );
}

/**
 * Sessions on a redis-server started for the run: what a session and a refresh cost in Redis memory, refresh
 * throughput on one instance and on three (worker threads, each with its own Nest context and Redis connections)
 * beside raw RSA signing on as many threads, and revocation propagation between two more instances while the three
 * refresh.
 */
export async function sessionsOnRedis(keys: BenchKeys): Promise<SessionsOnRedisFigures> {
  const redis = await startRedis();
  const client = new Redis(redis.url);
  const workers: Worker[] = [];
  const app = await sessionInstance(keys.privatePath, redis.url);
  try {
    const service = app.get(SessionService);
    let pairs = await Promise.all(Array.from({ length: MEMORY_SESSIONS }, (_, i) => service.issue(`user-${i}`, BENCH_CLAIMS)));
    pairs = await refreshAll(service, pairs);
    const steady = await storeBytes(client);
    for (let i = 0; i < MEMORY_REFRESHES; i++) pairs = await refreshAll(service, pairs);
    const later = await storeBytes(client);
    await client.flushall();

    const sessions = await Promise.all(Array.from({ length: CLIENTS_PER_INSTANCE }, (_, i) => service.issue(`client-${i}`, BENCH_CLAIMS)));
    const rawOne = rawSignsFor(keys.privatePem, RUN_MS);
    const one = await refreshFor(service, sessions, RUN_MS);

    for (let i = 0; i < INSTANCES; i++) {
      const worker = new Worker(new URL('./refresh-worker.js', import.meta.url), {
        workerData: { privatePath: keys.privatePath, privatePem: keys.privatePem, redisUrl: redis.url, clients: CLIENTS_PER_INSTANCE, ms: RUN_MS },
      });
      workers.push(worker);
      await new Promise((done) => worker.once('message', done));
    }
    const rawThree = (await ask(workers, 'sign')).reduce((sum, count) => sum + count, 0);
    let loading = true;
    const refreshed = ask(workers, 'refresh').then((counts) => {
      loading = false;
      return counts.reduce((sum, count) => sum + count, 0);
    });
    const propagationUnderLoad = await propagationThrough(redis.url, () => loading);
    const three = await refreshed;
    return {
      bytesPerSession: steady.bytes / MEMORY_SESSIONS,
      bytesPerRefresh: (later.bytes - steady.bytes) / (MEMORY_SESSIONS * MEMORY_REFRESHES),
      keysPerSession: steady.keys / MEMORY_SESSIONS,
      keysAddedByRefreshes: later.keys - steady.keys,
      throughput: [
        { instances: 1, refreshesPerSecond: (one * 1000) / RUN_MS, rawSignsPerSecond: (rawOne * 1000) / RUN_MS },
        { instances: INSTANCES, refreshesPerSecond: (three * 1000) / RUN_MS, rawSignsPerSecond: (rawThree * 1000) / RUN_MS },
      ],
      propagationUnderLoad,
    };
  } finally {
    for (const worker of workers) worker.postMessage('close');
    await Promise.all(workers.map((worker) => new Promise((done) => worker.once('exit', done))));
    await app.close();
    client.disconnect();
    await redis.stop();
  }
}

/** The figures as the bench prints them. */
export function sessionsOnRedisLines(figures: SessionsOnRedisFigures): string[] {
  const { propagationUnderLoad: load } = figures;
  return [
    `Sessions in Redis (MEMORY USAGE, ${MEMORY_SESSIONS} sessions, claims ${JSON.stringify(BENCH_CLAIMS)}): ${figures.keysPerSession} key and ${figures.bytesPerSession.toFixed(0)} bytes per session; ` +
      `${MEMORY_REFRESHES} more refreshes each: ${figures.keysAddedByRefreshes} keys and ${figures.bytesPerRefresh.toFixed(1)} bytes added per refresh`,
    ...figures.throughput.map(
      ({ instances, refreshesPerSecond, rawSignsPerSecond }) =>
        `Sessions: refresh over ${instances} instance${instances > 1 ? 's' : ''} (${CLIENTS_PER_INSTANCE} clients each, ${RUN_MS / 1000} s): ${refreshesPerSecond.toFixed(0)}/s; ` +
        `raw RSA signing on ${instances} thread${instances > 1 ? 's' : ''}: ${rawSignsPerSecond.toFixed(0)}/s; ratio ${(refreshesPerSecond / rawSignsPerSecond).toFixed(2)}x`,
    ),
    `Sessions: a revocation in force on another instance while ${INSTANCES} instances refresh (${load.samples} revocations): p50 ${load.p50.toFixed(2)} ms, p99 ${load.p99.toFixed(2)} ms`,
  ];
}
