import type { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { createPrivateKey, sign } from 'node:crypto';
import { Module } from '@nestjs/common';
import { Rs256AuthModule, SessionService, type SessionTokens } from '../src/index.js';

/** Claims every session of the bench carries: a scope, as most applications' tokens do. */
export const BENCH_CLAIMS = { scope: 'orders:read orders:write profile' };

/** One instance of an API with sessions on Redis: a Nest application context (no HTTP), as `SessionService` runs in one. */
export async function sessionInstance(privatePath: string, redisUrl: string): Promise<INestApplicationContext> {
  @Module({
    imports: [Rs256AuthModule.forRoot({ keys: { privateKeyPath: privatePath }, sessions: { store: 'redis', redis: { url: redisUrl, timeout: 5 } } })],
  })
  class InstanceModule {}
  return NestFactory.createApplicationContext(InstanceModule, { logger: false });
}

/**
 * Refreshes `sessions` chains (each its own session, each refresh presenting the token the last one returned) for
 * `ms` milliseconds, `sessions` at a time: the load of that many clients refreshing back to back. Returns the
 * refreshes completed.
 */
export async function refreshFor(service: SessionService, sessions: SessionTokens[], ms: number): Promise<number> {
  const end = Date.now() + ms;
  let count = 0;
  await Promise.all(
    sessions.map(async (first) => {
      let current = first;
      while (Date.now() < end) {
        current = await service.refresh(current.refreshToken);
        count++;
      }
    }),
  );
  return count;
}

/** Raw RSA-2048 signatures (the floor of signing an access token) completed in `ms` milliseconds on this thread. */
export function rawSignsFor(privatePem: string, ms: number): number {
  const key = createPrivateKey(privatePem);
  const input = Buffer.from(
    `${Buffer.from('{"alg":"RS256","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"sub":"user"}').toString('base64url')}`,
  );
  const end = Date.now() + ms;
  let count = 0;
  while (Date.now() < end) {
    sign('sha256', input, key);
    count++;
  }
  return count;
}
