import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule, ConfigService } from '@nestjs/config';
import { APP_FILTER, DiscoveryModule } from '@nestjs/core';
import { JwtService } from '@nestjs/jwt';
import { resolveRs256Auth, type ResolvedRs256Auth } from './options/resolve.js';
import { ConnectionAuthenticator } from './guard/connection-authenticator.js';
import { ConnectionLifetimes } from './guard/connection-lifetimes.js';
import { JwtAuthGuard } from './guard/jwt-auth.guard.js';
import { StrategyHost } from './guard/strategy-host.js';
import { DiscoveryRoute } from './jwks/discovery.route.js';
import { JwksRoute } from './jwks/jwks.route.js';
import { RemoteJwks } from './issuers/remote-jwks.js';
import { KeyReloader } from './issuers/key-reloader.js';
import { KeyLifecycle } from './rs256-auth.key-lifecycle.js';
import { createKeySource, createOwnKeyStore } from './rs256-auth.key-source.js';
import type { KeySource } from './keys/key-source.js';
import { KeyStore } from './keys/key-store.js';
import { ConfigurableModuleClass, OPTIONS_TYPE } from './rs256-auth.module-definition.js';
import {
  RS256_AUTH_CONFIG,
  RS256_AUTH_MODULE_OPTIONS,
  RS256_AUTH_RESOLVED,
  RS256_AUTH_SETTINGS,
  RS256_KEY_SOURCE,
  SESSION_STORE,
} from './rs256-auth.constants.js';
import type { Rs256AuthConfig } from './options/rs256-auth-config.js';
import { toRs256AuthSettings } from './rs256-auth.settings.js';
import { RevocationList } from './sessions/revocation-list.js';
import { createSessionStore } from './sessions/session-store.factory.js';
import { SessionErrorFilter } from './guard/session-error.filter.js';
import { SessionService } from './sessions/session.service.js';
import { DpopService } from './dpop/dpop.service.js';
import { ResourceMetadataRoute } from './resource-metadata/resource-metadata.route.js';
import { RouteScopes } from './resource-metadata/route-scopes.js';
import { StartupChecks } from './startup-checks/startup-checks.js';
import { StrictJwtService } from './strict-jwt.service.js';
import { TokenVerifier } from './token/token-verifier.js';
import { AuditTrail } from './observability/audit-events.js';
import { AuthMetrics } from './observability/auth-metrics.js';
import { KeyTelemetry } from './observability/key-telemetry.js';
import { CustodyLifecycle } from './custody/custody.lifecycle.js';

/**
 * RS256 JWT authentication: loads and checks the keys once at start-up, exports a `JwtService` that signs with
 * the private key and verifies with the guard's strict verifier, and the `JwtAuthGuard` that protects routes.
 *
 * `ConfigModule` is imported here so that `ConfigService` is available whether or not the application set up
 * `@nestjs/config` itself; when it did, this is the same (global) `ConfigService`.
 */
@Module({
  // DiscoveryModule lets the protected-resource metadata list the scopes the routes require.
  imports: [ConfigModule, DiscoveryModule],
  providers: [
    { provide: RS256_AUTH_RESOLVED, inject: [RS256_AUTH_MODULE_OPTIONS, ConfigService], useFactory: resolveRs256Auth },
    // Frozen plain data; the keys in force live in the key source, which each provider that needs keys injects.
    { provide: RS256_AUTH_CONFIG, inject: [RS256_AUTH_RESOLVED], useFactory: ({ config }: ResolvedRs256Auth) => config },
    { provide: RS256_AUTH_SETTINGS, inject: [RS256_AUTH_CONFIG], useFactory: toRs256AuthSettings },
    { provide: KeyStore, inject: [RS256_AUTH_RESOLVED], useFactory: createOwnKeyStore },
    {
      provide: RS256_KEY_SOURCE,
      inject: [RS256_AUTH_RESOLVED, KeyStore, { token: KeyTelemetry, optional: true }, { token: AuditTrail, optional: true }],
      useFactory: createKeySource,
    },
    KeyLifecycle,
    {
      provide: TokenVerifier,
      inject: [RS256_KEY_SOURCE, RS256_AUTH_CONFIG, { token: AuthMetrics, optional: true }],
      useFactory: (keys: KeySource, config: Rs256AuthConfig, metrics?: AuthMetrics) => new TokenVerifier(keys, config, metrics),
    },
    StrictJwtService,
    // The JwtService an application injects is the strict one: one instance, under both tokens.
    { provide: JwtService, useExisting: StrictJwtService },
    StrategyHost,
    JwtAuthGuard,
    JwksRoute,
    DiscoveryRoute,
    KeyReloader,
    RemoteJwks,
    RouteScopes,
    ResourceMetadataRoute,
    // After the key source: keys that stop start-up (a rotation passphrase that does not decrypt) do so before the
    // store connects, since Nest closes nothing a failed start-up had built. For the same reason a store that stops
    // start-up (Redis unreachable, an evicting maxmemory-policy) stops the key source, which may hold a connection
    // (rotated keys in Redis) and a schedule of its own.
    {
      provide: SESSION_STORE,
      inject: [RS256_AUTH_CONFIG, RS256_KEY_SOURCE],
      useFactory: async (config: Rs256AuthConfig, keySource: KeySource) => {
        try {
          return await createSessionStore(config);
        } catch (error) {
          keySource.stop();
          throw error;
        }
      },
    },
    RevocationList,
    DpopService,
    SessionService,
    // Session failures answered by themselves (401, 503) in the application's handlers: see SessionErrorFilter.
    { provide: APP_FILTER, useClass: SessionErrorFilter },
    ConnectionLifetimes,
    ConnectionAuthenticator,
    StartupChecks,
    AuthMetrics,
    AuditTrail,
    KeyTelemetry,
    CustodyLifecycle,
  ],
  exports: [
    RS256_AUTH_CONFIG,
    RS256_AUTH_SETTINGS,
    JwtService,
    StrictJwtService,
    TokenVerifier,
    StrategyHost,
    JwtAuthGuard,
    KeyReloader,
    RemoteJwks,
    // The guard's and strategy's own dependencies (the key source, and the module's keys for the refusal log).
    RS256_KEY_SOURCE,
    KeyStore,
    RevocationList,
    SessionService,
    ConnectionAuthenticator,
    // The guard's own dependencies, wherever the guard is instantiated.
    AuthMetrics,
    DpopService,
    // For the health indicator (nestjs-rs256-auth/health), provided by the application.
    KeyTelemetry,
  ],
})
export class Rs256AuthModule extends ConfigurableModuleClass {
  /** Configures the module; with no options every setting is read from `ConfigService` (the environment). */
  static override forRoot(options: typeof OPTIONS_TYPE = {}): DynamicModule {
    return super.forRoot(options);
  }
}
