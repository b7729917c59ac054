import { Injectable } from '@nestjs/common';
import { lastValueFrom } from 'rxjs';
import { Rs256Strategy, type JwtClaims } from '../src/index.js';
import { createHybridApp, createMicroserviceApp, RPC_CASES, type HybridApp, type MicroserviceApp } from './fixtures/microservice-app.js';
import { Rs256AuthError } from '../src/index.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { freePort, SETUP_TIMEOUT } from './support/processes.js';
import { startRedis, type RedisServer } from './support/redis.js';
import { LogCapture } from './support/log-capture.js';

let keys: KeyFiles;
let redis: RedisServer;
beforeAll(async () => {
  keys = createKeyFiles();
  redis = await startRedis();
}, SETUP_TIMEOUT);
afterAll(async () => {
  keys.cleanup();
  await redis?.stop();
});

describe.each(RPC_CASES)('JwtAuthGuard on a microservice (%s transport, %s guard)', (transport, guard) => {
  let service: MicroserviceApp;
  const logs = new LogCapture();

  beforeAll(async () => {
    service = await createMicroserviceApp(transport, guard, keys.privatePath, transport === 'redis' ? redis.port : await freePort(), logs);
  }, SETUP_TIMEOUT);
  afterAll(() => service?.close());

  const good = (claims: Record<string, unknown> = {}): string => service.jwt.sign({ sub: 'ada', ...claims });

  /** Sends a message with the token in the payload's `authorization` field; resolves with the reply or the error. */
  function send(pattern: string, token?: string): Promise<{ reply?: unknown; error?: unknown }> {
    const payload = token === undefined ? {} : { authorization: `Bearer ${token}` };
    return lastValueFrom(service.client.send(pattern, payload)).then(
      (reply: unknown) => ({ reply }),
      (error: unknown) => ({ error }),
    );
  }

  const refused = (code: string, message: string): object => ({ error: { status: 'error', code, message } });

  it('a valid token reaches the handler, claims included', async () => {
    expect(await send('whoami', good())).toEqual({ reply: 'ada' });
  });

  it('no token: an RpcException with UNAUTHENTICATED', async () => {
    expect(await send('whoami')).toEqual(refused('UNAUTHENTICATED', 'missing bearer token'));
  });

  it('a bad token: an RpcException with the reason, and the service keeps serving', async () => {
    expect(await send('whoami', service.jwt.sign({ sub: 'ada' }, { expiresIn: -10 }))).toEqual(refused('UNAUTHENTICATED', 'token expired'));
    expect(await send('whoami', 'not-a-token')).toEqual(refused('UNAUTHENTICATED', 'malformed token: expected three dot-separated segments'));
    expect(await send('whoami', good())).toEqual({ reply: 'ada' });
  });

  it('an insufficient scope: an RpcException with FORBIDDEN', async () => {
    expect(await send('orders', good())).toEqual(refused('FORBIDDEN', 'missing scope orders:read'));
    expect(await send('orders', good({ scope: 'orders:read' }))).toEqual({ reply: ['o-1'] });
  });

  it('@OptionalAuth(): anonymous without a token, the claims with one, refused with a bad one', async () => {
    expect(await send('hello')).toEqual({ reply: 'anonymous' });
    expect(await send('hello', good())).toEqual({ reply: 'ada' });
    expect(await send('hello', 'not-a-token')).toMatchObject(refused('UNAUTHENTICATED', 'malformed token: expected three dot-separated segments'));
  });

  it('@Public() lets a message through without a token', async () => {
    expect(await send('ping')).toEqual({ reply: 'pong' });
  });

  // Declared last, so that it sees what every case above logged.
  it('logs no refusal as an error: a bad token is not a crash', () => {
    expect(logs.matching(/^ERROR/)).toEqual([]);
  });
});

/** An application's strategy that maps claims to its own user asynchronously, refusing some: the guard's async path. */
@Injectable()
class UserStrategy extends Rs256Strategy {
  override async validate(claims: JwtClaims): Promise<{ id: string } | null> {
    await Promise.resolve();
    return claims.sub === 'blocked' ? null : { id: claims.sub! };
  }
}

describe('JwtAuthGuard on a microservice with an asynchronous validate (tcp)', () => {
  let service: MicroserviceApp;
  const logs = new LogCapture();

  beforeAll(async () => {
    service = await createMicroserviceApp('tcp', 'route', keys.privatePath, await freePort(), logs, UserStrategy);
  }, SETUP_TIMEOUT);
  afterAll(() => service?.close());

  const send = (pattern: string, token: string): Promise<{ reply?: unknown; error?: unknown }> =>
    lastValueFrom(service.client.send(pattern, { authorization: `Bearer ${token}` })).then(
      (reply: unknown) => ({ reply }),
      (error: unknown) => ({ error }),
    );

  it('admits, refuses and forbids in the transport form', async () => {
    expect(await send('whoami', service.jwt.sign({ sub: 'ada' }))).toEqual({ reply: 'ada' });
    expect(await send('whoami', service.jwt.sign({ sub: 'blocked' }))).toEqual({
      error: { status: 'error', code: 'UNAUTHENTICATED', message: 'token not accepted' },
    });
    expect(await send('orders', service.jwt.sign({ sub: 'ada' }))).toEqual({
      error: { status: 'error', code: 'FORBIDDEN', message: 'missing scope orders:read' },
    });
    expect(logs.matching(/^ERROR/)).toEqual([]);
  });
});

describe('a hybrid app (HTTP + connected microservice) with JwtAuthGuard as APP_GUARD', () => {
  function send(hybrid: HybridApp, pattern: string, token?: string): Promise<{ reply?: unknown; error?: unknown }> {
    const payload = token === undefined ? {} : { authorization: `Bearer ${token}` };
    return lastValueFrom(hybrid.client.send(pattern, payload)).then(
      (reply: unknown) => ({ reply }),
      (error: unknown) => ({ error }),
    );
  }

  it('refuses connectMicroservice() without inheritAppConfig, naming the unguarded handlers and the fix', async () => {
    const error = await createHybridApp(keys.privatePath, await freePort(), new LogCapture(), {}).then(
      async (hybrid) => {
        await hybrid.close();
        throw new Error('the microservice was connected without the guard');
      },
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(Rs256AuthError);
    expect(error).toMatchObject({ code: 'RS256_CONFIG_INVALID' });
    const { message } = error as Error;
    expect(message).toContain('GloballyGuardedHandlers.whoami');
    expect(message).toContain('{ inheritAppConfig: true }');
    // @Public() handlers need no guard.
    expect(message).not.toContain('ping');
  });

  it('with inheritAppConfig: true, a message without a token is refused and one with a token reaches the handler', async () => {
    const hybrid = await createHybridApp(keys.privatePath, await freePort(), new LogCapture(), { inheritAppConfig: true });
    try {
      expect(await send(hybrid, 'whoami')).toEqual({ error: { status: 'error', code: 'UNAUTHENTICATED', message: 'missing bearer token' } });
      expect(await send(hybrid, 'whoami', hybrid.jwt.sign({ sub: 'ada' }))).toEqual({ reply: 'ada' });
    } finally {
      await hybrid.close();
    }
  });

  it('handlers guarded with @UseGuards(JwtAuthGuard) need no inheritance, and stay guarded', async () => {
    const hybrid = await createHybridApp(keys.privatePath, await freePort(), new LogCapture(), {}, 'route');
    try {
      expect(await send(hybrid, 'whoami')).toEqual({ error: { status: 'error', code: 'UNAUTHENTICATED', message: 'missing bearer token' } });
    } finally {
      await hybrid.close();
    }
  });
});
