import { Inject, Injectable, type OnModuleInit } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { Rs256AuthConfig } from '../options/rs256-auth-config.js';
import { RS256_AUTH_CONFIG } from '../rs256-auth.constants.js';
import { RouteScopes } from './route-scopes.js';

/** The RFC 9728 §2 document this server publishes. */
export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers?: string[];
  scopes_supported: string[];
  bearer_methods_supported: string[];
  tls_client_certificate_bound_access_tokens?: boolean;
}

/**
 * Serves RFC 9728 protected-resource metadata when `resourceMetadata` (or `JWT_RESOURCE_METADATA_ENABLED`) turns
 * it on. Like the JWK Set, the route goes on the HTTP adapter itself: its path comes from configuration, and it
 * must be outside every guard (a client reads it after a 401). The scopes are gathered from the routes on the
 * first request, when every controller is known, and kept: decorator metadata does not change after start-up.
 */
@Injectable()
export class ResourceMetadataRoute implements OnModuleInit {
  private document?: ProtectedResourceMetadata;

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly routeScopes: RouteScopes,
    @Inject(RS256_AUTH_CONFIG) private readonly config: Rs256AuthConfig,
  ) {}

  onModuleInit(): void {
    const metadata = this.config.resourceMetadata;
    const adapter = this.adapterHost.httpAdapter;
    // No HTTP adapter in a standalone application or a microservice: nothing to serve on.
    if (!metadata || !adapter) {
      return;
    }
    adapter.get(metadata.path, (_request: unknown, response: unknown) => {
      adapter.setHeader(response, 'Cache-Control', 'public, max-age=300');
      adapter.setHeader(response, 'Content-Type', 'application/json');
      adapter.reply(response, this.metadata(metadata), 200);
    });
  }

  /** The document served. */
  private metadata(settings: NonNullable<Rs256AuthConfig['resourceMetadata']>): ProtectedResourceMetadata {
    this.document ??= {
      resource: settings.resource,
      ...(settings.authorizationServers.length > 0 && { authorization_servers: [...settings.authorizationServers] }),
      scopes_supported: this.routeScopes.collect(),
      // The guard takes the token from the Authorization header unless transport.extractor says otherwise.
      bearer_methods_supported: ['header'],
      // RFC 9728 §2 names RFC 8705 support: certificate-bound tokens are checked (JWT_MTLS_BOUND), not taken as bearer.
      ...(this.config.mtls && { tls_client_certificate_bound_access_tokens: true }),
    };
    return this.document;
  }
}
