/**
 * An ioredis `Redis` or `Cluster`, described by what the session store uses of it, so that these types (and the
 * application's) do not need ioredis installed.
 */
export interface RedisClientLike {
  readonly status: string;
  readonly isCluster: boolean;
  duplicate(...args: never[]): unknown;
  defineCommand(name: string, definition: { lua: string; numberOfKeys?: number }): void;
}

/** Returns the client the session store sends its commands through; see the `sessions.redis.client` option. */
export type RedisClientFactory = () => RedisClientLike | Promise<RedisClientLike>;
