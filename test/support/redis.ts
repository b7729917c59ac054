import { spawn, type ChildProcess } from 'node:child_process';
import { freePort } from './processes.js';

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
    const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child = proc;
    let output = '';
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => fail(new Error(`redis-server did not start:\n${output}`)), 10_000);
      proc.stdout!.on('data', (chunk: Buffer) => {
        output += chunk;
        if (output.includes('Ready to accept connections')) {
          clearTimeout(timer);
          done();
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`redis-server exited with ${code}:\n${output}`));
      });
      // Not installed, say: a refusal of this start, not an unhandled 'error' event that ends the test run.
      proc.once('error', (error) => {
        clearTimeout(timer);
        fail(error);
      });
    });
    proc.removeAllListeners('exit');
    proc.removeAllListeners('error');
  };
  const stop = async (): Promise<void> => {
    const proc = child;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((done) => proc.once('exit', done));
    proc.kill('SIGTERM');
    await exited;
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
