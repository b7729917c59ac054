import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Variant } from './apps.js';
import type { BenchKeys } from './tokens.js';

export type Platform = 'express' | 'fastify';

export interface HttpRow {
  platform: Platform;
  variant: Variant;
  scenario: 'public' | 'guarded, one token' | 'guarded, distinct tokens';
  requestsPerSecond: number;
  non2xx: number;
}

export const HTTP_SETTINGS = {
  connections: 16,
  seconds: 3,
  warmupSeconds: 2,
  /** Interleaved repetitions for the library's servers (the best counts); the recipe, for comparison, runs once. */
  repetitions: { library: 3, recipe: 1 } satisfies Record<Variant, number>,
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
 * Public and guarded routes of one server, measured in the same run and interleaved, so that drift on a shared
 * machine hits every scenario alike: the ratio between them is the guard's cost (and the token's bytes). `distinctTokens` should outnumber
 * the verified-token cache so every request of that scenario is a miss.
 */
export async function httpRows(keys: BenchKeys, oneToken: string, distinctTokens: string[]): Promise<HttpRow[]> {
  const rows: HttpRow[] = [];
  const scenarios: [HttpRow['scenario'], string, string[]][] = [
    ['public', '/public', []],
    ['guarded, one token', '/guarded', [oneToken]],
    ['guarded, distinct tokens', '/guarded', distinctTokens],
  ];
  for (const platform of ['express', 'fastify'] as Platform[]) {
    for (const variant of ['library', 'recipe'] as Variant[]) {
      const { child, url } = await startServer(platform, variant, keys);
      try {
        await load(url, '/public', [], HTTP_SETTINGS.warmupSeconds);
        await load(url, '/guarded', [oneToken], HTTP_SETTINGS.warmupSeconds);
        const runs = new Map<HttpRow['scenario'], { requestsPerSecond: number; non2xx: number }[]>();
        for (let repetition = 0; repetition < HTTP_SETTINGS.repetitions[variant]; repetition++) {
          for (const [scenario, path, tokens] of scenarios) {
            runs.set(scenario, [...(runs.get(scenario) ?? []), await load(url, path, tokens, HTTP_SETTINGS.seconds)]);
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
