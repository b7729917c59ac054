import { Inject, Injectable } from '@nestjs/common';
import type { Rs256AuthConfig } from '../config/rs256-auth.config.js';
import { StrategyHost } from './strategy-host.js';
import { wwwAuthenticate } from './www-authenticate.js';
import { RS256_AUTH_CONFIG } from '../rs256-auth.constants.js';
import { connectionParamsToken } from '../transports/graphql.transport.js';
import { closeExpired, rememberHandshake, socketIoToken, type GatewayClient, type HandshakeRequest, type SocketIoSocket } from '../transports/ws.transport.js';

/** What `verifyClient` of a `ws` server is handed (the parts used here). */
interface VerifyClientInfo {
  req: HandshakeRequest;
}
type VerifyClientCallback = (result: boolean, code?: number, message?: string, headers?: Record<string, string>) => void;

/** A `ws` `WebSocketServer`, as `@nestjs/platform-ws` hands it to `afterInit`. */
interface WsServer {
  options: { verifyClient?: (info: VerifyClientInfo, done: VerifyClientCallback) => void };
  on(event: 'connection', listener: (socket: GatewayClient & ClosingSocket, request: HandshakeRequest) => void): unknown;
}

/** A socket.io `Server` or `Namespace`, as `@nestjs/platform-socket.io` hands it to `afterInit`. */
interface SocketIoServer {
  use(middleware: (socket: SocketIoSocket & ClosingSocket, next: (error?: Error) => void) => void): unknown;
}

/** The end of a connection, as both socket types announce it. */
interface ClosingSocket {
  once(event: 'close' | 'disconnect', listener: () => void): unknown;
}

/** What checking a connection's token came to: the reason it is refused, or when the token expires (if it does). */
type ConnectionVerdict = { refused: string } | { refused?: undefined; expiresAt?: number };

// setTimeout's longest delay; a token that outlives it is left to the per-message check.
const MAX_TIMER_DELAY = 2_147_483_647;

/** The `onConnect` argument of `graphql-ws` (Apollo) or of Mercurius' subscription server. */
export interface GraphqlWsConnection {
  /** `graphql-ws`: the client's `connection_init` payload. */
  connectionParams?: unknown;
  /** Mercurius: the `connection_init` message, whose `payload` is the same thing. */
  payload?: unknown;
  /** `graphql-ws` on `ws`: the socket, closed here with the reason of a refusal. */
  extra?: unknown;
}

/** Close code of a `graphql-ws` connection refused for its token, as `graphql-ws` itself uses for `onConnect`. */
export const GRAPHQL_WS_REFUSED_CLOSE_CODE = 4403;

/**
 * Checks a connection's token when the connection opens (WebSocket gateways, GraphQL subscriptions), before any
 * message: `JwtAuthGuard` then checks it again on every guarded message or subscription. A connection that
 * presents a bad token is refused; one that presents none is let in, so `@Public()` and `@OptionalAuth()` handlers
 * stay reachable, and the guard refuses it everywhere else. Refusals carry the same reason text as the HTTP
 * challenge.
 */
@Injectable()
export class ConnectionAuthenticator {
  constructor(
    private readonly strategyHost: StrategyHost,
    @Inject(RS256_AUTH_CONFIG) private readonly config: Rs256AuthConfig,
  ) {}

  /**
   * Why a connection presenting `token` is refused, or `null` when it is let in (a valid token, or none at all).
   * Rejects only when the strategy's `validate` threw: a bug, not the client's fault.
   */
  async refusal(token: string | null | undefined): Promise<string | null> {
    return (await this.verdict(token)).refused ?? null;
  }

  private async verdict(token: string | null | undefined): Promise<ConnectionVerdict> {
    if (!token) {
      return {};
    }
    const outcome = await this.strategyHost.strategy.authenticateToken(token);
    if (outcome.refused) {
      return { refused: outcome.refused.message };
    }
    if (outcome.claims) {
      const { exp } = outcome.claims;
      return { expiresAt: typeof exp === 'number' ? (exp + this.config.clockTolerance) * 1000 : undefined };
    }
    throw outcome.error;
  }

