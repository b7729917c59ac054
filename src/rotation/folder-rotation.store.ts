import { randomUUID } from 'node:crypto';
import { link, mkdir, readdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROTATION_LOCK_MS, parseStoredKey, type RotationStore } from './rotation-store.js';
import type { StoredKey } from './rotation-schedule.js';

const LOCK_FILE = 'rotation.lock';
const KEY_FILE = /^key-(\d+)\.json$/;

const keyFile = (seq: number): string => `key-${seq}.json`;

/**
 * Rotated keys in a folder every instance shares (a volume, NFS): one file per key, `key-<seq>.json`, and a lock
 * file. A key file is written under a temporary name and linked to its own, which fails if the name exists, so
 * a reader never sees half a file and a sequence number is never taken twice. The lock is a file created with
 * `wx` (fails if it exists) holding its taker's random token, so an instance removes only its own lock; one older
 * than {@link ROTATION_LOCK_MS} was left by an instance that died, and is removed.
 */
export class FolderRotationStore implements RotationStore {
  readonly description: string;

  private constructor(private readonly folder: string) {
    this.description = `folder ${folder}`;
  }

  /** Opens the folder (creating it, readable by this user only) and checks that this process may write there. */
  static async open(folder: string): Promise<FolderRotationStore> {
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const probe = join(folder, `.probe-${randomUUID()}`);
    await writeFile(probe, '', { mode: 0o600 });
    await unlink(probe);
    return new FolderRotationStore(folder);
  }

  async read(): Promise<StoredKey[]> {
    const names = (await readdir(this.folder)).filter((name) => KEY_FILE.test(name));
    return Promise.all(names.map(async (name) => parseStoredKey(await readFile(join(this.folder, name), 'utf8'), join(this.folder, name))));
  }

  async locked(task: () => Promise<void>): Promise<boolean> {
    const path = join(this.folder, LOCK_FILE);
    const token = randomUUID();
    if (!(await this.takeLock(path, token))) return false;
    try {
      await task();
    } finally {
      // Only our own lock: had the task outlived ROTATION_LOCK_MS, another instance may hold the lock now.
      if ((await readFile(path, 'utf8').catch(() => undefined)) === token) await unlink(path).catch(() => undefined);
    }
    return true;
  }

  async add(key: StoredKey): Promise<boolean> {
    const temporary = join(this.folder, `.${keyFile(key.seq)}-${randomUUID()}`);
    await writeFile(temporary, JSON.stringify(key), { mode: 0o600 });
    try {
      await link(temporary, join(this.folder, keyFile(key.seq)));
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw error;
    } finally {
      await unlink(temporary);
    }
  }

  async remove(keys: readonly StoredKey[]): Promise<void> {
    await Promise.all(keys.map((key) => unlink(join(this.folder, keyFile(key.seq))).catch(() => undefined)));
  }

  async close(): Promise<void> {}

  /** Creates the lock file holding `token`; false if another instance holds the lock. */
  private async takeLock(path: string, token: string): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        await writeFile(path, token, { flag: 'wx', mode: 0o600 });
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const held = await Promise.all([readFile(path, 'utf8'), stat(path)]).catch(() => undefined);
      if (held && Date.now() - held[1].mtimeMs < ROTATION_LOCK_MS) return false;
      // Left by an instance that died while holding it, and removed only if it still holds the token found stale.
      // Two instances may both find it stale, and between the second's read and its removal the first may have
      // taken the lock: a narrow race, which is why adding a key is atomic on its own.
      if (held && (await readFile(path, 'utf8').catch(() => undefined)) === held[0]) await unlink(path).catch(() => undefined);
    }
    return false;
  }
}
