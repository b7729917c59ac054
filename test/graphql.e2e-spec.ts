import {
  AdminAuthorFields,
  createFieldResolverApp,
  createGraphqlApp,
  GRAPHQL_CASES,
  GuardedAuthorFields,
  type GraphqlApp,
} from './fixtures/graphql-app.js';
import { Rs256AuthError } from '../src/index.js';
import { jest } from '@jest/globals';
import { openGraphqlWs, subscribeOnce, type GraphqlError } from './support/graphql-ws.js';
import { request } from './support/http.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { LogCapture } from './support/log-capture.js';
import { clockAt } from './support/fake-clock.js';

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

describe.each(GRAPHQL_CASES)('JwtAuthGuard on GraphQL (%s driver on %s, %s guard)', (driver, platform, guard) => {
  let gql: GraphqlApp;
  const logs = new LogCapture();

  beforeAll(async () => {
    gql = await createGraphqlApp(driver, platform, guard, keys.privatePath, logs);
  });
  afterAll(() => gql?.app.close());

  const good = (claims: Record<string, unknown> = {}): string => gql.jwt.sign({ sub: 'ada', ...claims });
  const expired = (): string => gql.jwt.sign({ sub: 'ada' }, { expiresIn: -10 });

  /** A query or mutation over real HTTP; the response must never be a server error. */
  async function operation(query: string, token?: string): Promise<{ data?: Record<string, unknown> | null; errors?: GraphqlError[] }> {
    const response = await request(gql.url, '', { method: 'POST', body: { query }, token });
    expect(response.status).toBeLessThan(500);
    return response.body as { data?: Record<string, unknown> | null; errors?: GraphqlError[] };
  }

  function expectRefused(result: { errors?: readonly GraphqlError[] }, code: string, message: string): void {
    expect(result.errors).toHaveLength(1);
    expect(result.errors?.[0]).toMatchObject({ message, extensions: { code } });
  }

  describe('queries and mutations: the token of the HTTP request', () => {
    it('a valid token reaches the resolver, claims included', async () => {
      expect(await operation('{ me }', good())).toMatchObject({ data: { me: 'ada' } });
      expect(await operation('mutation { rename(name: "x") }', good())).toMatchObject({ data: { rename: 'renamed by ada' } });
    });

    it('no token: UNAUTHENTICATED, missing bearer token', async () => {
      expectRefused(await operation('{ me }'), 'UNAUTHENTICATED', 'missing bearer token');
      expectRefused(await operation('mutation { rename(name: "x") }'), 'UNAUTHENTICATED', 'missing bearer token');
    });

    it('a bad token: UNAUTHENTICATED with the reason', async () => {
      expectRefused(await operation('{ me }', expired()), 'UNAUTHENTICATED', 'token expired');
      expectRefused(await operation('{ me }', 'not-a-token'), 'UNAUTHENTICATED', 'malformed token: expected three dot-separated segments');
    });

    it('an insufficient scope: FORBIDDEN with the missing scope', async () => {
      expectRefused(await operation('{ orders }', good()), 'FORBIDDEN', 'missing scope orders:read');
      expect(await operation('{ orders }', good({ scope: 'orders:read' }))).toMatchObject({ data: { orders: ['o-1'] } });
    });

    it('@OptionalAuth(): anonymous without a token, the claims with one, refused with a bad one', async () => {
      expect(await operation('{ greeting }')).toMatchObject({ data: { greeting: 'anonymous' } });
      expect(await operation('{ greeting }', good())).toMatchObject({ data: { greeting: 'ada' } });
      expectRefused(await operation('{ greeting }', expired()), 'UNAUTHENTICATED', 'token expired');
    });

    it('@Public() lets a query through without a token', async () => {
      expect(await operation('{ health }')).toMatchObject({ data: { health: 'ok' } });
    });
  });

  describe('subscriptions over graphql-ws: the token of connectionParams', () => {
    const bearer = (token: string): Record<string, unknown> => ({ authorization: `Bearer ${token}` });

    it('a valid token subscribes, claims included', async () => {
      expect(await subscribeOnce(gql.wsUrl, 'subscription { ticks }', bearer(good()))).toMatchObject({ data: { ticks: 'ada' } });
    });

    it('no token: the connection opens, a guarded subscription is refused', async () => {
      const result = await subscribeOnce(gql.wsUrl, 'subscription { ticks }');
      expectRefused(result, 'UNAUTHENTICATED', 'missing bearer token');
    });

    it('a bad token never gets a connection', async () => {
      const result = await subscribeOnce(gql.wsUrl, 'subscription { openTicks }', bearer(expired()));
      expect(result.data).toBeUndefined();
      // Mercurius too: the socket is closed before its own reason-less `connection_error` message could be sent.
      expect(result.closed).toEqual({ code: 4403, reason: 'token expired' });
    });

    it('an insufficient scope: FORBIDDEN', async () => {
      expectRefused(await subscribeOnce(gql.wsUrl, 'subscription { scopedTicks }', bearer(good())), 'FORBIDDEN', 'missing scope ticks:read');
      expect(await subscribeOnce(gql.wsUrl, 'subscription { scopedTicks }', bearer(good({ scope: 'ticks:read' })))).toMatchObject({
        data: { scopedTicks: 'tick' },
      });
    });

    it('checks the token again on each subscribe: after its exp, a new subscription is refused', async () => {
      const connection = openGraphqlWs(gql.wsUrl, bearer(gql.jwt.sign({ sub: 'ada' }, { expiresIn: 5 })));
      try {
        expect(await connection.subscribe('subscription { ticks }')).toMatchObject({ data: { ticks: 'ada' } });
        // Only the clock moves; sockets and timers keep running for real.
        clockAt(Date.now() + 30_000);
        expectRefused(await connection.subscribe('subscription { ticks }'), 'UNAUTHENTICATED', 'token expired');
      } finally {
        jest.useRealTimers();
        await connection.dispose();
      }
    });

    it("a live subscription ends at its token's exp: the connection is closed with 4401 and the reason", async () => {
      // Timers are fake from before the connection opens, so that the expiry timer set at connection_init is too;
      // the stream is paced by a real setInterval.
      jest.useFakeTimers({
        doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval'],
      });
      const connection = openGraphqlWs(gql.wsUrl, bearer(gql.jwt.sign({ sub: 'ada' }, { expiresIn: 5 })));
      try {
        const live = connection.stream('subscription { stream }');
        await live.nextEvent();
        jest.advanceTimersByTime(4_000);
        await live.nextEvent();
        expect(live.events.at(-1)).toEqual({ stream: 'ada' });
        // Past exp and the clock tolerance (5 s by default) that the guard would still grant on a subscribe.
        jest.advanceTimersByTime(7_000);
        expect(await live.ended).toEqual({ closed: { code: 4401, reason: 'token expired' } });
        const count = live.events.length;
        await new Promise((done) => setImmediate(done));
        expect(live.events).toHaveLength(count);
      } finally {
        jest.useRealTimers();
        await connection.dispose();
      }
    });

    it('@OptionalAuth(): anonymous without a token, the claims with one', async () => {
      expect(await subscribeOnce(gql.wsUrl, 'subscription { openTicks }')).toMatchObject({ data: { openTicks: 'anonymous' } });
      expect(await subscribeOnce(gql.wsUrl, 'subscription { openTicks }', bearer(good()))).toMatchObject({ data: { openTicks: 'ada' } });
    });
  });

  // Declared last, so that it sees what every case above logged.
  it('logs no refusal as an error: a bad token is not a crash', () => {
    expect(logs.matching(/^ERROR/)).toEqual([]);
  });
});

