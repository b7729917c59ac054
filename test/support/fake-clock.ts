import { jest } from '@jest/globals';

/**
 * Sets the clock (`Date`) to `ms`; only the clock is fake: sockets, fetches and timers run for real, so an issuer that
 * was stopped really is down. Undo with `jest.useRealTimers()`.
 */
export function clockAt(ms: number): void {
  jest.useFakeTimers({
    doNotFake: [
      'hrtime',
      'nextTick',
      'performance',
      'queueMicrotask',
      'setImmediate',
      'clearImmediate',
      'setInterval',
      'clearInterval',
      'setTimeout',
      'clearTimeout',
    ],
    now: ms,
  });
}
