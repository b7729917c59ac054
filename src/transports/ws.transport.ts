import type { ExecutionContext } from '@nestjs/common';
import { refusalBody, refusalOf } from './auth-refusal.js';
import { OptionalPeer } from './optional-peer.js';
import type { AuthCarrier, ExtractToken, TransportAdapter } from './transport-adapter.js';

/** The HTTP request that opened a WebSocket: the upgrade request, with its headers. */
export type HandshakeRequest = { headers?: Record<string, string | string[] | undefined> };

/** A `ws` socket (`@nestjs/platform-ws`): a native WebSocket, which keeps no reference to its upgrade request. */
interface NativeSocket extends AuthCarrier {
  readyState: number;
  send(data: string): void;
  close(code: number, reason: string): void;
}

/** A socket.io socket (`@nestjs/platform-socket.io`). */
export interface SocketIoSocket extends AuthCarrier {
  request?: HandshakeRequest;
  handshake?: { auth?: Record<string, unknown> };
  emit(event: string, payload: unknown): unknown;
  disconnect(close: boolean): unknown;
}

/** A connected client of a gateway, as the guard and `ConnectionAuthenticator` see it. */
export type GatewayClient = NativeSocket | SocketIoSocket;

// Gateway handler arguments are (client, data, pattern).
const CLIENT = 0;

/** Close code of a connection whose token expired or was revoked: 4401, the 4xxx private range mirroring HTTP 401. */
export const EXPIRED_CLOSE_CODE = 4401;

/**
 * Upgrade requests of `ws` sockets, recorded by `ConnectionAuthenticator.protect()` when the socket connects:
 * `ws` hands a message handler only the socket. Keyed weakly, so a closed socket takes its request with it.
 */
const handshakes = new WeakMap<object, HandshakeRequest>();

/** Remembers the upgrade request of a `ws` socket, for the guard to read its token (and certificate) on every message. */
export function rememberHandshake(socket: object, request: HandshakeRequest): void {
  handshakes.set(socket, request);
}

function isNative(client: GatewayClient): client is NativeSocket {
  return typeof (client as NativeSocket).readyState === 'number' && typeof (client as NativeSocket).send === 'function';
}

/**
 * The token of a socket.io handshake: the `Authorization` header, else `auth.token` (browsers cannot set
 * headers on a WebSocket, so socket.io clients send `io(url, { auth: { token } })`).
 */
export function socketIoToken(socket: SocketIoSocket, extract: ExtractToken): string | null | undefined {
  const fromHeader = socket.request ? extract(socket.request) : null;
  if (fromHeader) {
    return fromHeader;
  }
  const token = socket.handshake?.auth?.token;
  return typeof token === 'string' && token.length > 0 ? token : null;
}

/** Sends a gateway client an `exception` event, as Nest's own exception filter does. */
export function sendException(client: GatewayClient, body: object): void {
  if (isNative(client)) {
    client.send(JSON.stringify({ event: 'exception', data: body }));
  } else {
    client.emit('exception', body);
  }
}

/**
 * Tells a client its token has ended (expired or revoked) and closes the connection: an `exception` event first
 * (sent here, since the socket is closing by the time an exception filter would send it), then a `ws` close with
 * code 4401 and the reason, or a socket.io server disconnect.
 */
export function closeUnauthenticated(client: GatewayClient, reason: string): void {
  sendException(client, { status: 'error', code: 'UNAUTHENTICATED', message: reason });
  if (isNative(client)) {
    client.close(EXPIRED_CLOSE_CODE, reason);
  } else {
    client.disconnect(true);
  }
}

/** Refusals after which the connection's token will never pass again: the connection is closed. */
const ENDED_TOKEN: ReadonlySet<string | undefined> = new Set(['RS256_TOKEN_EXPIRED', 'RS256_TOKEN_REVOKED']);

const wsException = new OptionalPeer(async () => (await import('@nestjs/websockets')).WsException);

/**
 * WebSocket gateways (`@nestjs/websockets` on `@nestjs/platform-ws` or `@nestjs/platform-socket.io`): the token of
 * the handshake is checked again on every guarded message, so a message sent after the token's `exp` (or its
 * revocation) is refused, and that connection is closed. The claims go on the socket.
 */
export const wsTransport: TransportAdapter = {
  carrier(context: ExecutionContext): AuthCarrier {
    return context.getArgByIndex<GatewayClient>(CLIENT);
  },

  token(_context: ExecutionContext, carrier: AuthCarrier, extract: ExtractToken): string | null | undefined {
    const client = carrier as GatewayClient;
    if (isNative(client)) {
      const handshake = handshakes.get(client);
      return handshake ? extract(handshake) : null;
    }
    return socketIoToken(client, extract);
  },

  connectionRequest(carrier: AuthCarrier): object | undefined {
    const client = carrier as GatewayClient;
    return isNative(client) ? handshakes.get(client) : client.request;
  },

  challenge(): void {
    // Messages have no headers; the reason travels in the error event.
  },

  retryAfter(): void {
    // In the refusal's body: `retryAfter`.
  },

  refuse(error: unknown, context: ExecutionContext): Promise<never> {
    const refusal = refusalOf(error);
    if (!refusal) {
      throw error;
    }
    if (ENDED_TOKEN.has(refusal.reason)) {
      // The exception filter's own copy of the error then goes to a closed socket and is dropped.
      closeUnauthenticated(context.getArgByIndex<GatewayClient>(CLIENT), refusal.message);
    }
    return wsException.throwWith((WsException) => new WsException(refusalBody(refusal)));
  },
};
