import type { RedisClientFactory } from './redis-client.interface.js';

/** Sessions on or off, or on with these settings. */
export interface SessionModuleOptions {
  /**
   * Sessions: `SessionService` issues refresh tokens with access tokens (each access token then carries `sid` and
   * `jti`), and every guarded request is checked against the revocations (by `jti`, by `sid`, by `sub`). `true` uses
   * the defaults below; an object turns sessions on with its settings.
   * @env JWT_SESSIONS_ENABLED
   * @default false
   */
  sessions?: boolean | SessionOptions;
}

/** Refresh tokens, revocation, and where their state is kept. Durations in seconds, or lifetimes (`'14d'`). */
export interface SessionOptions {
  /**
   * Where refresh tokens and revocations are kept: `'memory'` (one process) or `'redis'` (several instances share
   * them; needs the `ioredis` package and one Redis under `redis`: `url`, `sentinels`, `clusterNodes` or `client`).
   * @env JWT_SESSION_STORE
   * @default 'memory'
   */
  store?: 'memory' | 'redis';

  /** The Redis server of the `'redis'` store, and how it is used. */
  redis?: RedisOptions;

  /**
   * Lifetime of refresh tokens: seconds as a number, or a string such as `'12h'`, `'14d'`. Counted from each
   * refresh, so it is the sessions' idle timeout: a session used at least this often lives on until it is revoked or
   * reaches `maxLifetime`.
   * @env JWT_REFRESH_EXPIRES_IN
   * @default '14d'
   */
  refreshExpiresIn?: string | number;

  /**
   * Absolute lifetime of a session: past this long after sign-in no refresh succeeds, however recently the session
   * was refreshed, and the user signs in again (with claims read afresh). Seconds as a number, or a string such as
   * `'12h'`, `'30d'`. `refreshExpiresIn` stays the idle timeout within it.
   * @env JWT_SESSION_MAX_LIFETIME
   * @default '30d'
   */
  maxLifetime?: string | number;

  /**
   * Seconds during which presenting the refresh token just spent again (a second tab, a retry after a timeout)
   * answers with the very pair the first refresh returned, and an older token of the session is refused without
   * revoking anything. Past it, presenting a spent token is reuse and revokes the session. `0` turns it off.
   * @env JWT_REFRESH_REUSE_GRACE
   * @default 10
   */
  refreshReuseGrace?: number;

  /**
   * Seconds for which verification keeps trusting its local view of revocations after it lost contact with the
   * Redis store (decimals allowed: `0.5`). Past it, tokens are refused (`RS256_TOKEN_REVOCATION_STALE`: 503 with
   * `Retry-After` over HTTP, not a 401, for the token may be good) unless `revocationFailOpen`.
   * @env JWT_REVOCATION_MAX_STALENESS
   * @default 10
   */
  revocationMaxStaleness?: number;

  /**
   * Past `revocationMaxStaleness`, accept tokens on the stale view (logging that it does) instead of refusing
   * them: availability over revocation, for APIs that prefer it.
   * @env JWT_REVOCATION_FAIL_OPEN
   * @default false
   */
  revocationFailOpen?: boolean;
}

/** The Redis of the `'redis'` session store: exactly one of `url`, `sentinels` (with `sentinelMaster`), `clusterNodes`, `client`. */
export interface RedisOptions {
  /**
   * The Redis server. Never logged (it may hold a password).
   * @env JWT_REDIS_URL
   * @default none (one of the shapes is required with store 'redis')
   * @example 'redis://127.0.0.1:6379/0'
   */
  url?: string;

  /**
   * Redis Sentinel instead of `url`: the sentinels, as `host:port` items (or `redis://` / `rediss://` URLs of one
   * sentinel each, for the sentinels' own password and TLS). Needs `sentinelMaster`.
   * @env JWT_REDIS_SENTINELS (comma-separated)
   * @default none
   * @example ['10.0.0.1:26379', '10.0.0.2:26379', '10.0.0.3:26379']
   */
  sentinels?: string[];

  /**
   * The master name the sentinels watch, or a URL naming it as the host, for the primary's password, TLS and
   * database (`rediss://:password@mymaster/0`).
   * @env JWT_REDIS_SENTINEL_MASTER
   * @default none (required with sentinels)
   * @example 'mymaster'
   */
  sentinelMaster?: string;

  /**
   * Redis Cluster instead of `url`: seed nodes as `host:port` items (or `redis://` / `rediss://` URLs of one node
   * each, for password and TLS, the same for every node). Every key of the store carries one hash tag (the key
   * prefix), so the store lives in one slot.
   * @env JWT_REDIS_CLUSTER_NODES (comma-separated)
   * @default none
   * @example ['10.0.0.1:6379', '10.0.0.2:6379', '10.0.0.3:6379']
   */
  clusterNodes?: string[];

  /**
   * Any other Redis shape (TLS client certificates, a managed service's endpoint): a function returning an ioredis
   * `Redis` or `Cluster`, instead of `url`, `sentinels` or `clusterNodes`. The store sends its commands through it
   * and subscribes on a `duplicate()` of it; it never closes the client it was given (it closes only the
   * duplicate). Option only.
   * @default none
   * @example () => new Redis({ host: 'redis.internal', port: 6380, tls: { cert, key, ca } })
   */
  client?: RedisClientFactory;

  /**
   * Seconds a Redis connection attempt or command may take before it is given up (decimals allowed: `0.5`):
   * refreshing and revoking then fail with `RS256_SESSION_STORE_UNAVAILABLE` instead of waiting.
   * @env JWT_REDIS_TIMEOUT
   * @default 1
   */
  timeout?: number;

  /**
   * Prefix of every Redis key and channel the session store uses, so several applications can share a server.
   * @env JWT_REDIS_KEY_PREFIX
   * @default 'rs256-auth:'
   */
  keyPrefix?: string;
}
