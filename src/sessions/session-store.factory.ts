import type { Rs256AuthConfig } from '../options/rs256-auth-config.js';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import { MemorySessionStore } from './memory-session.store.js';
import type { SessionStore } from './session-store.interface.js';
import { SETTINGS } from '../options/settings.js';

/**
 * The configured store, or `null` with sessions disabled. The Redis store is loaded only when chosen, so an
 * application on the memory store needs no Redis client installed.
 */
export async function createSessionStore(config: Rs256AuthConfig): Promise<SessionStore | null> {
  const sessions = config.sessions;
  if (!sessions) {
    return null;
  }
  if (sessions.store === 'memory' || !sessions.redis) {
    return new MemorySessionStore();
  }
  let module: typeof import('./redis-session.store.js');
  try {
    module = await import('./redis-session.store.js');
  } catch (error) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${SETTINGS.sessionStore.env} is "redis", which needs the ioredis package: npm install ioredis.`,
      { cause: error },
    );
  }
  return module.RedisSessionStore.connect(sessions.redis, sessions.maxStalenessMs);
}
