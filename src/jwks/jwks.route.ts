import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Rs256AuthConfig } from '../options/rs256-auth-config.js';
import { RS256_AUTH_CONFIG } from '../rs256-auth.constants.js';
import { toJwkSet } from './jwk-set.js';
import { KeyStore } from '../keys/key-store.js';

/**
 * Serves the JWK Set when the `jwks` option (or `JWT_JWKS_ENABLED`) turns it on. The route goes on the HTTP
 * adapter itself rather than on a controller: its path comes from configuration resolved at run time, and a
 * route outside the Nest router is outside every guard, which is what a public key set needs.
 */
@Injectable()
export class JwksRoute implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(RS256_AUTH_CONFIG) private readonly config: Rs256AuthConfig,
    private readonly keyStore: KeyStore,
  ) {}

  onModuleInit(): void {
    const { jwks } = this.config;
    const adapter = this.adapterHost.httpAdapter;
    // No HTTP adapter in a standalone application or a microservice: nothing to serve on.
    if (!jwks || !adapter) {
      return;
    }
    const cacheControl = `public, max-age=${jwks.maxAge}`;
    adapter.get(jwks.path, (_request: unknown, response: unknown) => {
      adapter.setHeader(response, 'Cache-Control', cacheControl);
      adapter.setHeader(response, 'Content-Type', 'application/json');
      adapter.reply(response, toJwkSet(this.keyStore.keys), 200);
    });
  }
}
