import { performance } from 'node:perf_hooks';

/** Between attempts: a poll that never yields the CPU starves the app it waits for on a small machine. */
const PAUSE_MS = 20;

/** Repeats `attempt`, pausing between tries, until it returns true, or fails after `ms` naming `what`. Returns how long it took (ms). */
export async function until(attempt: () => Promise<boolean>, ms: number, what: string): Promise<number> {
  const start = performance.now();
  while (!(await attempt())) {
    if (performance.now() - start > ms) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((done) => setTimeout(done, PAUSE_MS));
  }
  return performance.now() - start;
}
