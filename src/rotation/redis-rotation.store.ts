import { randomUUID } from 'node:crypto';
import type { RedisTopology } from '../options/redis-topology.js';
import { openCommandClient, processHold, type RedisClient } from '../sessions/redis-clients.js';
import { ROTATION_LOCK_MS, parseStoredKey, type RotationStore } from './rotation-store.js';
import type { StoredKey } from './rotation-schedule.js';

/** Deletes the lock only if it is still the one this instance set (it may have expired and been taken since). */
const RELEASE_SCRIPT = `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`;

interface ReleaseCommand {
  rs256AuthRotationRelease(key: string, token: string): Promise<number>;
}

/**
 * Rotated keys in the session store's Redis: a hash `<prefix>rotation:keys` (one field per sequence number, set
 * with `HSETNX`, so a number is never taken twice) and a lock `<prefix>rotation:lock` (`SET NX PX`, released only
 * by its holder). On a Cluster the prefix is the hash tag of both keys, as it is of the session store's.
 */
export class RedisRotationStore implements RotationStore {
  readonly description: string;
  private readonly keysKey: string;
  private readonly lockKey: string;

  private constructor(
    private readonly client: RedisClient,
    private readonly owned: boolean,
    keyPrefix: string,
  ) {
    const base = client.isCluster ? `{${keyPrefix}}` : keyPrefix;
    this.keysKey = `${base}rotation:keys`;
    this.lockKey = `${base}rotation:lock`;
    this.description = `Redis (${this.keysKey})`;
    client.defineCommand('rs256AuthRotationRelease', { lua: RELEASE_SCRIPT, numberOfKeys: 1 });
    // A connection error fails the command under way, which RotatingKeySource logs and retries; the event itself would
    // only be printed again by ioredis as unhandled.
    if (owned) client.on('error', () => undefined);
    // Never what keeps the process alive: should another provider stop start-up, Nest closes nothing it built, and
    // a process that failed to start must still exit.
    if (owned) processHold(client, () => false);
  }

  /** Connects with the session store's settings; fails if Redis does not answer within the store's timeout. */
  static async open(settings: { topology: RedisTopology; timeoutMs: number; keyPrefix: string }): Promise<RedisRotationStore> {
    const { client, owned } = await openCommandClient(settings.topology, settings.timeoutMs);
    const store = new RedisRotationStore(client, owned, settings.keyPrefix);
    try {
      await store.ready(settings.timeoutMs);
    } catch (error) {
      await store.close();
      throw error;
    }
    return store;
  }

  async read(): Promise<StoredKey[]> {
    const entries = await this.client.hgetall(this.keysKey);
    return Object.entries(entries).map(([field, text]) => parseStoredKey(text, `${this.keysKey} field ${field}`));
  }

  async locked(task: () => Promise<void>): Promise<boolean> {
    const token = randomUUID();
    if ((await this.client.set(this.lockKey, token, 'PX', ROTATION_LOCK_MS, 'NX')) !== 'OK') return false;
    try {
      await task();
    } finally {
      await (this.client as unknown as ReleaseCommand).rs256AuthRotationRelease(this.lockKey, token).catch(() => undefined);
    }
    return true;
  }

  async add(key: StoredKey): Promise<boolean> {
    return (await this.client.hsetnx(this.keysKey, String(key.seq), JSON.stringify(key))) === 1;
  }

  async remove(keys: readonly StoredKey[]): Promise<void> {
    if (keys.length > 0) await this.client.hdel(this.keysKey, ...keys.map((key) => String(key.seq)));
  }

  async close(): Promise<void> {
    if (this.owned) this.client.disconnect();
  }

  private async ready(timeoutMs: number): Promise<void> {
    if (this.client.status === 'ready') return;
    await new Promise<void>((done, fail) => {
      const timer = setTimeout(() => {
        this.client.off('ready', finish);
        fail(new Error(`no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const finish = (): void => {
        clearTimeout(timer);
        done();
      };
      this.client.once('ready', finish);
    });
  }
}
