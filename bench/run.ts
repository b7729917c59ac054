import { cpus, totalmem } from 'node:os';
import { httpRows, HTTP_SETTINGS, type HttpRow } from './http.js';
import { memoryRun } from './memory.js';
import { signRows, verifyRows, type Row } from './micro.js';
import { propagation, revocationCheckRows } from './sessions.js';
import { createBenchKeys, signTokens } from './tokens.js';

/** Distinct tokens for the HTTP miss scenario: twice the default cache, so cycling through them always misses. */
const HTTP_DISTINCT_TOKENS = 10_000;
const MICRO_TOKENS = 2_000;
const MEMORY_TOKENS = 200_000;
/** The stated bound for goal 4: heap kept by a verifier with the default cache after MEMORY_TOKENS tokens. */
const HEAP_BOUND_MIB = 16;

const started = Date.now();
const log = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};
const progress = (line: string): void => {
  process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0)}s] ${line}\n`);
};

function table(title: string, unit: string, rows: { name: string; value: number; ratio: number }[], ratioLabel: string): void {
  const width = Math.max(...rows.map((row) => row.name.length), title.length);
  log(`${title.padEnd(width)}  ${unit.padStart(10)}  ${ratioLabel.padStart(14)}`);
  for (const row of rows) {
    log(`${row.name.padEnd(width)}  ${row.value.toFixed(1).padStart(10)}  ${`${row.ratio.toFixed(2)}x`.padStart(14)}`);
  }
  log();
}

function relative(rows: Row[]): { name: string; value: number; ratio: number }[] {
  return rows.map((row) => ({ name: row.name, value: row.microseconds, ratio: row.microseconds / rows[0].microseconds }));
}

const find = (rows: Row[], name: string): number => rows.find((row) => row.name === name)!.microseconds;
const rps = (rows: HttpRow[], platform: string, variant: string, scenario: string): HttpRow =>
  rows.find((row) => row.platform === platform && row.variant === variant && row.scenario === scenario)!;

progress('generating keys and tokens');
const keys = createBenchKeys();
const tokens = await signTokens(keys, HTTP_DISTINCT_TOKENS);
progress('verify');
const verify = await verifyRows(keys, tokens.slice(0, MICRO_TOKENS));
progress('sign');
const sign = await signRows(keys);
progress('http');
const http = await httpRows(keys, tokens[0], tokens);
progress('memory');
const memory = await memoryRun(keys, MEMORY_TOKENS, 20_000);
progress('sessions');
const revocationCheck = await revocationCheckRows(keys, tokens.slice(0, MICRO_TOKENS));
const propagated = await propagation();
progress('done');

log(`nestjs-rs256-auth bench: ${cpus()[0]?.model.trim()}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, RSA-2048`);
log();
table('Verify (in process, distinct tokens unless said; best of 15 rounds)', 'µs/op', relative(verify), 'x raw verify');
table('Sign (best of 12 rounds)', 'µs/op', relative(sign), 'x raw sign');

log(
  `HTTP (autocannon, ${HTTP_SETTINGS.connections} connections, ${HTTP_SETTINGS.seconds} s runs, loopback; library: best of ${HTTP_SETTINGS.repetitions.library} interleaved runs; distinct = ${HTTP_DISTINCT_TOKENS} tokens, cycled)`,
);
log(`${'server'.padEnd(34)}  ${'route'.padEnd(26)}  ${'req/s'.padStart(9)}  ${'x public'.padStart(9)}  non-2xx`);
for (const row of http) {
  const base = rps(http, row.platform, row.variant, 'public').requestsPerSecond;
  log(
    `${`${row.platform}, ${row.variant}`.padEnd(34)}  ${row.scenario.padEnd(26)}  ${row.requestsPerSecond.toFixed(0).padStart(9)}  ${`${(row.requestsPerSecond / base).toFixed(2)}x`.padStart(9)}  ${row.non2xx}`,
  );
}
log();
table('Sessions: revocation check per request (best of 15 rounds)', 'µs/op', relative(revocationCheck), 'x raw verify');
log(`Sessions: a revocation on one instance in force on another through redis-server (loopback, ${propagated.samples} revocations): p50 ${propagated.p50.toFixed(2)} ms, p99 ${propagated.p99.toFixed(2)} ms`);
log();
log(`Memory: ${memory.tokens} distinct tokens through one verifier (cache size ${memory.cacheSize}): ${memory.cachedAfter} cached, heap +${memory.heapGrowthMiB.toFixed(1)} MiB`);
log();

const ratio1 = find(verify, 'library: JwtAuthGuard, uncached') / find(verify, 'raw crypto.verify, KeyObject (the floor)');
const ratio3 = find(sign, 'library: JwtService.sign') / find(sign, 'raw crypto.sign, KeyObject (the floor)');
const httpRatio = (platform: string): number =>
  rps(http, platform, 'library', 'guarded, one token').requestsPerSecond / rps(http, platform, 'library', 'public').requestsPerSecond;
const checkShare = revocationCheck[1].microseconds / revocationCheck[0].microseconds;
const goals: [string, boolean][] = [
  [`1. guard, uncached: ${ratio1.toFixed(2)}x one raw RSA verify (goal <= 1.5x)`, ratio1 <= 1.5],
  [`2. guarded/public, one token: express ${httpRatio('express').toFixed(2)}x (goal >= 0.8x), fastify ${httpRatio('fastify').toFixed(2)}x (goal >= 0.7x)`, httpRatio('express') >= 0.8 && httpRatio('fastify') >= 0.7],
  [`3. JwtService.sign: ${ratio3.toFixed(2)}x raw crypto.sign (goal <= 1.1x)`, ratio3 <= 1.1],
  [`4. heap after ${memory.tokens} distinct tokens: +${memory.heapGrowthMiB.toFixed(1)} MiB, ${memory.cachedAfter} entries (bound ${HEAP_BOUND_MIB} MiB, ${memory.cacheSize} entries)`, memory.heapGrowthMiB <= HEAP_BOUND_MIB && memory.cachedAfter <= memory.cacheSize],
  [`5. revocation check: ${(checkShare * 100).toFixed(2)}% of one raw RSA verify per request (goal < 2%)`, checkShare < 0.02],
  [`6. revocation propagation between instances: p99 ${propagated.p99.toFixed(2)} ms (goal < 100 ms)`, propagated.p99 < 100],
];
log('Goals');
for (const [text, met] of goals) log(`${met ? 'met   ' : 'MISSED'} ${text}`);
const failures = http.filter((row) => row.non2xx > 0);
if (failures.length > 0) {
  log(`WARNING: ${failures.length} HTTP run(s) had non-2xx answers; their figures are not comparable.`);
}
log(`(${((Date.now() - started) / 1000).toFixed(0)} s)`);
