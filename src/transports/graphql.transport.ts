import { IntrinsicException, type ExecutionContext } from '@nestjs/common';
import { tokenOfAuthorization } from './token-extractors.js';
import { refusalOf, type AuthRefusal } from './auth-refusal.js';
import type { AuthCarrier, ExtractToken, TransportAdapter } from './transport-adapter.js';

/** `connectionParams` of a `graphql-ws` connection: the client's `connection_init` payload. */
type ConnectionParams = Readonly<Record<string, unknown>> | undefined;

/**
 * The GraphQL context as `@nestjs/apollo` and `@nestjs/mercurius` build it: `req` is the HTTP request of a query or
 * mutation; for a subscription Apollo's `req` is the `graphql-ws` context (with `connectionParams`) and Mercurius
 * keeps the `connection_init` payload in `_connectionInit`.
 */
interface GraphqlContext extends AuthCarrier {
  req?: AuthCarrier & { connectionParams?: ConnectionParams };
  connectionParams?: ConnectionParams;
  _connectionInit?: ConnectionParams;
}

// Resolver arguments are (root, args, context, info).
const CONTEXT = 2;

/**
 * The token of a subscription: `connectionParams.authorization` (or `Authorization`), `Bearer <token>` (the
 * configured scheme), read by the configured extractor as if it were the HTTP header.
 */
export function connectionParamsToken(params: unknown, extract: ExtractToken): string | null | undefined {
  if (typeof params !== 'object' || params === null) {
    return null;
  }
  const record = params as Record<string, unknown>;
  return tokenOfAuthorization(record.authorization ?? record.Authorization, extract);
}

/**
 * What an Apollo or Mercurius response reports for a refused operation. graphql-js copies an error's own
 * `extensions` into the `GraphQLError` it wraps it in, so the `graphql` package itself is not needed here. An
 * `IntrinsicException`, so that Nest's resolver exception filter passes it on without logging it as a crash.
 */
export class GraphqlAuthError extends IntrinsicException {
  override readonly name = 'GraphqlAuthError';

  constructor(
    message: string,
    readonly extensions: { code: AuthRefusal['code']; retryAfter?: number },
  ) {
    super(message);
  }

  /** A refusal as GraphQL clients see it: its code, and `retryAfter` only when there is one. */
  static from(refusal: AuthRefusal): GraphqlAuthError {
    const { code, retryAfter } = refusal;
    return new GraphqlAuthError(refusal.message, retryAfter === undefined ? { code } : { code, retryAfter });
  }
}

/**
 * GraphQL (`@nestjs/graphql`, Apollo or Mercurius driver). Queries and mutations: the token comes from the HTTP
 * request behind the operation, through the configured extractor. Subscriptions over `graphql-ws`: from
 * `connectionParams`. The claims go on the request (`context.req`), or on the GraphQL context when there is none.
 */
export const graphqlTransport: TransportAdapter = {
  carrier(context: ExecutionContext): AuthCarrier {
    const gql = context.getArgByIndex<GraphqlContext>(CONTEXT);
    return gql.req ?? gql;
  },

  token(context: ExecutionContext, _carrier: AuthCarrier, extract: ExtractToken): string | null | undefined {
    const gql = context.getArgByIndex<GraphqlContext>(CONTEXT);
    if ('_connectionInit' in gql) {
      return connectionParamsToken(gql._connectionInit, extract);
    }
    if ('connectionParams' in gql) {
      return connectionParamsToken(gql.connectionParams, extract);
    }
    if (gql.req && 'connectionParams' in gql.req) {
      return connectionParamsToken(gql.req.connectionParams, extract);
    }
    return gql.req ? extract(gql.req) : null;
  },

  challenge(): void {
    // A GraphQL response carries its errors in the body; the reason is in the error's message.
  },

  retryAfter(): void {
    // In the refusal's body: `retryAfter`.
  },

  refuse(error: unknown): never {
    const refusal = refusalOf(error);
    if (!refusal) {
      throw error;
    }
    throw GraphqlAuthError.from(refusal);
  },
};
