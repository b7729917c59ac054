import { close, constants, fstat, open, read, readdir, stat, type Stats } from 'node:fs';
import { promisify } from 'node:util';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';

/**
 * Largest key file read, in bytes (64 KiB). An RSA key of 16384 bits is under 13 KiB in PEM, so anything larger is
 * not a key file; the cap keeps a device such as `/dev/zero`, or a huge file, from filling memory.
 */
const MAX_KEY_FILE_BYTES = 64 * 1024;

const fs = {
  stat: promisify(stat),
  readdir: promisify(readdir),
  // O_NONBLOCK: opening a FIFO that has no writer returns at once instead of waiting for one.
  open: (path: string) => promisify(open)(path, constants.O_RDONLY | constants.O_NONBLOCK),
  fstat: promisify(fstat),
  read: async (fd: number, buffer: Buffer, offset: number) => (await promisify(read)(fd, buffer, offset, buffer.length - offset, null)).bytesRead,
  close: promisify(close),
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
export async function statPath(path: string): Promise<Stats | undefined> {
  try {
    return await fs.stat(path);
  } catch {
    return undefined;
  }
}

/** The names of the entries of a folder. */
export async function listFolder(path: string): Promise<string[]> {
  return fs.readdir(path);
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
export async function readKeyFile(file: KeyFile): Promise<string> {
  let fd: number;
  try {
    fd = await fs.open(file.path);
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
    const stats = await fs.fstat(fd);
    if (!stats.isFile()) {
      throw new Rs256AuthError(
        'RS256_KEY_UNREADABLE',
        `${file.described}: is ${kindOf(stats)}; expected a regular PEM file holding ${file.expected}.`,
      );
    }
    // Read up to one byte past the cap: the size fstat gave may have changed since.
    const buffer = Buffer.alloc(MAX_KEY_FILE_BYTES + 1);
    let length = 0;
    while (stats.size <= MAX_KEY_FILE_BYTES && length < buffer.length) {
      const bytes = await fs.read(fd, buffer, length);
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
    await fs.close(fd);
  }
}
