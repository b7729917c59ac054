import { Inject, Injectable, Optional } from '@nestjs/common';
import { DpopService } from '../dpop/dpop.service.js';
import type { Rs256AuthConfig } from '../options/rs256-auth-config.js';
import type { JwtClaims } from '../interfaces/jwt-claims.interface.js';
import { ConnectionLifetimes } from './connection-lifetimes.js';
import { StrategyHost } from './strategy-host.js';
import { confirmBinding, type BindingRules } from './token-binding.js';
import { wwwAuthenticate } from './www-authenticate.js';
import { RS256_AUTH_CONFIG } from '../rs256-auth.constants.js';
import { RETRY_AFTER_SECONDS } from '../transports/auth-refusal.js';
import { connectionParamsToken } from '../transports/graphql.transport.js';
import {
  closeUnauthenticated,
  rememberHandshake,
  socketIoToken,
  type GatewayClient,
  type HandshakeRequest,
  type SocketIoSocket,
} from '../transports/ws.transport.js';

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
  on(event: 'connection', listener: (socket: SocketIoSocket & ClosingSocket) => void): unknown;
}

/** The end of a connection, as both socket types announce it. */
interface ClosingSocket {
  once(event: 'close' | 'disconnect', listener: () => void): unknown;
}

/**
 * What checking a connection's token came to: the reason it is refused (`unavailable` when the revocation list
 * cannot be trusted, which is not the token's fault), or the verified claims (none when the client sent no token).
 */
type ConnectionVerdict = { refused: string; unavailable: boolean; claims?: undefined } | { refused?: undefined; claims?: JwtClaims };

/** A socket that a `graphql-ws` server (Apollo's, or Mercurius') closes with a code and a reason. */
interface GraphqlWsSocket {
  close(code: number, reason: string): void;
  once(event: 'close', listener: () => void): unknown;
  /** `ws`' state, which both drivers' sockets have: OPEN (1) until the closing handshake starts. */
  readonly readyState?: number;
}

/** `WebSocket.OPEN` of `ws`. */
const WS_OPEN = 1;

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

/** Close code of a `graphql-ws` connection ended because its token expired or was revoked (graphql-ws' "Unauthorized"). */
export const GRAPHQL_WS_ENDED_CLOSE_CODE = 4401;

/** Close code of a connection refused while the revocation list cannot be trusted: RFC 6455's "Try Again Later". */
export const TRY_AGAIN_LATER_CLOSE_CODE = 1013;

function graphqlWsSocket(candidate: unknown): GraphqlWsSocket | undefined {
  const socket = candidate as Partial<GraphqlWsSocket> | undefined;
  return typeof socket?.close === 'function' && typeof socket.once === 'function' ? (socket as GraphqlWsSocket) : undefined;
}

/**
 * Checks a connection's token when the connection opens (WebSocket gateways, GraphQL subscriptions), before any
 * message: `JwtAuthGuard` then checks it again on every guarded message or subscription. A connection that
 * presents a bad token is refused; one that presents none is let in, so `@Public()` and `@OptionalAuth()` handlers
 * stay reachable, and the guard refuses it everywhere else. Refusals carry the same reason text as the HTTP
 * challenge. An accepted connection ends with its token: at `exp`, and as soon as a revocation covering it reaches
 * this instance (see `ConnectionLifetimes`).
 */
@Injectable()
export class ConnectionAuthenticator {
  private readonly binding: BindingRules;

  constructor(
    private readonly strategyHost: StrategyHost,
    @Inject(RS256_AUTH_CONFIG) private readonly config: Rs256AuthConfig,
    private readonly lifetimes: ConnectionLifetimes,
    @Optional() dpop?: DpopService,
  ) {
    // The module's rules: a handshake has no route. No DPoP proof comes with an upgrade (browsers cannot add one),
    // so a DPoP-bound token, and under 'required' any token, is refused there, as the guard refuses it on a message.
    this.binding = { mtls: config.mtls, dpop, dpopMode: dpop ? config.dpop.mode : 'off', dpopToken: undefined };
  }

  /**
   * Why a connection presenting `token` is refused, or `null` when it is let in (a valid token, or none at all).
   * Rejects only when the strategy's `validate` threw: a bug, not the client's fault.
   */
  async refusal(token: string | null | undefined, request?: object): Promise<string | null> {
    return (await this.verdict(token, request)).refused ?? null;
  }

  /**
   * @param request the upgrade request, whose TLS socket (or trusted proxy header) has the client certificate of a
   * certificate-bound token; none where the transport does not say (a certificate-bound token is then refused)
   */
  private async verdict(token: string | null | undefined, request: object | undefined): Promise<ConnectionVerdict> {
    if (!token) {
      return {};
    }
    const outcome = await confirmBinding(await this.strategyHost.strategy.authenticateToken(token), request ?? {}, this.binding);
    if (outcome.refused) {
      return { refused: outcome.refused.message, unavailable: outcome.refused.code === 'RS256_TOKEN_REVOCATION_STALE' };
    }
    if (outcome.claims) {
      return { claims: outcome.claims };
    }
    throw outcome.error;
  }

