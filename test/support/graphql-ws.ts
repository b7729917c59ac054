import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

export interface GraphqlError {
  message: string;
  extensions?: { code?: string };
}

/** How one subscription over a real `graphql-ws` connection ended. */
export interface SubscriptionResult {
  data?: Record<string, unknown> | null;
  errors?: readonly GraphqlError[];
  /** Set when the server closed the connection instead. */
  closed?: { code: number; reason: string };
  /** Set when the client gave up on a message it could not accept. */
  failed?: string;
}

/** One `graphql-ws` connection, opened at once with `connectionParams` and kept until disposed. */
export interface GraphqlWsConnection {
  /** Subscribes once and reports the first result, the errors, or the close. */
  subscribe(query: string): Promise<SubscriptionResult>;
  dispose(): Promise<void>;
}

export function openGraphqlWs(url: string, connectionParams?: Record<string, unknown>): GraphqlWsConnection {
  // Not lazy: the connection opens at once and stays open between subscriptions until disposed. (A lazy client with
  // a lazyCloseTimeout would do the same, but graphql-ws's dispose() does not clear that timer, which then held the
  // test process open for its whole length after the last test.) A refused connection is reported by the
  // subscription waiting on it, so the client's own report of it (console.error by default) is not needed.
  const client = createClient({ url, webSocketImpl: WebSocket, connectionParams, lazy: false, onNonLazyError: () => undefined, retryAttempts: 0 });
  return {
    subscribe: (query) =>
      new Promise((resolve) => {
        let result: SubscriptionResult = {};
        client.subscribe(
          { query },
          {
            next: (value) => {
              result = { data: value.data as Record<string, unknown> | null | undefined, errors: value.errors as GraphqlError[] | undefined };
            },
            error: (error: unknown) => {
              if (Array.isArray(error)) {
                resolve({ errors: error as GraphqlError[] });
              } else if (error instanceof Error) {
                resolve({ failed: error.message });
              } else {
                const { code, reason } = error as { code: number; reason: string };
                resolve({ closed: { code, reason: String(reason) } });
              }
            },
            complete: () => resolve(result),
          },
        );
      }),
    dispose: () => client.dispose() as Promise<void>,
  };
}

/** Opens a connection, subscribes once, and disposes of the connection. */
export async function subscribeOnce(url: string, query: string, connectionParams?: Record<string, unknown>): Promise<SubscriptionResult> {
  const connection = openGraphqlWs(url, connectionParams);
  try {
    return await connection.subscribe(query);
  } finally {
    await connection.dispose();
  }
}