  /** Closes an idle connection when its token expires, as the guard would on its next message. */
  private closeAtExpiry(socket: GatewayClient & ClosingSocket, expiresAt: number | undefined, end: 'close' | 'disconnect'): void {
    const delay = expiresAt === undefined ? MAX_TIMER_DELAY : expiresAt - Date.now();
    if (delay >= MAX_TIMER_DELAY) {
      return;
    }
    const reason = 'token expired';
    const timer = setTimeout(() => closeExpired(socket, { status: 'error', code: 'UNAUTHENTICATED', message: reason }, reason), Math.max(0, delay));
    // An open connection must not keep the process alive, nor a closed one its timer.
    timer.unref();
    socket.once(end, () => clearTimeout(timer));
  }

  /**
   * Guards the handshakes of a gateway's server; call it from `afterInit(server)`. On `@nestjs/platform-ws` it is
   * required (a `ws` socket keeps no handshake for the guard to read later): a bad token gets the upgrade
   * refused with 401 and a `WWW-Authenticate` challenge. On socket.io a bad token gets a `connect_error` whose
   * message is the reason and whose `data.code` is `UNAUTHENTICATED`. A connection whose token expires is closed
   * then, as `JwtAuthGuard` closes it on a message sent after `exp` (an `exception` event, then a 4401 close on
   * `ws`, a disconnect on socket.io).
   * @example
   * afterInit(server: Server) { this.connections.protect(server); }
   */
  protect(server: object): void {
    if (typeof (server as SocketIoServer).use === 'function') {
      this.protectSocketIo(server as SocketIoServer);
    } else {
      this.protectWs(server as WsServer);
    }
  }

  private protectWs(server: WsServer): void {
    const extract = this.config.jwtFromRequest;
    // When the token of an accepted upgrade expires, by request: `ws` hands the socket over only afterwards.
    const expiries = new WeakMap<object, number | undefined>();
    // `ws` reads `verifyClient` from its options on every upgrade, so it can be set after the server was built.
    server.options.verifyClient = (info, done) => {
      let token: string | null | undefined;
      try {
        token = extract(info.req);
      } catch {
        done(false, 500);
        return;
      }
      this.verdict(token).then(
        (verdict) => {
          if (verdict.refused === undefined) {
            expiries.set(info.req, verdict.expiresAt);
            done(true);
          } else {
            const challenge = wwwAuthenticate(this.config, { reason: 'invalid_token', description: verdict.refused });
            done(false, 401, verdict.refused, { 'WWW-Authenticate': challenge });
          }
        },
        () => done(false, 500),
      );
    };
    server.on('connection', (socket, request) => {
      rememberHandshake(socket, request);
      this.closeAtExpiry(socket, expiries.get(request), 'close');
    });
  }

  private protectSocketIo(server: SocketIoServer): void {
    server.use((socket, next) => {
      let token: string | null | undefined;
      try {
        token = socketIoToken(socket, this.config.jwtFromRequest);
      } catch (error) {
        next(error as Error);
        return;
      }
      this.verdict(token).then(
        (verdict) => {
          if (verdict.refused === undefined) {
            this.closeAtExpiry(socket, verdict.expiresAt, 'disconnect');
            next();
          } else {
            next(Object.assign(new Error(verdict.refused), { data: { code: 'UNAUTHENTICATED' } }));
          }
        },
        (error: unknown) => next(error as Error),
      );
    });
  }

  /**
   * An `onConnect` for GraphQL subscriptions over `graphql-ws`, with the Apollo driver
   * (`subscriptions: { 'graphql-ws': { onConnect } }`) or the Mercurius driver (`subscription: { onConnect }`).
   * The token is `connectionParams.authorization`, `Bearer <token>`. A bad one closes the connection with 4403 and
   * the reason (Apollo), or Mercurius' `connection_error`.
   */
  graphqlWsOnConnect(): (connection: GraphqlWsConnection) => Promise<boolean> {
    return async (connection) => {
      const params = 'payload' in connection ? connection.payload : connection.connectionParams;
      const reason = await this.refusal(connectionParamsToken(params, this.config.jwtFromRequest));
      if (reason === null) {
        return true;
      }
      const socket = (connection.extra as { socket?: { close?: unknown } } | undefined)?.socket;
      if (typeof socket?.close === 'function') {
        (socket.close as (code: number, reason: string) => void)(GRAPHQL_WS_REFUSED_CLOSE_CODE, reason);
      }
      return false;
    };
  }
}
