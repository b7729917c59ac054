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

/** A subscription left running: its events as they arrive, and how it ended. */
export interface LiveSubscription {
  /** The `data` of every event so far. */
  readonly events: unknown[];
  /** Resolves at the next event. */
  nextEvent(): Promise<void>;
  /** Resolves when the subscription ends: completed, refused, or its connection closed (`closed`). */
  readonly ended: Promise<SubscriptionResult>;
}

/** One `graphql-ws` connection, opened at once with `connectionParams` and kept until disposed. */
export interface GraphqlWsConnection {
  /** Subscribes once and reports the first result, the errors, or the close. */
  subscribe(query: string): Promise<SubscriptionResult>;
  /** Subscribes and keeps every event until the subscription ends. */
  stream(query: string): LiveSubscription;
  dispose(): Promise<void>;
}

/** How a subscription ended, from what graphql-ws hands its `error` sink. */
function endOf(error: unknown): SubscriptionResult {
  if (Array.isArray(error)) {
    return { errors: error as GraphqlError[] };
  }
  if (error instanceof Error) {
    return { failed: error.message };
  }
  const { code, reason } = error as { code: number; reason: string };
  return { closed: { code, reason: String(reason) } };
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
            error: (error: unknown) => resolve(endOf(error)),
            complete: () => resolve(result),
          },
        );
      }),
    stream: (query) => {
      const events: unknown[] = [];
      const waiting: (() => void)[] = [];
      const ended = new Promise<SubscriptionResult>((resolve) => {
        client.subscribe(
          { query },
          {
            next: (value) => {
              events.push(value.data);
              waiting.splice(0).forEach((wake) => wake());
            },
            error: (error: unknown) => resolve(endOf(error)),
            complete: () => resolve({}),
          },
        );
      });
      return { events, ended, nextEvent: () => new Promise((wake) => waiting.push(wake)) };
    },
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
