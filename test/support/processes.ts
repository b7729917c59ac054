import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_DIST } from './paths.js';

/**
 * How long a helper waits for a process it started to say it is ready: generous, since two cores shared by several
 * test runs can take many seconds to start a Node process. A set-up that waits for one gets `SETUP_TIMEOUT`.
 * `TEST_STARTUP_MS` overrides it for test/suite-cleanup.e2e-spec.ts, which must see that a process is stopped when
 * its test file ends, not when this bound runs out.
 */
export const STARTUP_MS = Number(process.env.TEST_STARTUP_MS) || 90_000;

/** Timeout of a `beforeAll` that starts processes: above `STARTUP_MS`, so the helper's own error (with the output) comes first. */
export const SETUP_TIMEOUT = 120_000;

/**
 * Every child process a test file started and that is still running, keyed on the test file's global object:
 * test/support/test-environment.mjs stops whatever is left when the file ends, even when its set-up failed before
 * a suite could keep a handle to stop it with.
 */
const RUNNING = Symbol.for('nestjs-rs256-auth.test-children');

function running(): Set<ChildProcess> {
  const holder = globalThis as { [RUNNING]?: Set<ChildProcess> };
  return (holder[RUNNING] ??= new Set());
}

/**
 * Registers a child process until it exits. With `TEST_CHILD_PIDS_FILE` set, also appends its pid to that file, for
 * a test that checks that no process outlives the run (test/suite-cleanup.e2e-spec.ts).
 */
export function track<T extends ChildProcess>(child: T): T {
  if (child.pid === undefined) return child;
  running().add(child);
  child.once('exit', () => running().delete(child));
  if (process.env.TEST_CHILD_PIDS_FILE) appendFileSync(process.env.TEST_CHILD_PIDS_FILE, `${child.pid}\n`);
  return child;
}

/** Stops a child process: SIGTERM, then SIGKILL if it is still there after `graceMs`; resolves once it has exited. */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  // No pid: it never started (spawn failed), so there is nothing to stop and no 'exit' to wait for.
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/**
 * True if `name` is listed in `TEST_NEVER_READY` (comma-separated: `openid-provider`, `redis`, `demo`): the helper
 * then starts a process that never says it is ready, for test/suite-cleanup.e2e-spec.ts to prove that a failed
 * set-up leaves no process behind and lets Jest exit. Set by that test alone.
 */
export function neverReady(name: string): boolean {
  return (process.env.TEST_NEVER_READY ?? '').split(',').includes(name);
}

/** A Node script that stays up and says nothing: what a helper starts instead when `neverReady` says so. */
export const NEVER_READY_SCRIPT = fileURLToPath(new URL('./never-ready.process.mjs', import.meta.url));

/**
 * Resolves when `ready` does; if it rejects (the process exited, or `ms` passed without the sign of readiness), stops
 * the child first and rejects with why, so that a failed start leaves nothing running.
 */
export async function whenReady<T>(child: ChildProcess, ready: Promise<T>, what: string, output: () => string, ms = STARTUP_MS): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what} was not ready after ${ms} ms:\n${output()}`)), ms);
  });
  try {
    return await Promise.race([ready, timeout]);
  } catch (error) {
    await stopChild(child);
    throw error;
  } finally {
    clearTimeout(timer);
  }
}

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
 * Runs a built entry point of the demo in examples/demo/dist (`main.js` by default, as `npm start` does after building; an absolute path
 * runs that file instead) in `cwd` and waits until it logs "Listening on". Its settings come from `cwd`'s .env, the repository's .env.example, and `env`.
 */
export async function startDemo(cwd: string, env: Record<string, string> = {}, entry = 'main.js'): Promise<ServerProcess> {
  const port = await freePort();
  const child = track(
    spawn(process.execPath, [neverReady('demo') ? NEVER_READY_SCRIPT : resolve(DEMO_DIST, entry)], {
      cwd,
      env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', NO_COLOR: '1', ...env },
    }),
  );
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
  const listening = new Promise<void>((done) => waiters.push({ text: 'Listening on', done }));
  await whenReady(child, Promise.race([listening, exited]), entry, () => output);
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
  for (const started = Date.now(); count() === seen;) {
    if (Date.now() - started > ms) {
      throw new Error(`"${expected}" did not appear again after SIGHUP in:\n${server.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Stops a demo process; nothing to do when its start failed before there was one (`undefined`). */
export async function stopDemo(server: ServerProcess | undefined): Promise<void> {
  if (!server || server.process.exitCode !== null) return;
  await stopChild(server.process);
}

/** Runs the demo's dev-key step (as `npm start` does) in `cwd`; returns what it printed. */
export function createDevKeys(cwd: string): { status: number | null; stdout: string } {
  const result = spawnSync(process.execPath, [join(DEMO_DIST, 'dev-keys.js')], { cwd, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout };
}
