import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { performance } from 'node:perf_hooks';
import { Rs256AuthModule } from '../src/index.js';
import { RevocationList } from '../src/sessions/revocation-list.js';

/**
 * One instance of an API on a Redis session store with the default timeout, in a process of its own (started by
 * bench/redis-scale.ts with `--expose-gc`): says when it first accepts a valid token (ms since the process
 * started) and its RSS then; keeps checking every 20 ms, and on `report` says the longest run of refusals since.
 */
const gc = (globalThis as { gc?: () => void }).gc!;

@Module({
  imports: [
    Rs256AuthModule.forRoot({
      keys: { privateKeyPath: process.env.BENCH_PRIVATE_KEY_PATH },
      sessions: { store: 'redis', redis: { url: process.env.BENCH_REDIS_URL } },
    }),
  ],
})
class InstanceModule {}

const app = await NestFactory.createApplicationContext(InstanceModule, { logger: false });
const list = app.get(RevocationList);
const claims = { sub: 'bench', sid: 'live', jti: 'live', iat: Math.floor(Date.now() / 1000) };
const accepts = (): boolean => {
  try {
    list.check(claims);
    return true;
  } catch {
    return false;
  }
};

let firstAccepted: number | undefined;
let refusedSince: number | undefined;
let longestRefusalMs = 0;
const timer = setInterval(() => {
  const now = performance.now();
  if (accepts()) {
    if (refusedSince !== undefined && firstAccepted !== undefined) longestRefusalMs = Math.max(longestRefusalMs, now - refusedSince);
    refusedSince = undefined;
    if (firstAccepted === undefined) {
      firstAccepted = now;
      gc();
      process.send!({ type: 'accepted', ms: now, rssMiB: process.memoryUsage().rss / 2 ** 20 });
    }
  } else {
    refusedSince ??= now;
  }
}, 20);

process.on('message', async (message: string) => {
  if (message === 'report') {
    const open = refusedSince === undefined ? 0 : performance.now() - refusedSince;
    gc();
    process.send!({ type: 'report', longestRefusalMs: Math.max(longestRefusalMs, open), rssMiB: process.memoryUsage().rss / 2 ** 20 });
  } else if (message === 'stop') {
    clearInterval(timer);
    await app.close();
    process.disconnect();
  }
});
