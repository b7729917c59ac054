import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';

/** A message from a gateway: a handler's reply, or the `exception` event of a refusal. */
export interface GatewayMessage {
  event: string;
  data: unknown;
}

/** A refused handshake, as the client saw it. */
export interface HandshakeRefusal {
  /** `ws`: the HTTP status of the refused upgrade. */
  status?: number;
  /** `ws`: the `WWW-Authenticate` header of the refused upgrade. */
  challenge?: string;
  /** `ws`: the `Retry-After` header of the refused upgrade. */
  retryAfter?: string;
  /** The reason text: the body of a refused upgrade, or the message of socket.io's `connect_error`. */
  message: string;
  /** socket.io: `connect_error.data`. */
  data?: unknown;
}

/** One live connection to a gateway, over `ws` or socket.io, with the same calls for both. */
export interface GatewayConnection {
  /** Sends `event` and resolves with the next reply or `exception` the gateway sends. */
  call(event: string, data?: unknown): Promise<GatewayMessage>;
  /** Resolves when the server closes the connection: the `ws` close code and reason, or socket.io's reason. */
  readonly closed: Promise<{ code?: number; reason: string }>;
  /** Every message the gateway sent on this connection, replies and `exception` events alike. */
  readonly received: GatewayMessage[];
  close(): void;
}

const EVENTS = ['whoami', 'post', 'hello', 'ping', 'refresh', 'exception'];

/**
 * Opens a real `ws` connection (token in the handshake's `Authorization` header); rejects with the refusal. `tls`:
 * the CA to trust and the client certificate to present, for a `wss://` URL.
 */
export function connectWs(url: string, token?: string, tls?: { ca: string; cert?: string; key?: string }): Promise<GatewayConnection> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers: token ? { authorization: `Bearer ${token}` } : {}, ...tls });
    const closed = new Promise<{ code?: number; reason: string }>((done) =>
      socket.on('close', (code, reason) => done({ code, reason: reason.toString() })),
    );
    socket.on('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => {
        const refusal: HandshakeRefusal = { status: response.statusCode, challenge: response.headers['www-authenticate'], message: body };
        const retryAfter = response.headers['retry-after'];
        reject(retryAfter === undefined ? refusal : { ...refusal, retryAfter });
      });
    });
    socket.on('error', () => undefined);
    const received: GatewayMessage[] = [];
    socket.on('message', (raw: Buffer) => received.push(JSON.parse(raw.toString()) as GatewayMessage));
    socket.on('open', () =>
      resolve({
        received,
        call: (event, data) =>
          new Promise((reply) => {
            socket.once('message', (raw: Buffer) => reply(JSON.parse(raw.toString()) as GatewayMessage));
            socket.send(JSON.stringify({ event, data }));
          }),
        closed,
        close: () => socket.close(),
      }),
    );
  });
}

/** Opens a real socket.io connection (token as `auth.token`, or in a header); rejects with the `connect_error`. */
export function connectSocketIo(url: string, token?: string, via: 'auth' | 'header' = 'auth'): Promise<GatewayConnection> {
  return new Promise((resolve, reject) => {
    const socket: Socket = io(url, {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      auth: token && via === 'auth' ? { token } : {},
      extraHeaders: token && via === 'header' ? { authorization: `Bearer ${token}` } : {},
    });
    const closed = new Promise<{ reason: string }>((done) => socket.on('disconnect', (reason) => done({ reason })));
    socket.on('connect_error', (error: Error & { data?: unknown }) => {
      socket.close();
      reject({ message: error.message, data: error.data } satisfies HandshakeRefusal);
    });
    const received: GatewayMessage[] = [];
    socket.onAny((event: string, data: unknown) => received.push({ event, data }));
    socket.on('connect', () =>
      resolve({
        received,
        call: (event, data) =>
          new Promise((reply) => {
            const listeners = EVENTS.map((name) => {
              const listener = (payload: unknown): void => {
                listeners.forEach(([other, handler]) => socket.off(other, handler));
                reply({ event: name, data: payload });
              };
              socket.on(name, listener);
              return [name, listener] as const;
            });
            socket.emit(event, data);
          }),
        closed,
        close: () => socket.close(),
      }),
    );
  });
}
