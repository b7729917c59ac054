import { cpus, totalmem } from 'node:os';
import { httpRows, HTTP_SERVERS, HTTP_SETTINGS, type HttpRow } from './http.js';
import { custodyRows } from './custody.js';
import { DPOP_ALGS, dpopGoal, dpopRows } from './dpop-rows.js';
import { memoryRun } from './memory.js';
import { signRows, TRANSPORT_ROWS, verifyRows, type Row } from './micro.js';
import { sessionsOnRedis, sessionsOnRedisLines } from './refresh.js';
import { redisScale, redisScaleLines } from './redis-scale.js';
import { propagation, revocationCheckRows } from './sessions.js';
import { createBenchKeys, signTokens } from './tokens.js';
import type { Variant } from './apps.js';

/** Distinct tokens for the HTTP miss scenario: twice the default cache, so cycling through them always misses. */
const HTTP_DISTINCT_TOKENS = 10_000;
const MICRO_TOKENS = 2_000;
const MEMORY_TOKENS = 200_000;
/** The stated bound for the heap goal: heap kept by a verifier with the default cache after MEMORY_TOKENS tokens. */
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
const verify = await verifyRows(
  keys,
  tokens.slice(0, MICRO_TOKENS),
  TRANSPORT_ROWS.map((_transport, pool) => tokens.slice((pool + 1) * MICRO_TOKENS, (pool + 2) * MICRO_TOKENS)),
);
progress('sign');
const sign = await signRows(keys);
progress('sign in an HSM');
const custody = await custodyRows(keys);
progress('http');
const http = await httpRows(keys, tokens[0], tokens);
progress('memory');
const memory = await memoryRun(keys, MEMORY_TOKENS, 20_000);
progress('dpop');
const dpop = await dpopRows(keys);
progress('sessions');
const revocationCheck = await revocationCheckRows(keys, tokens.slice(0, MICRO_TOKENS));
const propagated = await propagation();
const onRedis = await sessionsOnRedis(keys);
progress('redis at scale');
const atScale = await redisScale(keys);
progress('done');

log(
  `nestjs-rs256-auth bench: ${cpus()[0]?.model.trim()}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, RSA-2048`,
);
log();
table('Verify (in process, distinct tokens unless said; best of 15 rounds)', 'µs/op', relative(verify), 'x raw verify');
table('Sign (best of 12 rounds)', 'µs/op', relative(sign), 'x raw sign');
if (custody) table('Sign in an HSM: SoftHSM over PKCS#11 (best of 12 rounds)', 'µs/op', relative(custody), 'x raw sign');
else log('Sign in an HSM: softhsm2 is not installed, no rows.\n');

const repetitions = HTTP_SERVERS.map(({ variant, repetitions }) => `${variant} ${repetitions}`).join(', ');
log(
  `HTTP (autocannon, ${HTTP_SETTINGS.connections} connections, ${HTTP_SETTINGS.seconds} s runs, loopback; median of interleaved runs: ${repetitions}; distinct = ${HTTP_DISTINCT_TOKENS} tokens, cycled)`,
);
const serverWidth = Math.max(...http.map((row) => `${row.platform}, ${row.variant}`.length));
const routeWidth = Math.max(...http.map((row) => row.scenario.length));
log(
  `${'server'.padEnd(serverWidth)}  ${'route'.padEnd(routeWidth)}  ${'req/s'.padStart(9)}  ${'x public'.padStart(9)}  ${'server µs/req'.padStart(13)}  ${'server cores'.padStart(12)}  non-2xx`,
);
const shown = (value: number | undefined, digits: number): string => (value === undefined ? 'n/a' : value.toFixed(digits));
for (const row of http) {
  const base = rps(http, row.platform, row.variant, 'public').requestsPerSecond;
  log(
    `${`${row.platform}, ${row.variant}`.padEnd(serverWidth)}  ${row.scenario.padEnd(routeWidth)}  ${row.requestsPerSecond.toFixed(0).padStart(9)}  ${`${(row.requestsPerSecond / base).toFixed(2)}x`.padStart(9)}  ${shown(row.serverMicroseconds, 1).padStart(13)}  ${shown(row.serverCores, 2).padStart(12)}  ${row.non2xx}`,
  );
}
log(
  '(server µs/req: CPU time of the server process, all threads, per request served; server cores: that CPU time over the run; well under 1, the load generator on the same cores set the pace, not the server)',
);
log();
table('Sessions: revocation check per request (best of 15 rounds)', 'µs/op', relative(revocationCheck), 'x raw verify');
table('DPoP: a request with a new token and proof (best of 40 rounds of 50 calls)', 'µs/op', relative(dpop), 'x raw verify');
log(
  `Sessions: a revocation on one instance in force on another through redis-server (loopback, ${propagated.samples} revocations): p50 ${propagated.p50.toFixed(2)} ms, p99 ${propagated.p99.toFixed(2)} ms`,
);
for (const line of sessionsOnRedisLines(onRedis)) log(line);
for (const line of redisScaleLines(atScale)) log(line);
log();
log(
  `Memory: ${memory.tokens} distinct tokens through one verifier (cache size ${memory.cacheSize}): ${memory.cachedAfter} cached, heap +${memory.heapGrowthMiB.toFixed(1)} MiB`,
);
log();

