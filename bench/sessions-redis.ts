import { sessionsOnRedis, sessionsOnRedisLines } from './refresh.js';
import { createBenchKeys } from './tokens.js';

/**
 * The sessions-on-Redis figures alone (`npm run bench:sessions`), about 20 s: Redis bytes per session and per
 * refresh, refresh throughput on one and three instances beside raw signing, propagation under that load.
 */
const lines = sessionsOnRedisLines(await sessionsOnRedis(createBenchKeys()));
process.stdout.write(`${lines.join('\n')}\n`);
