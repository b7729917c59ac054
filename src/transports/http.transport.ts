import type { ExecutionContext } from '@nestjs/common';
import type { AuthCarrier, ExtractToken, TransportAdapter } from './transport-adapter.js';

// Arguments are read by index: `switchToHttp()` allocates three closures per call, on the hottest path there is.
const REQUEST = 0;
const RESPONSE = 1;

function setHeader(context: ExecutionContext, name: string, value: string): void {
  // Express and Fastify responses both have `header(name, value)`; a context without one has nowhere to put it.
  const response = context.getArgByIndex<{ header?: (name: string, value: string) => unknown } | undefined>(RESPONSE);
  response?.header?.(name, value);
}

/** HTTP (Express or Fastify): the token is wherever the configured extractor finds it, the claims go on the request. */
export const httpTransport: TransportAdapter = {
  carrier(context: ExecutionContext): AuthCarrier {
    return context.getArgByIndex<AuthCarrier>(REQUEST);
  },

  token(_context: ExecutionContext, request: AuthCarrier, extract: ExtractToken): string | null | undefined {
    return extract(request);
  },

  challenge(context: ExecutionContext, challenge: string): void {
    setHeader(context, 'WWW-Authenticate', challenge);
  },

  retryAfter(context: ExecutionContext, seconds: number): void {
    setHeader(context, 'Retry-After', String(seconds));
  },

  refuse(error: unknown): never {
    throw error;
  },
};
