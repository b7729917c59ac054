import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Variant } from './apps.js';
import type { BenchKeys } from './tokens.js';

export type Platform = 'express' | 'fastify';

/** What one load run measured. */
interface LoadResult {
  requestsPerSecond: number;
  /**
   * CPU time the server process spent per request (all its threads, user and system), in microseconds: what the
   * request cost the server, whatever the load generator managed to send. `undefined` where `/proc` is not there.
   */
  serverMicroseconds?: number;
  /** The server's CPU time over the run's wall time, in cores: well under 1, the load generator set the pace. */
  serverCores?: number;
  non2xx: number;
}

/** A route's figures: its median run, with the non-2xx answers of all its runs. */
export interface HttpRow extends LoadResult {
  platform: Platform;
  variant: Variant;
  scenario: string;
}

/** Linux reports process CPU times in clock ticks of `USER_HZ`, which is 100 on every architecture Node runs on. */
const USER_HZ = 100;

/** User and system CPU time of a process so far, in seconds; `undefined` without `/proc` (not Linux). */
function cpuSeconds(pid: number | undefined): number | undefined {
  try {
    // Fields after the command name (which may contain spaces and ends with ')'): utime and stime are the 12th and 13th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / USER_HZ;
  } catch {
    return undefined;
  }
}

interface Scenario {
  name: string;
  path: string;
  tokens: 'none' | 'one' | 'distinct';
}

const PUBLIC: Scenario = { name: 'public', path: '/public', tokens: 'none' };
const GUARDED: Scenario[] = [
  { name: 'guarded, one token', path: '/guarded', tokens: 'one' },
  { name: 'guarded, distinct tokens', path: '/guarded', tokens: 'distinct' },
];

/**
 * The servers measured, on each platform, with their scenarios; the first scenario is the baseline of the
 * "x public" column. `repetitions` interleaved runs each (an odd number), the median counts. A new app variant (revocation, say: see
 * `apps.ts`) is one more entry.
 */
export const HTTP_SERVERS: { variant: Variant; repetitions: number; scenarios: Scenario[] }[] = [
  { variant: 'library', repetitions: 5, scenarios: [PUBLIC, ...GUARDED] },
  { variant: 'library-off-thread', repetitions: 3, scenarios: [PUBLIC, ...GUARDED] },
  { variant: 'library-revocation', repetitions: 3, scenarios: [PUBLIC, ...GUARDED] },
  { variant: 'recipe', repetitions: 1, scenarios: [PUBLIC, ...GUARDED] },
  {
    variant: 'verify-forms',
    repetitions: 3,
    scenarios: [
      PUBLIC,
      { name: 'crypto.verify, distinct tokens', path: '/sync', tokens: 'distinct' },
      { name: 'crypto.verify callback, distinct tokens', path: '/async', tokens: 'distinct' },
      { name: 'request.user only, one token', path: '/assign', tokens: 'one' },
    ],
  },
];

export const HTTP_SETTINGS = {
  connections: 16,
  seconds: 3,
  warmupSeconds: 2,
};

async function startServer(platform: Platform, variant: Variant, keys: BenchKeys): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(
    process.execPath,
    [fileURLToPath(new URL('./server.js', import.meta.url)), platform, variant, keys.privatePath, keys.publicPath],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const port = await new Promise<string>((done, fail) => {
    let output = '';
    child.stdout!.on('data', (chunk) => {
      output += chunk;
      const match = /PORT=(\d+)/.exec(output);
      if (match) done(match[1]);
    });
    child.once('exit', (code) => fail(new Error(`bench server exited with ${code}`)));
  });
  return { child, url: `http://127.0.0.1:${port}` };
}

async function stopServer(child: ChildProcess): Promise<void> {
  child.removeAllListeners('exit');
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGTERM');
  await exited;
}

/**
 * Runs autocannon against one route; with several tokens each request takes the next one in turn. The server's CPU
 * time is read before and after, so the row also says what each request cost it.
 */
async function load(server: ChildProcess, url: string, path: string, tokens: string[], seconds: number): Promise<LoadResult> {
  let next = 0;
  const cpuBefore = cpuSeconds(server.pid);
  const started = performance.now();
  const result = await autocannon({
    url: url + path,
    connections: HTTP_SETTINGS.connections,
    duration: seconds,
    requests: [
      {
        method: 'GET',
        setupRequest: (request) => {
          if (tokens.length > 0) {
            request.headers = { ...request.headers, authorization: `Bearer ${tokens[next++ % tokens.length]}` };
          }
          return request;
        },
      },
    ],
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const cpuAfter = cpuSeconds(server.pid);
  const cpu = cpuBefore === undefined || cpuAfter === undefined ? undefined : cpuAfter - cpuBefore;
  return {
    requestsPerSecond: result.requests.average,
    serverMicroseconds: cpu === undefined || result.requests.total === 0 ? undefined : (cpu * 1e6) / result.requests.total,
    serverCores: cpu === undefined ? undefined : cpu / wallSeconds,
    non2xx: result.non2xx + result.errors,
  };
}

/**
 * Every scenario of every server in `HTTP_SERVERS`, on Express and Fastify. The scenarios of one server are measured
 * in the same run and interleaved, so that drift on a shared machine hits them alike: the ratio to the public route
 * is the guard's cost (and the token's bytes). `distinctTokens` should outnumber the verified-token cache so every
 * request of a distinct-token scenario is a miss. `only` narrows the run to some platforms and servers (`bench:http`).
 */
export async function httpRows(
  keys: BenchKeys,
  oneToken: string,
  distinctTokens: string[],
  only: { platforms?: readonly Platform[]; variants?: readonly Variant[] } = {},
): Promise<HttpRow[]> {
  const rows: HttpRow[] = [];
  const tokensOf = { none: [], one: [oneToken], distinct: distinctTokens } satisfies Record<Scenario['tokens'], string[]>;
  for (const platform of only.platforms ?? (['express', 'fastify'] as Platform[])) {
    for (const { variant, repetitions, scenarios } of HTTP_SERVERS.filter(({ variant }) => only.variants?.includes(variant) ?? true)) {
      const { child, url } = await startServer(platform, variant, keys);
      try {
        for (const { path, tokens } of scenarios) {
          await load(child, url, path, tokensOf[tokens], HTTP_SETTINGS.warmupSeconds);
        }
        const runs = new Map<string, LoadResult[]>();
        for (let repetition = 0; repetition < repetitions; repetition++) {
          for (const { name, path, tokens } of scenarios) {
            runs.set(name, [...(runs.get(name) ?? []), await load(child, url, path, tokensOf[tokens], HTTP_SETTINGS.seconds)]);
          }
        }
        for (const [scenario, results] of runs) {
          // The median run counts, with its CPU figures. Not the best: with the load generator on the same two
          // cores, a route's throughput swings both ways between runs (the public route by up to a third), and the
          // best of each scenario taken apart would set one lucky run against another.
          const median = [...results].sort((a, b) => a.requestsPerSecond - b.requestsPerSecond)[Math.floor(results.length / 2)];
          rows.push({
            platform,
            variant,
            scenario,
            requestsPerSecond: median.requestsPerSecond,
            serverMicroseconds: median.serverMicroseconds,
            serverCores: median.serverCores,
            non2xx: results.reduce((sum, result) => sum + result.non2xx, 0),
          });
        }
      } finally {
        await stopServer(child);
      }
    }
  }
  return rows;
}
