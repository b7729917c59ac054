import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { DIST } from './paths.js';

export function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => done(port));
    });
    server.on('error', fail);
  });
}

export interface ServerProcess {
  url: string;
  process: ChildProcess;
  output: () => string;
  /** Resolves once `text` has appeared in the output (stdout and stderr), or fails after `ms`. */
  waitFor: (text: string, ms?: number) => Promise<void>;
}

/**
 * Runs a built entry point of the demo (`main.js` by default, as `npm start` does after building; an absolute path
 * runs that file instead) in `cwd` and waits until it logs "Listening on". Its settings come from `cwd`'s .env, the repository's .env.example, and `env`.
 */
export async function startDemo(cwd: string, env: Record<string, string> = {}, entry = 'main.js'): Promise<ServerProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, [resolve(DIST, entry)], {
    cwd,
    env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', NO_COLOR: '1', ...env },
  });
  let output = '';
  const waiters: { text: string; done: () => void }[] = [];
  const collect = (chunk: Buffer): void => {
    output += chunk;
    for (const waiter of waiters.filter((candidate) => output.includes(candidate.text))) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.done();
    }
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const waitFor = (text: string, ms = 15000): Promise<void> =>
    output.includes(text)
      ? Promise.resolve()
      : new Promise((done, fail) => {
          const timer = setTimeout(() => fail(new Error(`"${text}" did not appear in:\n${output}`)), ms);
          waiters.push({ text, done: () => (clearTimeout(timer), done()) });
        });
  const exited = new Promise<never>((_, fail) => child.once('exit', (code) => fail(new Error(`${entry} exited with ${code}:\n${output}`))));
  await Promise.race([waitFor('Listening on'), exited]);
  return { url: `http://127.0.0.1:${port}`, process: child, output: () => output, waitFor };
}

/**
 * Sends `SIGHUP` and resolves once `expected` has appeared in the output once more than before the signal; fails
 * after `ms` (a reload is asynchronous: the process answers the signal at once and logs when the reload is done).
 */
export async function hangUp(server: ServerProcess, expected: string, ms = 5000): Promise<void> {
  const count = (): number => server.output().split(expected).length - 1;
  const seen = count();
  server.process.kill('SIGHUP');
  for (const started = Date.now(); count() === seen; ) {
    if (Date.now() - started > ms) {
      throw new Error(`"${expected}" did not appear again after SIGHUP in:\n${server.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function stopDemo(server: ServerProcess): Promise<void> {
  if (server.process.exitCode !== null) return;
  server.process.removeAllListeners('exit');
  const exited = new Promise((done) => server.process.once('exit', done));
  server.process.kill('SIGTERM');
  await exited;
}

/** Runs the demo's dev-key step (as `npm start` does) in `cwd`; returns what it printed. */
export function createDevKeys(cwd: string): { status: number | null; stdout: string } {
  const result = spawnSync(process.execPath, [join(DIST, 'demo/dev-keys.js')], { cwd, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout };
}