const rawVerify = find(verify, 'raw crypto.verify, KeyObject (the floor)');
const guardUnseen = find(verify, 'library: JwtAuthGuard, cache turning over (new tokens)') / rawVerify;
const guardSeen = find(verify, 'library: JwtAuthGuard, cached (same token)') / rawVerify;
const signRatio = find(sign, 'library: JwtService.sign') / find(sign, 'raw crypto.sign, KeyObject (the floor)');
const httpRatio = (platform: string, variant: Variant, scenario: string): number =>
  rps(http, platform, variant, scenario).requestsPerSecond / rps(http, platform, variant, 'public').requestsPerSecond;
/**
 * With every request a new token, one event loop can at best serve public ÷ (public + one raw verify): each request
 * costs the public route's time plus one RSA verification. Both figures come from this run.
 */
const newTokenLimit = (platform: string): number => {
  const publicMicroseconds = 1e6 / rps(http, platform, 'library', 'public').requestsPerSecond;
  return publicMicroseconds / (publicMicroseconds + rawVerify);
};

/** A ratio as the Goals table shows it: one digit more where two would print the goal itself for a miss (or a hit). */
const ratioShown = (value: number, goal: number): string => `${value.toFixed(value.toFixed(2) === goal.toFixed(2) ? 3 : 2)}x`;

/** [figure, measured, goal, met]: every goal of the bench in one table. */
const goals: [string, string, string, boolean][] = [
  ['guard, token not seen (cache turning over) ÷ raw verify', ratioShown(guardUnseen, 1.15), '<= 1.15x', guardUnseen <= 1.15],
  ['guard, token seen ÷ raw verify', `${guardSeen.toFixed(3)}x`, '<= 0.05x', guardSeen <= 0.05],
  ['JwtService.sign ÷ raw sign', ratioShown(signRatio, 1.05), '<= 1.05x', signRatio <= 1.05],
];
// The transport adapters under the guard's budgets: the same verifier, reached through each transport's context.
for (const [, label] of TRANSPORT_ROWS) {
  const unseen = find(verify, `library: JwtAuthGuard, ${label}, cache turning over`) / rawVerify;
  const seen = find(verify, `library: JwtAuthGuard, ${label}, cached`) / rawVerify;
  goals.push(
    [`guard on a ${label}, token not seen ÷ raw verify`, ratioShown(unseen, 1.15), '<= 1.15x', unseen <= 1.15],
    [`guard on a ${label}, token seen ÷ raw verify`, `${seen.toFixed(3)}x`, '<= 0.05x', seen <= 0.05],
  );
}
for (const [platform, reused, fresh, variant, label] of [
  ['express', 0.93, 0.6, 'library', ''],
  ['fastify', 0.88, 0.33, 'library', ''],
  // The same budgets with the revocation check on every request.
  ['express', 0.93, 0.6, 'library-revocation', ' with revocation'],
  ['fastify', 0.88, 0.33, 'library-revocation', ' with revocation'],
] as const) {
  const one = httpRatio(platform, variant, 'guarded, one token');
  const distinct = httpRatio(platform, variant, 'guarded, distinct tokens');
  // What a guard that checks nothing but sets request.user (as every passport-style guard does) reaches.
  const assignOnly = httpRatio(platform, 'verify-forms', 'request.user only, one token');
  goals.push(
    [
      `${platform}${label}: guarded ÷ public, token reused (request.user alone ${assignOnly.toFixed(2)}x)`,
      ratioShown(one, reused),
      `>= ${reused}x`,
      one >= reused,
    ],
    [
      `${platform}${label}: guarded ÷ public, new tokens (limit ${newTokenLimit(platform).toFixed(2)}x)`,
      ratioShown(distinct, fresh),
      `>= ${fresh}x`,
      distinct >= fresh,
    ],
  );
}
goals.push([
  `heap kept after ${memory.tokens} distinct tokens (${memory.cachedAfter} of ${memory.cacheSize} entries)`,
  `+${memory.heapGrowthMiB.toFixed(1)} MiB`,
  `<= ${HEAP_BOUND_MIB} MiB`,
  memory.heapGrowthMiB <= HEAP_BOUND_MIB && memory.cachedAfter <= memory.cacheSize,
]);
const checkShare = revocationCheck[1].microseconds / revocationCheck[0].microseconds;
goals.push(
  ['revocation check per request ÷ raw verify', `${(checkShare * 100).toFixed(2)}%`, '< 2%', checkShare < 0.02],
  [`revocation in force on another instance, p99 of ${propagated.samples}`, `${propagated.p99.toFixed(1)} ms`, '< 100 ms', propagated.p99 < 100],
  [
    `the same while 3 instances refresh, p99 of ${onRedis.propagationUnderLoad.samples}`,
    `${onRedis.propagationUnderLoad.p99.toFixed(1)} ms`,
    '< 100 ms',
    onRedis.propagationUnderLoad.p99 < 100,
  ],
  [
    'Redis bytes added per refresh (one hash per session)',
    `${onRedis.bytesPerRefresh.toFixed(1)} B`,
    '0 B',
    onRedis.bytesPerRefresh <= 0 && onRedis.keysAddedByRefreshes === 0,
  ],
);
// DPoP: at most the two signature checks a request needs (its token's and its proof's) plus 10 %.
for (const alg of DPOP_ALGS) {
  const { measured, budget } = dpopGoal(dpop, alg);
  goals.push([`guard, DPoP with an ${alg} proof ÷ raw verify`, ratioShown(measured, budget), `<= ${budget.toFixed(2)}x`, measured <= budget]);
}
const width = Math.max(...goals.map(([figure]) => figure.length));
log(`${'Goals'.padEnd(width)}  ${'measured'.padStart(10)}  ${'goal'.padStart(10)}`);
for (const [figure, measured, goal, met] of goals) {
  log(`${figure.padEnd(width)}  ${measured.padStart(10)}  ${goal.padStart(10)}  ${met ? 'met' : 'MISSED'}`);
}
log();
/** verifyOffThread, and what moving crypto.verify off the event loop gains at most (the verify-forms server). */
log(`${'Verification off the main thread (x public)'.padEnd(width)}  ${'express'.padStart(10)}  ${'fastify'.padStart(10)}`);
for (const [figure, variant, scenario] of [
  ['library, token reused', 'library', 'guarded, one token'],
  ['library with verifyOffThread, token reused', 'library-off-thread', 'guarded, one token'],
  ['library, new tokens', 'library', 'guarded, distinct tokens'],
  ['library with verifyOffThread, new tokens', 'library-off-thread', 'guarded, distinct tokens'],
  ['bare crypto.verify guard, new tokens', 'verify-forms', 'crypto.verify, distinct tokens'],
  ['bare crypto.verify callback guard, new tokens', 'verify-forms', 'crypto.verify callback, distinct tokens'],
] as const) {
  log(
    `${figure.padEnd(width)}  ${`${httpRatio('express', variant, scenario).toFixed(2)}x`.padStart(10)}  ${`${httpRatio('fastify', variant, scenario).toFixed(2)}x`.padStart(10)}`,
  );
}
log();
/**
 * Where a request's time goes, from the server's own CPU time per request (so whatever the load generator manages):
 * the public route; with a reused token, a guard that only sets request.user and the library; with new tokens, a
 * guard that only runs crypto.verify and the library. The differences are what any guard must do, and the library's
 * own share.
 */
