import { connect, createServer, type Socket } from 'node:net';
import { freePort } from './processes.js';

/** A TCP proxy on loopback that delays every chunk, each way, keeping their order: a slow network path. */
export interface DelayProxy {
  /** `redis://` URL through the proxy (for a Redis target). */
  url: string;
  port: number;
  /** Calls `listener` with each chunk the moment it is written on to the target. */
  onForward(listener: (chunk: Buffer) => void): () => void;
  /** Holds every answer from the target (after its delay) until the returned function is called: a stalled path. */
  holdAnswers(): () => void;
  /**
   * Silences every connection open now, both ways, without closing it (a path that went dead with the TCP connection
   * still open); connections made afterwards are carried as usual.
   */
  stallOpenConnections(): void;
  /** Ends every connection and refuses new ones (each ends as it opens) until the returned function is called. */
  cut(): () => void;
  /** Closes the listener and every connection it carries. */
  close(): Promise<void>;
}

export async function startDelayProxy(targetPort: number, delayMs: number): Promise<DelayProxy> {
  const sockets = new Set<Socket>();
  const listeners = new Set<(chunk: Buffer) => void>();
  /** Answers held back, in order, while a hold is on. */
  let held: (() => void)[] | undefined;
  const track = (socket: Socket): Socket => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    // A reset peer ends both sides (below); the error itself is expected when the test closes everything.
    socket.on('error', () => undefined);
    return socket;
  };
  /** Connections silenced by `stallOpenConnections`. */
  const stalled = new WeakSet<Socket>();
  let cut = false;
  const server = createServer((client) => {
    track(client);
    if (cut) {
      client.destroy();
      return;
    }
    const target = track(connect(targetPort, '127.0.0.1'));
    const relay = (from: Socket, to: Socket, forwarded: boolean): void => {
      from.on('data', (chunk: Buffer) => {
        const write = (): void => {
          if (to.destroyed || stalled.has(to)) return;
          to.write(chunk);
          if (forwarded) for (const listener of listeners) listener(chunk);
        };
        setTimeout(() => (!forwarded && held ? held.push(write) : write()), delayMs);
      });
      from.on('close', () => setTimeout(() => to.destroy(), delayMs));
    };
    relay(client, target, true);
    relay(target, client, false);
  });
  const port = await freePort();
  await new Promise<void>((done, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', done);
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    onForward(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    holdAnswers() {
      held ??= [];
      return () => {
        const writes = held ?? [];
        held = undefined;
        for (const write of writes) write();
      };
    },
    stallOpenConnections() {
      for (const socket of sockets) stalled.add(socket);
    },
    cut() {
      cut = true;
      for (const socket of sockets) socket.destroy();
      return () => {
        cut = false;
      };
    },
    close: () =>
      new Promise<void>((done) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => done());
      }),
  };
}
