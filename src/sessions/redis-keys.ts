/**
 * The names of the Redis store's keys and channel, all under the key prefix. On a Cluster every key carries the
 * prefix as its hash tag (`{prefix}`), so that every key a script touches lives in one slot; the channel is not a
 * key and keeps the plain prefix.
 */
export interface RedisStoreKeys {
  /** Prefix of every key: on a Cluster, with the hash tag. */
  readonly base: string;
  /** The revocation channel. */
  readonly channel: string;
  /** Revocations, cut-offs and their expiry indexes, as the revoke script takes them in KEYS. */
  readonly list: readonly [string, string, string, string];
  /** The cut-offs hash, which creating and rotating a session read. */
  readonly cutOffs: string;
  /** The rotation marks hash and its expiry index. */
  readonly marks: readonly [string, string];
  /** Which server incarnation has been given back what instances know. */
  readonly epoch: string;
  /** Who is giving it back (the re-seed lock). */
  readonly lock: string;
  /** Which server incarnation instances have served refreshes from (given back to, or found new). */
  readonly serving: string;
}

export function redisStoreKeys(prefix: string, cluster: boolean): RedisStoreKeys {
  const base = cluster ? `{${prefix}}` : prefix;
  const cutOffs = `${base}cutoffs`;
  return {
    base,
    channel: `${prefix}revocations`,
    list: [`${base}revocations`, `${base}revocations:expiry`, cutOffs, `${base}cutoffs:expiry`],
    cutOffs,
    marks: [`${base}rotations`, `${base}rotations:expiry`],
    epoch: `${base}epoch`,
    lock: `${base}reseeding`,
    serving: `${base}serving`,
  };
}
