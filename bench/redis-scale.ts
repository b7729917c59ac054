import { fork, type ChildProcess } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { Redis } from 'ioredis';
import { SessionService } from '../src/index.js';
import { fillRevocations, startRedis, type RedisServer } from '../test/support/redis.js';
import { sessionInstance } from './refresh-instance.js';
import { propagationThrough } from './sessions.js';
import type { BenchKeys } from './tokens.js';

/**
 * The Redis store at scale, each instance in a process of its own (bench/redis-instance.ts): from process start to
 * the first valid token accepted, and RSS then, with 0, 100k and 1M revocations in Redis; sign-in latency and
 * propagation on one instance while a neighbour loads 1M; an empty restart under three instances holding 1M.
 */
const SIZES = [0, 100_000, 1_000_000];
const RESEED_SIZE = 1_000_000;
const RESEED_INSTANCES = 3;

export interface RedisScaleFigures {
  loads: { revocations: number; acceptedMs: number; rssMiB: number }[];
  signIn: { idle: Percentiles; neighbourLoading: Percentiles };
  propagationWhileLoading: Percentiles & { samples: number };
  reseed: { revocations: number; instances: number; givenBackMs: number; published: number; longestRefusalMs: number; droppedSubscribers: number };
}

interface Percentiles {
  p50: number;
  p99: number;
}

interface Accepted {
  ms: number;
  rssMiB: number;
}

interface Instance {
  child: ChildProcess;
  accepted: Promise<Accepted>;
}

function percentiles(samples: number[]): Percentiles {
  const sorted = [...samples].sort((x, y) => x - y);
  return { p50: sorted[Math.floor(sorted.length / 2)], p99: sorted[Math.ceil(sorted.length * 0.99) - 1] };
}

function startInstance(keys: BenchKeys, url: string): Instance {
  const child = fork(new URL('./redis-instance.js', import.meta.url), {
    execArgv: ['--expose-gc'],
    env: { ...process.env, BENCH_PRIVATE_KEY_PATH: keys.privatePath, BENCH_REDIS_URL: url },
  });
  const accepted = new Promise<Accepted>((done, fail) => {
    child.on('message', (message: { type: string } & Accepted) => message.type === 'accepted' && done(message));
    child.once('exit', (code) => fail(new Error(`bench instance exited with ${code}`)));
  });
  return { child, accepted };
}

function report(instance: Instance): Promise<{ longestRefusalMs: number; rssMiB: number }> {
  return new Promise((done) => {
    const listener = (message: { type: string; longestRefusalMs: number; rssMiB: number }): void => {
      if (message.type !== 'report') return;
      instance.child.off('message', listener);
      done(message);
    };
    instance.child.on('message', listener);
    instance.child.send('report');
  });
}

async function stopInstance({ child }: Instance): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.send('stop');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Sign-ins one after another on `service` while `more()`, their latencies in ms. */
async function signInsWhile(service: SessionService, more: () => boolean): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; more() || latencies.length < 20; i++) {
    const start = performance.now();
    await service.issue(`neighbour-${i}`);
    latencies.push(performance.now() - start);
  }
  return latencies;
}

async function withRedis<T>(run: (redis: RedisServer) => Promise<T>): Promise<T> {
  const redis = await startRedis();
  try {
    return await run(redis);
  } finally {
    await redis.stop();
  }
}

async function loadFigures(keys: BenchKeys): Promise<RedisScaleFigures['loads']> {
  const loads: RedisScaleFigures['loads'] = [];
  for (const revocations of SIZES) {
    await withRedis(async (redis) => {
      await fillRevocations(redis.url, revocations, 'bench-');
      const instance = startInstance(keys, redis.url);
      try {
        const { ms, rssMiB } = await instance.accepted;
        loads.push({ revocations, acceptedMs: ms, rssMiB });
      } finally {
        await stopInstance(instance);
      }
    });
  }
  return loads;
}

