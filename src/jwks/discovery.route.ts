import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Rs256AuthConfig } from '../options/rs256-auth-config.js';
import { RS256_AUTH_CONFIG } from '../rs256-auth.constants.js';

/** The metadata this issuer publishes: who it is, where its keys are, and how its tokens are signed. */
export interface IssuerMetadata {
  issuer: string;
  jwks_uri: string;
  id_token_signing_alg_values_supported: ['RS256'];
}

/**
 * Serves OpenID Connect Discovery and RFC 8414 metadata when `discovery` (or `JWT_DISCOVERY_ENABLED`) turns it on.
 * Like the JWK Set, the routes go on the HTTP adapter itself, outside every guard: a resource server reads them
 * before it holds any token.
 */
@Injectable()
export class DiscoveryRoute implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(RS256_AUTH_CONFIG) private readonly config: Rs256AuthConfig,
  ) {}

  onModuleInit(): void {
    const { discovery } = this.config;
    const adapter = this.adapterHost.httpAdapter;
    // No HTTP adapter in a standalone application or a microservice: nothing to serve on.
    if (!discovery || !adapter) {
      return;
    }
    const document: IssuerMetadata = {
      issuer: discovery.issuer,
      jwks_uri: discovery.jwksUri,
      id_token_signing_alg_values_supported: ['RS256'],
    };
    for (const path of discovery.paths) {
      adapter.get(path, (_request: unknown, response: unknown) => {
        adapter.setHeader(response, 'Cache-Control', 'public, max-age=300');
        adapter.setHeader(response, 'Content-Type', 'application/json');
        adapter.reply(response, document, 200);
      });
    }
  }
}
