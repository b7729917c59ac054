import { cpus, totalmem } from 'node:os';
import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { MeterProvider, MetricReader } from '@opentelemetry/sdk-metrics';
import { JwtAuthGuard } from '../src/index.js';
import { PENDING_CAPACITY } from '../src/observability/auth-metrics.js';
import { TokenVerifier } from '../src/token/token-verifier.js';
import { benchModule, httpContext, type BenchAppOptions } from './apps.js';
import { measure, rawVerifyOp, type Row } from './micro.js';
import { createBenchKeys, signTokens } from './tokens.js';

/**
 * What the OpenTelemetry instruments cost the guard (`npm run bench:observability`, about a minute): each guard row
 * three ways, measured round by round in turn as every table of `npm run bench` is:
 *
 * - without instruments: the guard and verifier of an app with their `AuthMetrics` taken away, the library as it was
 *   before it had metrics;
 * - API only: `@opentelemetry/api` with no SDK registered, what every application gets by default (no-op instruments);
 * - SDK on: an SDK meter provider (`@opentelemetry/sdk-metrics`) with a reader, so every count and time is aggregated.
 */
class IdleReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

const keys = createBenchKeys();
const tokens = await signTokens(keys, 2_000);
const response = { header: () => undefined };
const contexts = tokens.map((token) => httpContext({ headers: { authorization: `Bearer ${token}` } }, response));
const cachedContext = httpContext({ headers: { authorization: `Bearer ${tokens[0]}` } }, response);
const n = tokens.length;

async function app(options: Partial<BenchAppOptions>, withoutMetrics = false): Promise<INestApplicationContext> {
  const moduleRef = await Test.createTestingModule({ imports: [benchModule({ ...keys, variant: 'library', ...options })] }).compile();
  const context = await moduleRef.init();
  if (withoutMetrics) {
    // Bench only: the hooks' optional calls then find nothing, as before the instruments existed.
    Object.assign(context.get(JwtAuthGuard), { metrics: undefined });
    Object.assign(context.get(TokenVerifier), { metrics: undefined });
  }
  return context;
}

const provider = new MeterProvider({ readers: [new IdleReader()] });
const half = Math.floor(n / 2);
const variants = {
  'without instruments': { options: {}, without: true },
  'API only, no SDK': { options: {}, without: false },
  'SDK metrics on': { options: { meterProvider: provider }, without: false },
} as const;
const ops: Record<string, (i: number) => unknown> = { 'raw crypto.verify, KeyObject (the floor)': rawVerifyOp(keys, tokens) };
const apps: INestApplicationContext[] = [];
for (const [label, { options, without }] of Object.entries(variants)) {
  const uncached = await app({ ...options, cacheSize: 0 }, without);
  const turning = await app({ ...options, cacheSize: half }, without);
  const cached = await app(options, without);
  apps.push(uncached, turning, cached);
  const [uncachedGuard, turningGuard, cachedGuard] = [uncached, turning, cached].map((context) => context.get(JwtAuthGuard));
  ops[`JwtAuthGuard, uncached, ${label}`] = (i) => uncachedGuard.canActivate(contexts[i % n]);
  ops[`JwtAuthGuard, cache turning over (unseen tokens), ${label}`] = (i) => turningGuard.canActivate(contexts[i % n]);
  ops[`JwtAuthGuard, cached (same token), ${label}`] = () => cachedGuard.canActivate(cachedContext);
}

// A round of as many requests as AuthMetrics buffers verification times: each round of the SDK rows then pays for
// exactly one batch of histogram records, so the best round cannot be one that skipped it. BENCH_CLOCK=cpu times
// rounds by this process's CPU time, not the wall clock: on a machine loaded by other jobs, time spent waiting for a
// core is then not counted (the operations are synchronous, on this thread).
const cpuClock = process.env.BENCH_CLOCK === 'cpu';
function cpuMilliseconds(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
const rows: Row[] = await measure(ops, PENDING_CAPACITY, 15, cpuClock ? cpuMilliseconds : undefined);
const width = Math.max(...rows.map((row) => row.name.length));
process.stdout.write(
  `observability: ${cpus()[0]?.model.trim()}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, RSA-2048\n\n`,
);
process.stdout.write(
  `${`Verify (best of 15 rounds${cpuClock ? ', CPU time' : ''})`.padEnd(width)}  ${'µs/op'.padStart(8)}  ${'x floor'.padStart(8)}\n`,
);
for (const row of rows) {
  process.stdout.write(
    `${row.name.padEnd(width)}  ${row.microseconds.toFixed(2).padStart(8)}  ${`${(row.microseconds / rows[0].microseconds).toFixed(2)}x`.padStart(8)}\n`,
  );
}
await Promise.all(apps.map((context) => context.close()));
await provider.shutdown();