const cpuOf = (platform: string, variant: Variant, scenario: string): number | undefined => rps(http, platform, variant, scenario).serverMicroseconds;
const cpuRows: [string, (platform: string) => number | undefined][] = [
  ['public route', (platform) => cpuOf(platform, 'library', 'public')],
  ['guard that only sets request.user, token reused', (platform) => cpuOf(platform, 'verify-forms', 'request.user only, one token')],
  ['library, token reused', (platform) => cpuOf(platform, 'library', 'guarded, one token')],
  ['bare crypto.verify guard, new tokens', (platform) => cpuOf(platform, 'verify-forms', 'crypto.verify, distinct tokens')],
  ['library, new tokens', (platform) => cpuOf(platform, 'library', 'guarded, distinct tokens')],
  [
    'library − bare guard (the library’s own share)',
    (platform) => {
      const library = cpuOf(platform, 'library', 'guarded, distinct tokens');
      const bare = cpuOf(platform, 'verify-forms', 'crypto.verify, distinct tokens');
      return library === undefined || bare === undefined ? undefined : library - bare;
    },
  ],
  ['raw crypto.verify in process, for scale', () => rawVerify],
];
log(`${'Server CPU per request (µs)'.padEnd(width)}  ${'express'.padStart(10)}  ${'fastify'.padStart(10)}`);
for (const [figure, value] of cpuRows) {
  log(`${figure.padEnd(width)}  ${shown(value('express'), 1).padStart(10)}  ${shown(value('fastify'), 1).padStart(10)}`);
}
log();
const failures = http.filter((row) => row.non2xx > 0);
if (failures.length > 0) {
  log(`WARNING: ${failures.length} HTTP run(s) had non-2xx answers; their figures are not comparable.`);
}
log(`(${((Date.now() - started) / 1000).toFixed(0)} s)`);
