import { redisScale, redisScaleLines } from './redis-scale.js';
import { createBenchKeys } from './tokens.js';

/**
 * The Redis-at-scale figures alone (`npm run bench:redis`), about a minute: load time and RSS at 0 / 100k / 1M
 * revocations, sign-in and propagation beside a neighbour loading 1M, an empty restart under three instances.
 */
const lines = redisScaleLines(await redisScale(createBenchKeys()));
process.stdout.write(`${lines.join('\n')}\n`);
