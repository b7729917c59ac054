import { spawn, type ChildProcess } from 'node:child_process';
import { freePort, NEVER_READY_SCRIPT, neverReady, stopChild, track, whenReady } from './processes.js';

/** A real redis-server for one test file, on a free loopback port, keeping nothing on disk. */
export interface RedisServer {
  url: string;
  port: number;
  /** Stops the server (SIGTERM; with no persistence its data is gone). */
  stop(): Promise<void>;
  /** Starts it again, empty, on the same port. */
  start(): Promise<void>;
  /** Freezes the server (SIGSTOP): connections stay open, nothing answers. */
  pause(): void;
  resume(): void;
}

export async function startRedis(): Promise<RedisServer> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
    // Never ready on purpose (test/suite-cleanup.e2e-spec.ts): a process that says nothing.
    const proc = neverReady('redis')
      ? spawn(process.execPath, [NEVER_READY_SCRIPT], { stdio: ['ignore', 'pipe', 'pipe'] })
      : spawn('redis-server', args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = proc;
    let output = '';
    const ready = new Promise<void>((done, fail) => {
      proc.stdout!.on('data', (chunk: Buffer) => {
        output += chunk;
        if (output.includes('Ready to accept connections')) done();
      });
      proc.once('exit', (code) => fail(new Error(`redis-server exited with ${code}:\n${output}`)));
      // Not installed, say: a refusal of this start, not an unhandled 'error' event that ends the test run.
      proc.once('error', fail);
    });
    track(proc);
    await whenReady(proc, ready, 'redis-server', () => output);
    proc.removeAllListeners('error');
  };
  const stop = async (): Promise<void> => {
    if (child) await stopChild(child);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    stop,
    start,
    pause: () => child?.kill('SIGSTOP'),
    resume: () => child?.kill('SIGCONT'),
  };
}
