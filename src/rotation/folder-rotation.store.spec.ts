import { existsSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FolderRotationStore } from './folder-rotation.store.js';
import { ROTATION_LOCK_MS } from './rotation-store.js';

describe('FolderRotationStore lock', () => {
  let parent: string;
  let folder: string;
  let store: FolderRotationStore;
  const lockPath = (): string => join(folder, 'rotation.lock');

  beforeEach(async () => {
    parent = mkdtempSync(join(tmpdir(), 'rs256-auth-folder-lock-'));
    folder = join(parent, 'keys');
    store = await FolderRotationStore.open(folder);
  });
  afterEach(() => rmSync(parent, { recursive: true, force: true }));

  it('runs the task under the lock and removes its own lock afterwards', async () => {
    let heldDuringTask = false;
    expect(await store.locked(async () => void (heldDuringTask = existsSync(lockPath())))).toBe(true);
    expect(heldDuringTask).toBe(true);
    expect(existsSync(lockPath())).toBe(false);
  });

  it('does not run the task while another instance holds a fresh lock, and leaves that lock alone', async () => {
    writeFileSync(lockPath(), 'another instance');
    let ran = false;
    expect(await store.locked(async () => void (ran = true))).toBe(false);
    expect(ran).toBe(false);
    expect(readFileSync(lockPath(), 'utf8')).toBe('another instance');
  });

  it('takes over a lock left by an instance that died', async () => {
    writeFileSync(lockPath(), 'a dead instance');
    const stale = (Date.now() - ROTATION_LOCK_MS - 1000) / 1000;
    utimesSync(lockPath(), stale, stale);
    let ran = false;
    expect(await store.locked(async () => void (ran = true))).toBe(true);
    expect(ran).toBe(true);
    expect(existsSync(lockPath())).toBe(false);
  });

  it('never removes a lock another instance took over while the task ran too long', async () => {
    const taken = await store.locked(async () => {
      // This task outlived ROTATION_LOCK_MS: another instance found the lock stale and holds it now.
      writeFileSync(lockPath(), 'the instance that took over');
    });
    expect(taken).toBe(true);
    expect(readFileSync(lockPath(), 'utf8')).toBe('the instance that took over');
  });
});
