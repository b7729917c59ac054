import type { ExecutionContext } from '@nestjs/common';

/** Where a transport keeps what authentication found: `user` as `validate` returned it, `authInfo` the claims. */
export interface AuthCarrier {
  user?: unknown;
  authInfo?: unknown;
}

/**
 * The configured `transport.extractor`, as transports call it: on their HTTP request where they have one. Declared here
 * rather than imported from the options, which would make a (type-only) circle through `guard/`.
 */
export type ExtractToken = (request: object) => string | null | undefined;

/**
 * The transport-specific part of `JwtAuthGuard`, one per `ExecutionContext` type (`http`, `graphql`, `ws`, `rpc`):
 * where the token is, where the claims go, and what a refusal looks like. Implementations import their transport's
 * package only on a failure path and only with `import()`, so an application that never uses a transport never
 * loads its package.
 */
export interface TransportAdapter {
  /** The object that receives `user` and `authInfo` for this call, and that `@Claims()` reads them from. */
  carrier(context: ExecutionContext): AuthCarrier;
  /**
   * The token the client presented for this call, or `null`/`undefined` when it presented none. `carrier` is what
   * `carrier()` returned (or the guard's `getRequest` override); `extract` is the configured `transport.extractor`, which
   * transports hand their HTTP request where they have one.
   */
  token(context: ExecutionContext, carrier: AuthCarrier, extract: ExtractToken): string | null | undefined;
  /**
   * The HTTP request whose connection carries this call, where a client certificate is read (RFC 8705): the
   * upgrade request of a gateway client. Absent where it is the carrier itself (HTTP) or there is none.
   */
  connectionRequest?(carrier: AuthCarrier): object | undefined;
  /** Puts an RFC 6750 challenge where the transport has a place for one (an HTTP response header). */
  challenge(context: ExecutionContext, challenge: string): void;
  /**
   * Tells the client when to try again where the transport has a place for it (an HTTP `Retry-After` header);
   * elsewhere the refusal's body carries `retryAfter`.
   */
  retryAfter(context: ExecutionContext, seconds: number): void;
  /**
   * Rethrows what the guard threw in the transport's own form: a 401/403 becomes the transport's "unauthenticated"
   * or "forbidden" error with the same reason text (the 503 of an untrusted revocation list its "unavailable" one);
   * anything else is rethrown unchanged. A promise only while the
   * transport's exception class is being loaded, the first time.
   */
  refuse(error: unknown, context: ExecutionContext): Promise<never>;
}