/** One instance signs in (and another sees revocations) while a neighbour process loads 1M revocations. */
async function neighbourFigures(keys: BenchKeys): Promise<Pick<RedisScaleFigures, 'signIn' | 'propagationWhileLoading'>> {
  return withRedis(async (redis) => {
    const app = await sessionInstance(keys.privatePath, redis.url);
    try {
      const service = app.get(SessionService);
      const idleEnd = performance.now() + 3000;
      const idle = await signInsWhile(service, () => performance.now() < idleEnd);
      // Written behind the running instance's back (it has loaded already): only the neighbour loads them.
      await fillRevocations(redis.url, 1_000_000, 'bench-');
      let loading = true;
      const neighbour = startInstance(keys, redis.url);
      void neighbour.accepted.finally(() => (loading = false));
      const during = await signInsWhile(service, () => loading);
      await stopInstance(neighbour);
      loading = true;
      const second = startInstance(keys, redis.url);
      void second.accepted.finally(() => (loading = false));
      const propagation = await propagationThrough(redis.url, (taken) => loading || taken < 20);
      await stopInstance(second);
      return { signIn: { idle: percentiles(idle), neighbourLoading: percentiles(during) }, propagationWhileLoading: propagation };
    } finally {
      await app.close();
    }
  });
}

/** Three instances holding 1M revocations; Redis restarts empty; how the list comes back, and what it costs them. */
async function reseedFigures(keys: BenchKeys): Promise<RedisScaleFigures['reseed']> {
  return withRedis(async (redis) => {
    await fillRevocations(redis.url, RESEED_SIZE, 'bench-');
    const instances = Array.from({ length: RESEED_INSTANCES }, () => startInstance(keys, redis.url));
    try {
      await Promise.all(instances.map(({ accepted }) => accepted));
      await redis.stop();
      await redis.start();
      const restarted = performance.now();
      const listener = new Redis(redis.url);
      const client = new Redis(redis.url);
      let published = 0;
      listener.on('message', (_channel: string, message: string) => {
        const parsed: unknown = JSON.parse(message);
        published += Array.isArray(parsed) ? parsed.length : 0;
      });
      let givenBackMs: number;
      try {
        await listener.subscribe('rs256-auth:revocations');
        while ((await client.hlen('rs256-auth:revocations')) < RESEED_SIZE) await new Promise((done) => setTimeout(done, 50));
        givenBackMs = performance.now() - restarted;
        // Time for every instance to load the list once.
        await new Promise((done) => setTimeout(done, 5000));
      } finally {
        listener.disconnect();
        client.disconnect();
      }
      const reports = await Promise.all(instances.map(report));
      const droppedSubscribers = redis.output().split('for overcoming of output buffer limits').length - 1;
      return {
        revocations: RESEED_SIZE,
        instances: RESEED_INSTANCES,
        givenBackMs,
        published,
        longestRefusalMs: Math.max(...reports.map(({ longestRefusalMs }) => longestRefusalMs)),
        droppedSubscribers,
      };
    } finally {
      await Promise.all(instances.map(stopInstance));
    }
  });
}

export async function redisScale(keys: BenchKeys): Promise<RedisScaleFigures> {
  const loads = await loadFigures(keys);
  const neighbour = await neighbourFigures(keys);
  const reseed = await reseedFigures(keys);
  return { loads, ...neighbour, reseed };
}

export function redisScaleLines(figures: RedisScaleFigures): string[] {
  const { signIn, propagationWhileLoading: propagation, reseed } = figures;
  return [
    ...figures.loads.map(
      ({ revocations, acceptedMs, rssMiB }) =>
        `Redis store: ${revocations} revocations in Redis: first valid token accepted ${acceptedMs.toFixed(0)} ms after process start; RSS then ${rssMiB.toFixed(0)} MiB`,
    ),
    `Redis store: sign-in on one instance, p50 / p99: idle ${signIn.idle.p50.toFixed(1)} / ${signIn.idle.p99.toFixed(1)} ms; ` +
      `while a neighbour loads 1M revocations ${signIn.neighbourLoading.p50.toFixed(1)} / ${signIn.neighbourLoading.p99.toFixed(1)} ms`,
    `Redis store: a revocation in force on another instance while a neighbour loads 1M revocations (${propagation.samples}): p50 ${propagation.p50.toFixed(2)} ms, p99 ${propagation.p99.toFixed(2)} ms`,
    `Redis store: empty restart under ${reseed.instances} instances x ${reseed.revocations} revocations: list given back in ${reseed.givenBackMs.toFixed(0)} ms by one instance; ` +
      `${reseed.published} entries published; longest refusal of a valid token ${reseed.longestRefusalMs.toFixed(0)} ms; subscribers dropped ${reseed.droppedSubscribers}`,
  ];
}