describe('@RequireClaims on a @ResolveField', () => {
  it("stops start-up without fieldResolverEnhancers: ['guards'], naming the field resolver and the fix", async () => {
    const error = await createFieldResolverApp(keys.privatePath, new LogCapture()).then(
      async ({ app }) => {
        await app.close();
        throw new Error('start-up succeeded but should have failed');
      },
      (failure: unknown) => failure,
    );
    expect(error).toBeInstanceOf(Rs256AuthError);
    expect(error).toMatchObject({ code: 'RS256_CONFIG_INVALID' });
    expect((error as Error).message).toContain('AuthorFields.secret');
    expect((error as Error).message).toContain("fieldResolverEnhancers: ['guards']");
  });

  it.each([
    ['@RequireClaims', AdminAuthorFields],
    ['@UseGuards(JwtAuthGuard)', GuardedAuthorFields],
  ])('stops start-up just as for %s on the @Resolver class, which does nothing for its fields without guards', async (_decorator, fields) => {
    const error = await createFieldResolverApp(keys.privatePath, new LogCapture(), undefined, fields).then(
      async ({ app }) => {
        await app.close();
        throw new Error('start-up succeeded but should have failed');
      },
      (failure: unknown) => failure,
    );
    expect(error).toMatchObject({ code: 'RS256_CONFIG_INVALID' });
    expect((error as Error).message).toContain(`${fields.name}.secret`);
    expect((error as Error).message).toContain("fieldResolverEnhancers: ['guards']");
  });

  it('starts with guards on the @Resolver class once field resolvers run guards', async () => {
    const { app } = await createFieldResolverApp(keys.privatePath, new LogCapture(), ['guards'], AdminAuthorFields);
    await app.close();
  });

  describe("with fieldResolverEnhancers: ['guards']", () => {
    let gql: GraphqlApp | undefined;
    beforeAll(async () => {
      gql = await createFieldResolverApp(keys.privatePath, new LogCapture(), ['guards']);
    });
    afterAll(() => gql?.app.close());

    async function query(text: string, token?: string): Promise<{ data?: Record<string, unknown> | null; errors?: GraphqlError[] }> {
      const response = await request(gql!.url, '', { method: 'POST', body: { query: text }, token });
      return response.body as { data?: Record<string, unknown> | null; errors?: GraphqlError[] };
    }

    it('serves the field to a token with the role, and refuses it to one without', async () => {
      const admin = gql!.jwt.sign({ sub: 'ada', roles: ['admin'] });
      expect(await query('{ author { name secret } }', admin)).toEqual({ data: { author: { name: 'ada', secret: 'for admins' } } });
      const user = await query('{ author { name secret } }', gql!.jwt.sign({ sub: 'bob', roles: ['user'] }));
      expect(user.data).toEqual({ author: { name: 'ada', secret: null } });
      expect(user.errors).toEqual([
        expect.objectContaining({
          message: 'missing role admin',
          path: ['author', 'secret'],
          extensions: expect.objectContaining({ code: 'FORBIDDEN' }),
        }),
      ]);
    });

    it('does not serve it anonymously through an @OptionalAuth parent', async () => {
      const anonymous = await query('{ openAuthor { name secret } }');
      expect(anonymous.data).toEqual({ openAuthor: { name: 'ada', secret: null } });
      expect(anonymous.errors?.[0]).toMatchObject({ message: 'missing bearer token', extensions: { code: 'UNAUTHENTICATED' } });
    });
  });
});
