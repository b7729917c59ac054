import { LogCapture } from './support/log-capture.js';
import { SETUP_TIMEOUT } from './support/processes.js';
import { clientCount, startRedis, type RedisServer } from './support/redis.js';
import { startupError } from './support/startup.js';
import { until } from './support/until.js';

/**
 * The mirror of the refused key source (automatic-key-rotation.e2e-spec): with the rotated keys in Redis, the key
 * source opens its connection first; a session store that then refuses start-up (here a maxmemory-policy that may
 * evict the revocation list) must not leave the key source's connection, and its schedule, behind: Nest closes
 * nothing a failed start-up built.
 */
describe('automatic key rotation: a start-up the session store refuses', () => {
  let redis: RedisServer | undefined;

  beforeAll(async () => {
    redis = await startRedis({ args: ['--maxmemory', '64mb', '--maxmemory-policy', 'allkeys-lru'] });
  }, SETUP_TIMEOUT);
  afterAll(async () => {
    await redis?.stop();
  });

  it('leaves no connection of the key source behind', async () => {
    const before = await clientCount(redis!.url);
    const refusal = await startupError(
      'forRoot',
      {
        env: {
          JWT_ISSUER: 'https://issuer.example.com',
          JWT_AUDIENCE: 'rotation-test-api',
          JWT_JWKS_ENABLED: 'true',
          JWT_KEY_ROTATION: '1d',
          JWT_KEY_ROTATION_PASSPHRASE: 'rotation passphrase of the test run',
          JWT_KEY_ROTATION_STORE: 'redis',
          JWT_SESSIONS_ENABLED: 'true',
          JWT_SESSION_STORE: 'redis',
          JWT_REDIS_URL: redis!.url,
          JWT_REDIS_KEY_PREFIX: 'rotation-startup-failure-test:',
        },
      },
      new LogCapture(),
    );
    expect(refusal.code).toBe('RS256_CONFIG_INVALID');
    expect(refusal.message).toMatch(/maxmemory-policy is allkeys-lru/);
    await until(async () => (await clientCount(redis!.url)) === before, 5_000, 'the key source closing its connection');
  }, 30_000);
});
