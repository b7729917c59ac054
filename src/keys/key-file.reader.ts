import { close, closeSync, constants, fstat, fstatSync, open, openSync, read, readdir, readdirSync, readSync, stat, statSync, type Stats } from 'node:fs';
import { promisify } from 'node:util';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';

/**
 * Largest key file read, in bytes (64 KiB). An RSA key of 16384 bits is under 13 KiB in PEM, so anything larger is
 * not a key file; the cap keeps a device such as `/dev/zero`, or a huge file, from filling memory.
 */
const MAX_KEY_FILE_BYTES = 64 * 1024;

/**
 * One file-system call, in a blocking form (start-up, which must finish before the module exists) and a
 * non-blocking one (reloads, which run while requests are served). Everything above these calls is written once, as
 * a generator of steps, and run by {@link runBlocking} or {@link runNonBlocking}.
 */
export interface FsStep<T = unknown> {
  blocking(): T;
  nonBlocking(): Promise<T>;
}

/** A computation that reads key files: it yields each file-system step and receives its result. */
export type FsSteps<R> = Generator<FsStep, R, unknown>;

function* step<T>(fsStep: FsStep<T>): FsSteps<T> {
  // The runners hand back exactly what this step's own call returned.
  return (yield fsStep) as T;
}

/** Runs the steps with blocking calls, for start-up. */
export function runBlocking<R>(steps: FsSteps<R>): R {
  let next = steps.next();
  while (!next.done) {
    let result: unknown;
    try {
      result = next.value.blocking();
    } catch (error) {
      next = steps.throw(error);
      continue;
    }
    next = steps.next(result);
  }
  return next.value;
}

/** Runs the steps with non-blocking calls, so the event loop keeps serving requests (reloads). */
export async function runNonBlocking<R>(steps: FsSteps<R>): Promise<R> {
  let next = steps.next();
  while (!next.done) {
    let result: unknown;
    try {
      result = await next.value.nonBlocking();
    } catch (error) {
      next = steps.throw(error);
      continue;
    }
    next = steps.next(result);
  }
  return next.value;
}

const fs = {
  stat: (path: string): FsStep<Stats> => ({ blocking: () => statSync(path), nonBlocking: () => promisify(stat)(path) }),
  readdir: (path: string): FsStep<string[]> => ({ blocking: () => readdirSync(path), nonBlocking: () => promisify(readdir)(path) }),
  // O_NONBLOCK: opening a FIFO that has no writer returns at once instead of waiting for one.
  open: (path: string): FsStep<number> => ({
    blocking: () => openSync(path, constants.O_RDONLY | constants.O_NONBLOCK),
    nonBlocking: () => promisify(open)(path, constants.O_RDONLY | constants.O_NONBLOCK),
  }),
  fstat: (fd: number): FsStep<Stats> => ({ blocking: () => fstatSync(fd), nonBlocking: () => promisify(fstat)(fd) }),
  read: (fd: number, buffer: Buffer, offset: number): FsStep<number> => ({
    blocking: () => readSync(fd, buffer, offset, buffer.length - offset, null),
    nonBlocking: async () => (await promisify(read)(fd, buffer, offset, buffer.length - offset, null)).bytesRead,
  }),
  close: (fd: number): FsStep<void> => ({ blocking: () => closeSync(fd), nonBlocking: () => promisify(close)(fd) }),
};

/** Where a key file is read from, and how to name it in an error without quoting anything secret. */
export interface KeyFile {
  path: string;
  /** The setting and path as an error message shows them. */
  described: string;
  /** What the file should hold, for "expected …" in messages. */
  expected: string;
}

/** `stat` of a path (following links); `undefined` when it does not exist or cannot be examined. */
export function* statPath(path: string): FsSteps<Stats | undefined> {
  try {
    return yield* step(fs.stat(path));
  } catch {
    return undefined;
  }
}

/** The names of the entries of a folder. */
export function* listFolder(path: string): FsSteps<string[]> {
  return yield* step(fs.readdir(path));
}

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  if (stats.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Reads a key file as UTF-8 text. The path is opened without blocking and the open file (not the path, which may
 * be swapped meanwhile) must be a regular file of at most {@link MAX_KEY_FILE_BYTES}; only then is it read, and
 * never more than that many bytes. A FIFO, a device or an oversized file is refused before any content is read.
 * @throws Rs256AuthError `RS256_KEY_NOT_FOUND` or `RS256_KEY_UNREADABLE`, naming the setting and path
 */
export function* readKeyFile(file: KeyFile): FsSteps<string> {
  let fd: number;
  try {
    fd = yield* step(fs.open(file.path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw new Rs256AuthError('RS256_KEY_NOT_FOUND', `${file.described}: no such file; expected a PEM file holding ${file.expected}.`, {
        cause: error,
      });
    }
    throw new Rs256AuthError(
      'RS256_KEY_UNREADABLE',
      `${file.described}: the file cannot be read (${code ?? 'unknown error'}); expected a readable PEM file holding ${file.expected}.`,
      { cause: error },
    );
  }
  try {
    const stats = yield* step(fs.fstat(fd));
    if (!stats.isFile()) {
      throw new Rs256AuthError('RS256_KEY_UNREADABLE', `${file.described}: is ${kindOf(stats)}; expected a regular PEM file holding ${file.expected}.`);
    }
    // Read up to one byte past the cap: the size fstat gave may have changed since.
    const buffer = Buffer.alloc(MAX_KEY_FILE_BYTES + 1);
    let length = 0;
    while (stats.size <= MAX_KEY_FILE_BYTES && length < buffer.length) {
      const bytes = yield* step(fs.read(fd, buffer, length));
      if (bytes === 0) break;
      length += bytes;
    }
    if (stats.size > MAX_KEY_FILE_BYTES || length > MAX_KEY_FILE_BYTES) {
      throw new Rs256AuthError(
        'RS256_KEY_UNREADABLE',
        `${file.described}: the file is larger than ${MAX_KEY_FILE_BYTES} bytes (64 KiB), too large for a key; expected a PEM file holding ${file.expected}.`,
      );
    }
    return buffer.subarray(0, length).toString('utf8');
  } finally {
    yield* step(fs.close(fd));
  }
}
