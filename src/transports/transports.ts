import type { ExecutionContext } from '@nestjs/common';
import { graphqlTransport } from './graphql.transport.js';
import { httpTransport } from './http.transport.js';
import { rpcTransport } from './rpc.transport.js';
import type { TransportAdapter } from './transport-adapter.js';
import { wsTransport } from './ws.transport.js';

/** Every transport the guard knows, by `ExecutionContext.getType()`. A new transport is a new file and a line here. */
const TRANSPORTS: ReadonlyMap<string, TransportAdapter> = new Map<string, TransportAdapter>([
  ['http', httpTransport],
  ['graphql', graphqlTransport],
  ['ws', wsTransport],
  ['rpc', rpcTransport],
]);

/** The adapter of a context's transport; an unknown type is treated as HTTP, as `@nestjs/passport` does. */
export function transportOf(context: ExecutionContext): TransportAdapter {
  return TRANSPORTS.get(context.getType()) ?? httpTransport;
}
