import { cpus, totalmem } from 'node:os';
import type { Variant } from './apps.js';
import { httpRows, HTTP_SERVERS, HTTP_SETTINGS, type Platform } from './http.js';
import { rawVerifyOp, measure } from './micro.js';
import { createBenchKeys, signTokens } from './tokens.js';

/**
 * The HTTP rows alone (`npm run bench:http`), measured as `npm run bench` measures them, for the platforms and servers
 * named in `BENCH_PLATFORMS` and `BENCH_SERVERS` (comma-separated; all by default), e.g.
 * `BENCH_PLATFORMS=fastify BENCH_SERVERS=library,verify-forms npm run bench:http`: the Fastify new-token goal and the
 * bare guards beside it, in about a minute and a half. Prints each route's requests per second, its ratio to its
 * server's public route and the server's CPU time per request, and the new-token limit as the Goals table has it.
 */
const DISTINCT_TOKENS = 10_000;
const list = (value: string | undefined): string[] | undefined => value?.split(',').map((item) => item.trim());
const platforms = list(process.env.BENCH_PLATFORMS) as Platform[] | undefined;
const variants = list(process.env.BENCH_SERVERS) as Variant[] | undefined;
const known = new Set(HTTP_SERVERS.map(({ variant }) => variant));
for (const variant of variants ?? []) {
  if (!known.has(variant)) throw new Error(`BENCH_SERVERS: unknown server "${variant}" (one of ${[...known].join(', ')})`);
}
for (const platform of platforms ?? []) {
  if (platform !== 'express' && platform !== 'fastify') throw new Error(`BENCH_PLATFORMS: unknown platform "${platform}" (express, fastify)`);
}

const keys = createBenchKeys();
const tokens = await signTokens(keys, DISTINCT_TOKENS);
// The floor of the new-token limit, measured as the verify table measures it (best of 15 rounds of 400).
const [floor] = await measure({ raw: rawVerifyOp(keys, tokens.slice(0, 2000)) }, 400, 15);
const rows = await httpRows(keys, tokens[0], tokens, { platforms, variants });
process.stdout.write(
  `http: ${cpus()[0]?.model.trim()}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ` +
    `autocannon ${HTTP_SETTINGS.connections} connections, ${HTTP_SETTINGS.seconds} s runs; raw crypto.verify ${floor.microseconds.toFixed(1)} µs\n\n`,
);
const width = Math.max(...rows.map((row) => `${row.platform}, ${row.variant}, ${row.scenario}`.length));
process.stdout.write(`${'route'.padEnd(width)}  ${'req/s'.padStart(8)}  ${'x public'.padStart(8)}  ${'CPU µs/req'.padStart(10)}\n`);
for (const row of rows) {
  const base = rows.find((other) => other.platform === row.platform && other.variant === row.variant && other.scenario === 'public')!;
  const cpu = row.serverMicroseconds === undefined ? 'n/a' : row.serverMicroseconds.toFixed(1);
  process.stdout.write(
    `${`${row.platform}, ${row.variant}, ${row.scenario}`.padEnd(width)}  ${row.requestsPerSecond.toFixed(0).padStart(8)}  ` +
      `${`${(row.requestsPerSecond / base.requestsPerSecond).toFixed(3)}x`.padStart(8)}  ${cpu.padStart(10)}\n`,
  );
  if (row.variant === 'library' && row.scenario === 'public') {
    const publicMicroseconds = 1e6 / row.requestsPerSecond;
    process.stdout.write(
      `${''.padEnd(width)}  new-token limit public ÷ (public + raw verify): ${(publicMicroseconds / (publicMicroseconds + floor.microseconds)).toFixed(2)}x\n`,
    );
  }
}
const failures = rows.filter((row) => row.non2xx > 0);
if (failures.length > 0) {
  process.stdout.write(`WARNING: ${failures.length} route(s) had non-2xx answers; their figures are not comparable.\n`);
}
