import { jest } from '@jest/globals';
import type { Rs256AuthModuleOptions } from '../src/index.js';
import { createGatewayApp, GATEWAY_CASES, type GatewayApp } from './fixtures/gateway-app.js';
import { connectSocketIo, connectWs, type GatewayConnection, type HandshakeRefusal } from './support/gateway-clients.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { LogCapture } from './support/log-capture.js';
import { clockAt } from './support/fake-clock.js';

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

describe.each(GATEWAY_CASES)('JwtAuthGuard on a WebSocket gateway (%s on %s, %s guard)', (adapter, platform, guard) => {
  let gw: GatewayApp;
  const logs = new LogCapture();
  const open: GatewayConnection[] = [];

  beforeAll(async () => {
    gw = await createGatewayApp(adapter, platform, guard, keys.privatePath, logs);
  });
  afterEach(() => {
    open.splice(0).forEach((connection) => connection.close());
    jest.useRealTimers();
  });
  afterAll(() => gw?.app.close());

  const good = (claims: Record<string, unknown> = {}): string => gw.jwt.sign({ sub: 'ada', ...claims });
  const expired = (): string => gw.jwt.sign({ sub: 'ada' }, { expiresIn: -10 });

  async function connect(token?: string): Promise<GatewayConnection> {
    const connection = await (adapter === 'ws' ? connectWs(gw.url, token) : connectSocketIo(gw.url, token));
    open.push(connection);
    return connection;
  }

  async function refusedHandshake(token: string): Promise<HandshakeRefusal> {
    return connect(token).then(
      () => {
        throw new Error('the handshake was accepted');
      },
      (refusal: HandshakeRefusal) => refusal,
    );
  }

  const refusal = (code: string, message: string): object => ({ event: 'exception', data: { status: 'error', code, message } });

  it('a valid token connects and reaches the handler, claims included', async () => {
    const connection = await connect(good());
    expect(await connection.call('whoami')).toEqual({ event: 'whoami', data: 'ada' });
  });

  it('a bad token never gets a connection, and hears why', async () => {
    const refused = await refusedHandshake(expired());
    if (adapter === 'ws') {
      expect(refused).toEqual({
        status: 401,
        message: 'token expired',
        challenge: 'Bearer realm="api", error="invalid_token", error_description="token expired"',
      });
    } else {
      expect(refused).toEqual({ message: 'token expired', data: { code: 'UNAUTHENTICATED' } });
    }
    expect((await refusedHandshake('not-a-token')).message).toBe('malformed token: expected three dot-separated segments');
  });

  it('no token: the connection opens, guarded messages get an UNAUTHENTICATED exception event', async () => {
    const connection = await connect();
    expect(await connection.call('whoami')).toEqual(refusal('UNAUTHENTICATED', 'missing bearer token'));
    expect(await connection.call('ping')).toEqual({ event: 'ping', data: 'pong' });
  });

  it('an insufficient scope: a FORBIDDEN exception event, and the connection stays open', async () => {
    const connection = await connect(good());
    expect(await connection.call('post')).toEqual(refusal('FORBIDDEN', 'missing scope chat:write'));
    expect(await connection.call('whoami')).toEqual({ event: 'whoami', data: 'ada' });
    const allowed = await connect(good({ scope: 'chat:write' }));
    expect(await allowed.call('post')).toEqual({ event: 'post', data: 'posted' });
  });

  it('@OptionalAuth(): anonymous without a token, the claims with one', async () => {
    expect(await (await connect()).call('hello')).toEqual({ event: 'hello', data: 'anonymous' });
    expect(await (await connect(good())).call('hello')).toEqual({ event: 'hello', data: 'ada' });
  });

  it('a message after the token expired is refused, and the connection is closed', async () => {
    const connection = await connect(gw.jwt.sign({ sub: 'ada' }, { expiresIn: 5 }));
    expect(await connection.call('whoami')).toEqual({ event: 'whoami', data: 'ada' });
    // Only the clock moves: sockets, heartbeats and timers keep running for real. 30 s stays inside socket.io's
    // heartbeat window (its client reads the clock too), and is well past the token's exp.
    clockAt(Date.now() + 30_000);
    expect(await connection.call('whoami')).toEqual(refusal('UNAUTHENTICATED', 'token expired'));
    expect(await connection.closed).toEqual(adapter === 'ws' ? { code: 4401, reason: 'token expired' } : { reason: 'io server disconnect' });
  });

  it('closes an idle connection when its token expires, with an exception event first', async () => {
    // Timers are fake from before the connection opens, so that the expiry timer set at the handshake is too.
    jest.useFakeTimers({
      doNotFake: ['hrtime', 'nextTick', 'performance', 'queueMicrotask', 'setImmediate', 'clearImmediate', 'setInterval', 'clearInterval'],
    });
    const connection = await connect(gw.jwt.sign({ sub: 'ada' }, { expiresIn: 5 }));
    jest.advanceTimersByTime(4_000);
    expect(await connection.call('whoami')).toEqual({ event: 'whoami', data: 'ada' });
    // Past exp and the clock tolerance (5 s by default) that the guard would still grant on a message.
    jest.advanceTimersByTime(7_000);
    expect(await connection.closed).toEqual(adapter === 'ws' ? { code: 4401, reason: 'token expired' } : { reason: 'io server disconnect' });
    expect(connection.received.at(-1)).toEqual(refusal('UNAUTHENTICATED', 'token expired'));
  });

  if (adapter === 'socket.io') {
    it('takes the token from the handshake Authorization header too', async () => {
      const connection = await connectSocketIo(gw.url, good(), 'header');
      open.push(connection);
      expect(await connection.call('whoami')).toEqual({ event: 'whoami', data: 'ada' });
    });
  }

  // Declared last, so that it sees what every case above logged.
  it('logs no refusal as an error: a bad token is not a crash', () => {
    expect(logs.matching(/^ERROR/)).toEqual([]);
  });
});

