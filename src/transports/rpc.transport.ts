import type { ExecutionContext } from '@nestjs/common';
import { tokenOfAuthorization } from './token-extractors.js';
import { refusalBody, refusalOf } from './auth-refusal.js';
import { OptionalPeer } from './optional-peer.js';
import type { AuthCarrier, ExtractToken, TransportAdapter } from './transport-adapter.js';

// Message handler arguments are (data, transport context).
const DATA = 0;
const TRANSPORT_CONTEXT = 1;

const rpcException = new OptionalPeer(async () => (await import('@nestjs/microservices')).RpcException);

/**
 * Microservices (`@nestjs/microservices`: TCP, Redis, and any transport whose payload is an object): the token is
 * the payload's `authorization` field, `Bearer <token>` (the configured scheme) as in an HTTP header, since TCP and Redis messages have
 * no headers. The claims go on the transport's per-message context (`TcpContext`, `RedisContext`, …).
 */
export const rpcTransport: TransportAdapter = {
  carrier(context: ExecutionContext): AuthCarrier {
    return context.getArgByIndex<AuthCarrier | undefined>(TRANSPORT_CONTEXT) ?? context.getArgByIndex<AuthCarrier>(DATA);
  },

  token(context: ExecutionContext, _carrier: AuthCarrier, extract: ExtractToken): string | null | undefined {
    const data = context.getArgByIndex<unknown>(DATA);
    return typeof data === 'object' && data !== null ? tokenOfAuthorization((data as { authorization?: unknown }).authorization, extract) : null;
  },

  challenge(): void {
    // A reply has no headers; the reason travels in the RpcException.
  },

  retryAfter(): void {
    // In the refusal's body: `retryAfter`.
  },

  refuse(error: unknown): Promise<never> {
    const refusal = refusalOf(error);
    if (!refusal) {
      throw error;
    }
    return rpcException.throwWith((RpcException) => new RpcException(refusalBody(refusal)));
  },
};