  /** Closes a gateway connection when its token ends, as the guard would on its next message. */
  private endWithToken(socket: GatewayClient & ClosingSocket, claims: JwtClaims | undefined, end: 'close' | 'disconnect'): void {
    if (claims) {
      socket.once(
        end,
        this.lifetimes.track(claims, (reason) => closeUnauthenticated(socket, reason)),
      );
    }
  }

  /**
   * Guards the handshakes of a gateway's server; call it from `afterInit(server)`. On `@nestjs/platform-ws` it is
   * required (a `ws` socket keeps no handshake for the guard to read later): a bad token gets the upgrade
   * refused with 401 and a `WWW-Authenticate` challenge. On socket.io a bad token gets a `connect_error` whose
   * message is the reason and whose `data.code` is `UNAUTHENTICATED`. While the revocation list cannot be trusted
   * a handshake is refused with 503 and `Retry-After` (`ws`), or `data: { code: 'SERVICE_UNAVAILABLE', retryAfter }`
   * (socket.io). A connection whose token expires or is revoked is closed then, as `JwtAuthGuard` closes it on a
   * message sent after that (an `exception` event, then a 4401 close on `ws`, a disconnect on socket.io).
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
    // The claims of an accepted upgrade, by request: `ws` hands the socket over only afterwards.
    const accepted = new WeakMap<object, JwtClaims | undefined>();
    // `ws` reads `verifyClient` from its options on every upgrade, so it can be set after the server was built.
    server.options.verifyClient = (info, done) => {
      let token: string | null | undefined;
      try {
        token = extract(info.req);
      } catch {
        done(false, 500);
        return;
      }
      this.verdict(token, info.req).then(
        (verdict) => {
          if (verdict.refused === undefined) {
            accepted.set(info.req, verdict.claims);
            done(true);
          } else if (verdict.unavailable) {
            done(false, 503, verdict.refused, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
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
      this.endWithToken(socket, accepted.get(request), 'close');
    });
  }

  private protectSocketIo(server: SocketIoServer): void {
    // The claims of an accepted handshake, until the socket is connected: one that never is has nothing to end.
    const accepted = new WeakMap<object, JwtClaims | undefined>();
    server.use((socket, next) => {
      let token: string | null | undefined;
      try {
        token = socketIoToken(socket, this.config.jwtFromRequest);
      } catch (error) {
        next(error as Error);
        return;
      }
      this.verdict(token, socket.request).then(
        (verdict) => {
          if (verdict.refused === undefined) {
            accepted.set(socket, verdict.claims);
            next();
          } else {
            const data = verdict.unavailable ? { code: 'SERVICE_UNAVAILABLE', retryAfter: RETRY_AFTER_SECONDS } : { code: 'UNAUTHENTICATED' };
            next(Object.assign(new Error(verdict.refused), { data }));
          }
        },
        (error: unknown) => next(error as Error),
      );
    });
    server.on('connection', (socket) => this.endWithToken(socket, accepted.get(socket), 'disconnect'));
  }

  /**
   * An `onConnect` for GraphQL subscriptions over `graphql-ws`, with the Apollo driver
   * (`subscriptions: { 'graphql-ws': { onConnect } }`) or the Mercurius driver (`subscription: { onConnect }`).
   * The token is `connectionParams.authorization`, `Bearer <token>`. A bad one closes the connection with 4403 and
   * the reason (1013, "try again later", while the revocation list cannot be trusted). An accepted connection is
   * closed with 4401 and the reason (`token expired`, `session revoked`, …) when its token ends, ending its
   * subscriptions.
   */
  graphqlWsOnConnect(): (connection: GraphqlWsConnection) => Promise<boolean> {
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the returned function's own `this` is the connection (below).
    const authenticator = this;
    // A function, not an arrow: Mercurius calls it as a method of its connection, whose `socket` is the only way to
    // close that connection from here (Apollo's graphql-ws passes the socket as `extra.socket`).
    return async function onConnect(this: unknown, connection: GraphqlWsConnection): Promise<boolean> {
      const params = 'payload' in connection ? connection.payload : connection.connectionParams;
      // The upgrade request: graphql-ws on `ws` (Apollo) hands it over as `extra.request`, Mercurius keeps it (Fastify's)
      // in its connection's context.
      const request =
        (connection.extra as { request?: object } | undefined)?.request ?? (this as { context?: { request?: object } } | undefined)?.context?.request;
      const verdict = await authenticator.verdict(connectionParamsToken(params, authenticator.config.jwtFromRequest), request);
      const socket =
        graphqlWsSocket((connection.extra as { socket?: unknown } | undefined)?.socket) ??
        graphqlWsSocket((this as { socket?: unknown } | undefined)?.socket);
      if (verdict.refused === undefined) {
        // Closed while the token was being checked: its 'close' has fired already, and a connection tracked now
        // would be remembered until its token's exp (forever, without one).
        if (socket?.readyState === WS_OPEN && verdict.claims) {
          socket.once(
            'close',
            authenticator.lifetimes.track(verdict.claims, (reason) => socket.close(GRAPHQL_WS_ENDED_CLOSE_CODE, reason)),
          );
        }
        return true;
      }
      socket?.close(verdict.unavailable ? TRY_AGAIN_LATER_CLOSE_CODE : GRAPHQL_WS_REFUSED_CLOSE_CODE, verdict.refused);
      return false;
    };
  }
}
