import { performance } from 'node:perf_hooks';

/** Repeats `attempt` until it returns true, or fails after `ms` naming `what`. Returns how long it took (ms). */
export async function until(attempt: () => Promise<boolean>, ms: number, what: string): Promise<number> {
  const start = performance.now();
  while (!(await attempt())) {
    if (performance.now() - start > ms) throw new Error(`${what}: not within ${ms} ms`);
  }
  return performance.now() - start;
}
