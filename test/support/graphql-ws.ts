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

/**
 * Opens a `graphql-ws` connection with `connectionParams`, subscribes once, and reports the first result, the
 * errors, or the close; the connection is disposed of afterwards.
 */
export function subscribeOnce(url: string, query: string, connectionParams?: Record<string, unknown>): Promise<SubscriptionResult> {
  return new Promise((resolve) => {
    const client = createClient({ url, webSocketImpl: WebSocket, connectionParams, lazy: true, retryAttempts: 0 });
    let result: SubscriptionResult = {};
    const finish = (outcome: SubscriptionResult): void => {
      void client.dispose();
      resolve(outcome);
    };
    client.subscribe(
      { query },
      {
        next: (value) => {
          result = { data: value.data as Record<string, unknown> | null | undefined, errors: value.errors as GraphqlError[] | undefined };
        },
        error: (error: unknown) => {
          if (Array.isArray(error)) {
            finish({ errors: error as GraphqlError[] });
          } else if (error instanceof Error) {
            finish({ failed: error.message });
          } else {
            const { code, reason } = error as { code: number; reason: string };
            finish({ closed: { code, reason: String(reason) } });
          }
        },
        complete: () => finish(result),
      },
    );
  });
}
