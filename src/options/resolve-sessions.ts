import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import { redactedUrl } from '../observability/redacted-url.js';
import type { SettingsReader } from './from-env.js';
import { invalid } from './parse.js';
import type { SessionsConfig } from './rs256-auth-config.js';

/**
 * `JWT_REDIS_URL` parsed here, before ioredis sees it: ioredis's own error for a malformed URL carries the whole
 * URL, password included, into the start-up failure. Messages show it redacted (see redactedUrl).
 */
function checkRedisUrl(value: string, setting: string): void {
  const expected = 'a redis:// or rediss:// URL such as redis://:password@127.0.0.1:6379/0';
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalid(setting, redactedUrl(value), expected);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw invalid(setting, redactedUrl(value), expected);
  }
}

/** Refresh tokens and revocation, and the store they are kept in. */
export function resolveSessions(reader: SettingsReader): SessionsConfig {
  const store = reader.read('sessionStore');
  const storeSetting = reader.label('sessionStore');
  if (store !== undefined && store !== 'memory' && store !== 'redis') {
    throw invalid(storeSetting, store, "'memory' or 'redis'");
  }
  const url = reader.read('redisUrl');
  const urlSetting = reader.label('redisUrl');
  if (store === 'redis' && url === undefined) {
    throw new Rs256AuthError('RS256_CONFIG_INVALID', `${storeSetting} is "redis" but ${urlSetting} is not set; expected a URL such as redis://127.0.0.1:6379.`);
  }
  if (url !== undefined && store !== 'redis') {
    // Sessions would silently stay in this process's memory: a logout on one instance never reaching the others.
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${urlSetting} is set but ${storeSetting} is ${store === undefined ? 'not set' : `"${store}"`}; set ${storeSetting} to "redis" to share sessions through Redis, or unset ${urlSetting}.`,
    );
  }
  if (url !== undefined) {
    checkRedisUrl(url, urlSetting);
  }
  return {
    store: store === 'redis' ? 'redis' : 'memory',
    redis: store === 'redis' ? { url: url!, timeoutMs: reader.read('redisTimeout'), keyPrefix: reader.read('redisKeyPrefix') } : undefined,
    refreshExpiresIn: reader.read('refreshExpiresIn'),
    maxLifetime: reader.read('sessionMaxLifetime'),
    reuseGrace: reader.read('refreshReuseGrace'),
    maxStalenessMs: reader.read('revocationMaxStaleness'),
    failOpen: reader.read('revocationFailOpen'),
  };
}
