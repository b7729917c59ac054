import { EventEmitter } from 'node:events';
import { Test, type TestingModule } from '@nestjs/testing';
import { ConnectionAuthenticator } from '../src/index.js';
import { ConnectionLifetimes } from '../src/guard/connection-lifetimes.js';
import { createAuthTestKit } from '../src/testing/index.js';

/** A `graphql-ws` socket as `ws` has it: a state, `close(code, reason)`, and a 'close' event once closed. */
class Socket extends EventEmitter {
  readyState = 1;
  close(): void {
    this.readyState = 3;
    this.emit('close');
  }
}

describe('graphql-ws onConnect: a connection closed while its token is checked is not tracked', () => {
  const kit = createAuthTestKit();
  let moduleRef: TestingModule;
  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({ imports: [kit.module()] }).compile();
    await moduleRef.init();
  });
  afterAll(() => moduleRef?.close());

  async function connect(closeDuringCheck: boolean): Promise<{ accepted: boolean; tracked: number; forgotten: number }> {
    const lifetimes = moduleRef.get(ConnectionLifetimes);
    let tracked = 0;
    let forgotten = 0;
    // Counts calls to the real track(), and to the function it returns, on this module's own instance.
    const track = lifetimes.track;
    lifetimes.track = (...args) => {
      tracked++;
      const forget = track.apply(lifetimes, args);
      return () => {
        forgotten++;
        forget();
      };
    };
    try {
      const socket = new Socket();
      const onConnect = moduleRef.get(ConnectionAuthenticator).graphqlWsOnConnect();
      const pending = onConnect({ connectionParams: { authorization: `Bearer ${kit.signTestToken()}` }, extra: { socket } });
      if (closeDuringCheck) socket.close();
      const accepted = await pending;
      if (!closeDuringCheck) socket.close();
      return { accepted, tracked, forgotten };
    } finally {
      lifetimes.track = track;
    }
  }

  it('tracks an open connection until it closes', async () => {
    expect(await connect(false)).toEqual({ accepted: true, tracked: 1, forgotten: 1 });
  });

  it('does not track one whose close came before the verdict (it would stay until exp)', async () => {
    const { tracked } = await connect(true);
    expect(tracked).toBe(0);
  });
});
