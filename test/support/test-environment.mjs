import NodeEnvironment from 'jest-environment-node';

// Where test/support/processes.ts registers the child processes a test file starts (its track()).
const RUNNING = Symbol.for('nestjs-rs256-auth.test-children');
const Base = NodeEnvironment.TestEnvironment ?? NodeEnvironment.default ?? NodeEnvironment;

/** SIGTERM (after SIGCONT, for a paused one), then SIGKILL if it is still there after 5 s; resolves once it has exited. */
function stop(child) {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise((done) => child.once('exit', done));
  child.kill('SIGCONT');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  return exited.finally(() => clearTimeout(timer));
}

/**
 * Jest's Node environment, which stops every child process the test file left running once the file is done
 * (after its own afterAll hooks), so that a set-up that failed half-way, before a suite held a handle to stop with,
 * leaves no process behind to keep Jest from exiting.
 */
export default class TestEnvironment extends Base {
  async teardown() {
    const left = [...(this.global?.[RUNNING] ?? [])];
    if (left.length > 0) {
      process.stderr.write(
        `test environment: stopping ${left.length} process(es) the test file left running (pids ${left.map((child) => child.pid).join(', ')})\n`,
      );
      await Promise.all(left.map(stop));
    }
    await super.teardown();
  }
}
