import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from './support/paths.js';
import { SETUP_TIMEOUT, stopChild, track } from './support/processes.js';

/** True while a process with this pid exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('the test suite cannot hang', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rs256-auth-suite-cleanup-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it(
    'a provider, a Redis and a demo that never become ready: Jest reports the failures, exits by itself, and no process is left',
    async () => {
      const pidsFile = join(dir, 'pids');
      // In band, as a CI run with one worker: anything the fixture leaves running keeps this very process alive.
      const jest = track(
        spawn(
          process.execPath,
          [join(ROOT, 'node_modules/jest/bin/jest.js'), '--config', 'test/fixtures/setup-failure/jest.config.js', '--runInBand', '--ci'],
          {
            cwd: ROOT,
            // The helpers would give up on a process after an hour: only the end of the test file can stop them in time.
            env: { ...process.env, TEST_NEVER_READY: 'openid-provider,redis,demo', TEST_CHILD_PIDS_FILE: pidsFile, TEST_STARTUP_MS: '3600000' },
            stdio: ['ignore', 'pipe', 'pipe'],
          },
        ),
      );
      let output = '';
      jest.stdout!.on('data', (chunk: Buffer) => (output += chunk));
      jest.stderr!.on('data', (chunk: Buffer) => (output += chunk));
      const code = await new Promise<number | null>((done) => {
        const timer = setTimeout(() => {
          done(null);
          void stopChild(jest);
        }, SETUP_TIMEOUT - 10_000);
        jest.once('exit', (exitCode) => {
          clearTimeout(timer);
          done(exitCode);
        });
      });
      const pids = readFileSync(pidsFile, 'utf8').trim().split('\n').map(Number);
      const left = pids.filter(alive);
      // Should this fail, it leaves nothing behind either.
      for (const pid of left) process.kill(pid, 'SIGKILL');
      // The provider, the Redis and the demo; the resource server is never reached.
      expect(pids).toHaveLength(3);
      expect(left).toEqual([]);
      expect({ code, exitedByItself: code !== null }).toEqual({ code: 1, exitedByItself: true });
      expect(output).toMatch(/Tests:\s+3 failed, 3 total/);
      expect(output).toContain('Exceeded timeout of 3000 ms for a hook');
    },
    SETUP_TIMEOUT,
  );
});
