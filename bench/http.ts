import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Variant } from './apps.js';
import type { BenchKeys } from './tokens.js';

export type Platform = 'express' | 'fastify';

export interface HttpRow {
  platform: Platform;
  variant: Variant;
  scenario: string;
  requestsPerSecond: number;
  non2xx: number;
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
 * "x public" column. `repetitions` interleaved runs each, the best counts. A new app variant (revocation, say: see
 * `apps.ts`) is one more entry.
 */
export const HTTP_SERVERS: { variant: Variant; repetitions: number; scenarios: Scenario[] }[] = [
  { variant: 'library', repetitions: 3, scenarios: [PUBLIC, ...GUARDED] },
  { variant: 'library-off-thread', repetitions: 2, scenarios: [PUBLIC, ...GUARDED] },
  { variant: 'library-revocation', repetitions: 2, scenarios: [PUBLIC, ...GUARDED] },
  { variant: 'recipe', repetitions: 1, scenarios: [PUBLIC, ...GUARDED] },
  {
    variant: 'verify-forms',
    repetitions: 2,
    scenarios: [
      PUBLIC,
      { name: 'crypto.verify, distinct tokens', path: '/sync', tokens: 'distinct' },
      { name: 'crypto.verify callback, distinct tokens', path: '/async', tokens: 'distinct' },
    ],
  },
];

export const HTTP_SETTINGS = {
  connections: 16,
  seconds: 3,
  warmupSeconds: 2,
};

async function startServer(platform: Platform, variant: Variant, keys: BenchKeys): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [fileURLToPath(new URL('./server.js', import.meta.url)), platform, variant, keys.privatePath, keys.publicPath], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
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

/** Runs autocannon against one route; with several tokens each request takes the next one in turn. */
async function load(url: string, path: string, tokens: string[], seconds: number): Promise<{ requestsPerSecond: number; non2xx: number }> {
  let next = 0;
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
  return { requestsPerSecond: result.requests.average, non2xx: result.non2xx + result.errors };
}

/**
 * Every scenario of every server in `HTTP_SERVERS`, on Express and Fastify. The scenarios of one server are measured
 * in the same run and interleaved, so that drift on a shared machine hits them alike: the ratio to the public route
 * is the guard's cost (and the token's bytes). `distinctTokens` should outnumber the verified-token cache so every
 * request of a distinct-token scenario is a miss.
 */
export async function httpRows(keys: BenchKeys, oneToken: string, distinctTokens: string[]): Promise<HttpRow[]> {
  const rows: HttpRow[] = [];
  const tokensOf = { none: [], one: [oneToken], distinct: distinctTokens } satisfies Record<Scenario['tokens'], string[]>;
  for (const platform of ['express', 'fastify'] as Platform[]) {
    for (const { variant, repetitions, scenarios } of HTTP_SERVERS) {
      const { child, url } = await startServer(platform, variant, keys);
      try {
        for (const { path, tokens } of scenarios) {
          await load(url, path, tokensOf[tokens], HTTP_SETTINGS.warmupSeconds);
        }
        const runs = new Map<string, { requestsPerSecond: number; non2xx: number }[]>();
        for (let repetition = 0; repetition < repetitions; repetition++) {
          for (const { name, path, tokens } of scenarios) {
            runs.set(name, [...(runs.get(name) ?? []), await load(url, path, tokensOf[tokens], HTTP_SETTINGS.seconds)]);
          }
        }
        for (const [scenario, results] of runs) {
          // The best run counts: on a shared machine interference only ever lowers throughput.
          rows.push({
            platform,
            variant,
            scenario,
            requestsPerSecond: Math.max(...results.map((result) => result.requestsPerSecond)),
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
