import type { INestApplication } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { Rs256AuthModule, SessionService, type Rs256AuthModuleOptions, type SessionTokens } from '../src/index.js';
import { createGatewayApp } from './fixtures/gateway-app.js';
import { createGraphqlApp } from './fixtures/graphql-app.js';
import { connectSocketIo, connectWs, type GatewayConnection } from './support/gateway-clients.js';
import { openGraphqlWs } from './support/graphql-ws.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { LogCapture } from './support/log-capture.js';
import { SETUP_TIMEOUT } from './support/processes.js';
import { startRedis, type RedisServer } from './support/redis.js';

/** Generous: a revocation reaches a connection within milliseconds; this only bounds a failing test. */
const END_WITHIN_MS = 3000;

type Kind = 'ws' | 'socket.io' | 'apollo' | 'mercurius';
const KINDS: Kind[] = ['ws', 'socket.io', 'apollo', 'mercurius'];

/** How a connection ended, in its transport's own form. */
interface Ending {
  /** `ws` and graphql-ws: the close code and reason; socket.io: the disconnect reason. */
  closed: { code?: number; reason: string };
  /** Gateways: the last message before the end (the `exception` event with the reason). */
  last?: unknown;
}

/** One open connection of any kind, with the same calls for all. */
interface LiveConnection {
  /** True once the connection has been used successfully after `ms`: it is still serving. */
  serving(): Promise<boolean>;
  readonly ended: Promise<Ending>;
  close(): Promise<void>;
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`${what}: not within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

/**
 * With the memory store, one application holds the connections and revokes. With Redis, a second instance on the
 * same redis-server revokes, and the revocation reaches the first through publish/subscribe.
 */
describe.each(['memory', 'redis'] as const)('connections end when their token is revoked (%s store)', (store) => {
  let redis: RedisServer | undefined;
  let options: Rs256AuthModuleOptions;
  /** The other instance, for Redis; the connections' own app for memory (set per kind). */
  let revoker: TestingModule | undefined;
  const logs = new LogCapture();

  beforeAll(async () => {
    redis = store === 'redis' ? await startRedis() : undefined;
    options = { sessions: { store, ...(redis && { redis: { url: redis.url } }) } };
    if (redis) {
      revoker = await Test.createTestingModule({
        imports: [Rs256AuthModule.forRoot({ keys: { privateKeyPath: keys.privatePath }, ...options } as Rs256AuthModuleOptions)],
      }).compile();
      await revoker.init();
    }
  }, SETUP_TIMEOUT);
  afterAll(async () => {
    await revoker?.close();
    await redis?.stop();
  });

  describe.each(KINDS)('%s', (kind) => {
    let app: INestApplication;
    let url: string;
    let sessions: SessionService;
    const open: LiveConnection[] = [];

    beforeAll(async () => {
      if (kind === 'ws' || kind === 'socket.io') {
        ({ app, url } = await createGatewayApp(kind, kind === 'ws' ? 'express' : 'fastify', 'route', keys.privatePath, logs, options));
      } else {
        let wsUrl: string;
        ({ app, wsUrl } = await createGraphqlApp(kind, kind === 'apollo' ? 'express' : 'fastify', 'route', keys.privatePath, logs, options));
        url = wsUrl;
      }
      sessions = (revoker ?? app).get(SessionService);
    }, SETUP_TIMEOUT);
    afterEach(async () => {
      await Promise.all(open.splice(0).map((connection) => connection.close()));
    });
    afterAll(() => app?.close());

    async function connect(tokens: SessionTokens): Promise<LiveConnection> {
      const connection = kind === 'ws' || kind === 'socket.io' ? await gatewayConnection(tokens.accessToken) : await subscription(tokens.accessToken);
      open.push(connection);
      // Serving once before anything is revoked.
      expect(await connection.serving()).toBe(true);
      return connection;
    }

    async function gatewayConnection(token: string): Promise<LiveConnection> {
      const client: GatewayConnection = await (kind === 'ws' ? connectWs(url, token) : connectSocketIo(url, token));
      return {
        serving: async () => (await client.call('whoami')).event === 'whoami',
        ended: client.closed.then((closed) => ({ closed, last: client.received.at(-1) })),
        close: async () => client.close(),
      };
    }

    async function subscription(token: string): Promise<LiveConnection> {
      const client = openGraphqlWs(url, { authorization: `Bearer ${token}` });
      const live = client.stream('subscription { stream }');
      return {
        serving: async () => {
          await live.nextEvent();
          return true;
        },
        ended: live.ended.then((result) => ({ closed: result.closed ?? { reason: JSON.stringify(result) } })),
        close: () => client.dispose(),
      };
    }

    /** What the client of a connection ended for `reason` sees, in its transport's form. */
    function endingFor(reason: string): Ending {
      const exception = { event: 'exception', data: { status: 'error', code: 'UNAUTHENTICATED', message: reason } };
      switch (kind) {
        case 'ws':
          return { closed: { code: 4401, reason }, last: exception };
        case 'socket.io':
          return { closed: { reason: 'io server disconnect' }, last: exception };
        default:
          return { closed: { code: 4401, reason } };
      }
    }

    it("revokeSession ends the session's connection with the reason; another session of the user serves on", async () => {
      const subject = `${kind}-session`;
      const [mine, other] = [await sessions.issue(subject), await sessions.issue(subject)];
      const [revoked, untouched] = [await connect(mine), await connect(other)];
      await sessions.revokeSession(mine.sessionId);
      expect(await within(revoked.ended, END_WITHIN_MS, 'the revoked connection ended')).toEqual(endingFor('session revoked'));
      expect(await untouched.serving()).toBe(true);
    });

    it("revokeSubject ends every connection of the user, and no one else's", async () => {
      const subject = `${kind}-subject`;
      const first = await connect(await sessions.issue(subject));
      const second = await connect(await sessions.issue(subject));
      const bystander = await connect(await sessions.issue(`${kind}-bystander`));
      await sessions.revokeSubject(subject);
      for (const connection of [first, second]) {
        expect(await within(connection.ended, END_WITHIN_MS, 'a connection of the user ended')).toEqual(
          endingFor('token revoked: the user signed out everywhere'),
        );
      }
      expect(await bystander.serving()).toBe(true);
    });

    it('revokeToken ends the connection of that access token alone', async () => {
      const tokens = await sessions.issue(`${kind}-token`);
      const revoked = await connect(tokens);
      const sameSession = await connect(await sessions.refresh(tokens.refreshToken));
      const { jti, exp } = JSON.parse(Buffer.from(tokens.accessToken.split('.')[1], 'base64url').toString()) as { jti: string; exp: number };
      await sessions.revokeToken(jti, exp);
      expect(await within(revoked.ended, END_WITHIN_MS, 'the connection of the revoked token ended')).toEqual(endingFor('token revoked'));
      expect(await sameSession.serving()).toBe(true);
    });

    it('revokeIssuedBefore ends every connection opened with an earlier token; a token issued after it serves', async () => {
      const connections = [await connect(await sessions.issue(`${kind}-bulk-a`)), await connect(await sessions.issue(`${kind}-bulk-b`))];
      await sessions.revokeIssuedBefore();
      for (const connection of connections) {
        expect(await within(connection.ended, END_WITHIN_MS, 'a connection of an earlier token ended')).toEqual(
          endingFor('token revoked: every token issued before a cut-off was revoked'),
        );
      }
      const later = await connect(await sessions.issue(`${kind}-bulk-later`));
      expect(await later.serving()).toBe(true);
    });

    if (store === 'redis' && kind === 'ws') {
      it('a revocation published while this instance was cut off ends the connection when it reloads the list', async () => {
        const tokens = await sessions.issue(`${kind}-missed`);
        const connection = await connect(tokens);
        const admin = new Redis(redis!.url);
        try {
          // Every subscriber loses its connection; the instances reconnect (after 100 ms at the earliest) and reload.
          await admin.call('CLIENT', 'KILL', 'TYPE', 'pubsub');
          await sessions.revokeSession(tokens.sessionId);
        } finally {
          admin.disconnect();
        }
        expect(await within(connection.ended, END_WITHIN_MS, 'the connection ended after the reload')).toEqual(endingFor('session revoked'));
      });
    }
  });

  // Declared last, so that it sees what every case above logged.
  it('logs no ending as an error', () => {
    expect(logs.matching(/^ERROR/)).toEqual([]);
  });
});
