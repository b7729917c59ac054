import type { RedisClient } from './redis-clients.js';
import type { ScriptCommands } from './redis-scripts.js';
import { parseEntry, parseMark } from './redis-messages.js';
import type { Revocation, RevocationRequest, RotationMark, SharedStateSink } from './session-store.interface.js';

/** Revocations (or marks) given back to the server per script call after it lost them. */
const RESEED_BATCH = 1000;
/** Re-seed script calls sent at once: the server works while the next ones travel. */
const RESEED_IN_FLIGHT = 4;
/** Entries asked for per page when loading the list: each page is a short command, however long the list. */
const LOAD_PAGE = 10_000;
/** A page that timed out is asked for again, smaller, down to this. */
const MIN_LOAD_PAGE = 250;
/**
 * A load (or a re-seed) has this long of its own, whatever the command timeout: a million entries take seconds,
 * and a slow load is not an unreachable server. Past it, it starts again at the next heartbeat.
 */
const LOAD_BUDGET_MS = 120_000;
/** The re-seed lock outlives a crashed holder by this much at most; it is extended at every batch. */
export const RESEED_LOCK_MS = 15_000;

/** What a re-seed writes with, and how it keeps the instance's view confirmed meanwhile. */
export interface ReseedTarget {
  readonly commands: RedisClient;
  readonly scripts: ScriptCommands;
  readonly lockKey: string;
  /** The marks hash and its expiry index. */
  readonly marksKeys: readonly [string, string];
  /** Records revocations without publishing them. */
  writeRevocations(requests: readonly RevocationRequest[]): Promise<unknown>;
  /** Confirms the view if a heartbeat is due (see `stillCurrent`). */
  keepCurrent(): Promise<void>;
}

/** `items` in groups of `RESEED_BATCH`, `RESEED_IN_FLIGHT` groups at a time, the lock extended after each round. */
async function inBatches<T>(target: ReseedTarget, items: readonly T[], write: (batch: T[]) => Promise<unknown>): Promise<void> {
  for (let start = 0; start < items.length; start += RESEED_BATCH * RESEED_IN_FLIGHT) {
    const batches: T[][] = [];
    for (let from = start; from < Math.min(items.length, start + RESEED_BATCH * RESEED_IN_FLIGHT); from += RESEED_BATCH) {
      batches.push(items.slice(from, from + RESEED_BATCH));
    }
    await Promise.all(batches.map(write));
    await target.commands.pexpire(target.lockKey, RESEED_LOCK_MS);
    await target.keepCurrent();
  }
}

/**
 * Gives a server that restarted (or was failed over to) what this instance knows: the revocations, refresh side
 * included (revoked sessions deleted, cut-offs recorded), and the sessions' rotation marks, in batches and without
 * publishing them one by one (every instance would receive every batch).
 */
export async function reseed(target: ReseedTarget, known: readonly Revocation[], marks: readonly RotationMark[]): Promise<void> {
  await inBatches(target, known, (batch) => {
    const now = Date.now();
    // Every sid, sub and all revocation is given back with its refresh side: right while `SessionService.retention()`
    // sets `refreshMs` on each of them. One recorded for access tokens alone would be widened here, silently.
    return target.writeRevocations(
      batch.map(({ kind, value, until, before }) => ({ kind, value, until, before, refreshMs: kind === 'jti' ? undefined : until - now })),
    );
  });
  await inBatches(target, marks, (batch) =>
    target.scripts.rs256AuthMark(...target.marksKeys, JSON.stringify(batch.map(({ sid, at, until }) => [sid, at, until]))),
  );
}

/**
 * Reads a hash in pages, handing each page's field/value pairs to `apply`; a page that times out is asked for
 * again, smaller, within the load's own budget. `between` runs after each page.
 */
async function loadPages(commands: RedisClient, key: string, apply: (flat: string[]) => void, between: () => Promise<void>): Promise<void> {
  const deadline = Date.now() + LOAD_BUDGET_MS;
  let cursor = '0';
  let count = LOAD_PAGE;
  do {
    let page: [string, string[]];
    try {
      page = await commands.hscan(key, cursor, 'COUNT', count);
    } catch (error) {
      if (commands.status !== 'ready' || Date.now() > deadline) throw error;
      count = Math.max(MIN_LOAD_PAGE, Math.floor(count / 2));
      continue;
    }
    const [next, flat] = page;
    apply(flat);
    cursor = next;
    await between();
  } while (cursor !== '0');
}

/** The field/value pairs of a page of `HSCAN`, parsed. */
function parsePairs<T>(flat: readonly string[], parse: (field: string, value: string) => T): T[] {
  const parsed: T[] = [];
  for (let i = 0; i < flat.length; i += 2) parsed.push(parse(flat[i], flat[i + 1]));
  return parsed;
}

/** Loads the revocation list, then the rotation marks, into `sink`, in pages; `between` runs after each page. */
export async function loadState(
  commands: RedisClient,
  listKey: string,
  marksKey: string,
  sink: SharedStateSink,
  between: () => Promise<void>,
): Promise<void> {
  await loadPages(commands, listKey, (flat) => sink.apply(parsePairs(flat, parseEntry)), between);
  await loadPages(commands, marksKey, (flat) => sink.rotated(parsePairs(flat, parseMark)), between);
}
