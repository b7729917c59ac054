import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import type { SettingsReader } from './from-env.js';
import { invalid } from './parse.js';
import { redisTopology, redisTopologyGiven, type RedisTopologySettings } from './redis-topology.js';
import type { SessionsConfig } from './rs256-auth-config.js';

/** Refresh tokens and revocation, and the store they are kept in. */
export function resolveSessions(reader: SettingsReader, redisClient: unknown): SessionsConfig {
  const store = reader.read('sessionStore');
  const storeSetting = reader.label('sessionStore');
  if (store !== undefined && store !== 'memory' && store !== 'redis') {
    throw invalid(storeSetting, store, "'memory' or 'redis'");
  }
  const redis: RedisTopologySettings = {
    url: { value: reader.read('redisUrl'), setting: reader.label('redisUrl') },
    sentinels: { value: reader.read('redisSentinels'), setting: reader.label('redisSentinels') },
    master: { value: reader.read('redisSentinelMaster'), setting: reader.label('redisSentinelMaster') },
    cluster: { value: reader.read('redisClusterNodes'), setting: reader.label('redisClusterNodes') },
    client: { value: redisClient, setting: 'sessions.redis.client option' },
  };
  const named = redisTopologyGiven(redis);
  if (store === 'redis' && named.length === 0) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${storeSetting} is "redis" but ${redis.url.setting} is not set; expected a URL such as redis://127.0.0.1:6379 (or ${redis.sentinels.setting} with ${redis.master.setting}, ${redis.cluster.setting}, or the sessions.redis.client option).`,
    );
  }
  if (named.length > 0 && store !== 'redis') {
    // Sessions would silently stay in this process's memory: a logout on one instance never reaching the others.
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${named[0]} is set but ${storeSetting} is ${store === undefined ? 'not set' : `"${store}"`}; set ${storeSetting} to "redis" to share sessions through Redis, or unset ${named[0]}.`,
    );
  }
  return {
    store: store === 'redis' ? 'redis' : 'memory',
    redis:
      store === 'redis'
        ? { topology: redisTopology(redis), timeoutMs: Math.round(reader.read('redisTimeout') * 1000), keyPrefix: reader.read('redisKeyPrefix') }
        : undefined,
    refreshExpiresIn: reader.read('refreshExpiresIn'),
    maxLifetime: reader.read('sessionMaxLifetime'),
    reuseGrace: reader.read('refreshReuseGrace'),
    maxStalenessMs: Math.round(reader.read('revocationMaxStaleness') * 1000),
    failOpen: reader.read('revocationFailOpen'),
  };
}
