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

/** One `graphql-ws` connection, opened with `connectionParams` on the first subscription and kept until disposed. */
export interface GraphqlWsConnection {
  /** Subscribes once and reports the first result, the errors, or the close. */
  subscribe(query: string): Promise<SubscriptionResult>;
  dispose(): Promise<void>;
}

export function openGraphqlWs(url: string, connectionParams?: Record<string, unknown>): GraphqlWsConnection {
  // Kept open between subscriptions (a lazy client closes as soon as none is active), until disposed.
  const client = createClient({ url, webSocketImpl: WebSocket, connectionParams, lazy: true, lazyCloseTimeout: 60_000, retryAttempts: 0 });
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