describe('a refused `ws` upgrade with RFC 9728 metadata on', () => {
  let gw: GatewayApp | undefined;
  const resource = 'https://api.example.test/chat';
  beforeAll(async () => {
    gw = await createGatewayApp('ws', 'express', 'global', keys.privatePath, new LogCapture(), { publishing: { resourceMetadata: { resource } } });
  });
  afterAll(() => gw?.app.close());

  it('announces resource_metadata in its WWW-Authenticate challenge, as an HTTP refusal does', async () => {
    const refused = await connectWs(gw!.url, gw!.jwt.sign({ sub: 'ada' }, { expiresIn: -10 })).then(
      (connection) => {
        connection.close();
        throw new Error('the upgrade was accepted');
      },
      (refusal: HandshakeRefusal) => refusal,
    );
    expect(refused).toEqual({
      status: 401,
      message: 'token expired',
      challenge: `Bearer realm="api", resource_metadata="https://api.example.test/.well-known/oauth-protected-resource/chat", error="invalid_token", error_description="token expired"`,
    });
  });
});

describe.each(GATEWAY_CASES)('sender-constrained tokens at the handshake (%s on %s, %s guard)', (adapter, platform, guard) => {
  // No client certificate on a plain connection, and no DPoP proof on an upgrade (browsers cannot add one).
  const gateways: Record<'whenBound' | 'mtlsRequired' | 'dpopRequired', GatewayApp | undefined> = {
    whenBound: undefined,
    mtlsRequired: undefined,
    dpopRequired: undefined,
  };
  const open: GatewayConnection[] = [];

  beforeAll(async () => {
    const start = (options: Rs256AuthModuleOptions): Promise<GatewayApp> =>
      createGatewayApp(adapter, platform, guard, keys.privatePath, new LogCapture(), options);
    gateways.whenBound = await start({ mtls: { bound: 'when-bound' }, dpop: { mode: 'allowed' } });
    gateways.mtlsRequired = await start({ mtls: { bound: 'required' } });
    gateways.dpopRequired = await start({ dpop: { mode: 'required' } });
  });
  afterEach(() => open.splice(0).forEach((connection) => connection.close()));
  afterAll(() => Promise.all(Object.values(gateways).map((gw) => gw?.app.close())));

  async function connect(gw: GatewayApp, token: string): Promise<GatewayConnection> {
    const connection = await (adapter === 'ws' ? connectWs(gw.url, token) : connectSocketIo(gw.url, token));
    open.push(connection);
    return connection;
  }

  async function refusedWith(gw: GatewayApp, token: string, message: string): Promise<void> {
    const refused = await connect(gw, token).then(
      () => {
        throw new Error('the handshake was accepted');
      },
      (refusal: HandshakeRefusal) => refusal,
    );
    const challenge = `Bearer realm="api", error="invalid_token", error_description="${message}"`;
    expect(refused).toEqual(adapter === 'ws' ? { status: 401, message, challenge } : { message, data: { code: 'UNAUTHENTICATED' } });
  }

  it('refuses certificate-bound and DPoP-bound tokens, and lets an unbound one in', async () => {
    const gw = gateways.whenBound!;
    await refusedWith(
      gw,
      gw.jwt.sign({ sub: 'ada', cnf: { 'x5t#S256': 'x'.repeat(43) } }),
      'certificate-bound token sent without a client certificate',
    );
    await refusedWith(gw, gw.jwt.sign({ sub: 'ada', cnf: { jkt: 'y'.repeat(43) } }), 'DPoP-bound token presented without its proof');
    expect(await (await connect(gw, gw.jwt.sign({ sub: 'ada' }))).call('whoami')).toEqual({ event: 'whoami', data: 'ada' });
  });

  it('refuses every token under JWT_MTLS_BOUND=required and JWT_DPOP=required', async () => {
    await refusedWith(gateways.mtlsRequired!, gateways.mtlsRequired!.jwt.sign({ sub: 'ada' }), 'token is not certificate-bound (no cnf.x5t#S256)');
    await refusedWith(gateways.dpopRequired!, gateways.dpopRequired!.jwt.sign({ sub: 'ada' }), 'DPoP-bound token and proof required');
  });
});
