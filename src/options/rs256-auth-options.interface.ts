import type { MeterProvider } from '@opentelemetry/api';
import type { Rs256AuthAuditEvent } from '../observability/audit-events.js';
import type { TokenExtractor } from '../transports/token-extractors.js';
import type { DpopModuleOptions } from './dpop-options.interface.js';
import type { KeyModuleOptions } from './key-source-options.interface.js';
import type { CertificateBindingOptions } from './mtls-options.interface.js';
import type { PublishingModuleOptions } from './publishing-options.interface.js';
import type { SessionModuleOptions } from './session-options.interface.js';
import type { TokenModuleOptions, VerificationModuleOptions } from './token-options.interface.js';
import type { TransportModuleOptions } from './transport-options.interface.js';

export type { TokenExtractor };
export type { IssuerResolver, KeySourceOptions, RemoteFetchOptions, TrustedIssuerOptions } from './key-source-options.interface.js';
export type { JwksOptions, PublishingOptions, ResourceMetadataOptions } from './publishing-options.interface.js';
export type { RedisOptions, SessionOptions } from './session-options.interface.js';
export type { TokenOptions, VerificationOptions } from './token-options.interface.js';
export type { TransportOptions } from './transport-options.interface.js';

/**
 * Options of `Rs256AuthModule.forRoot()` / `forRootAsync()`, grouped by concern. Every option is optional: an option
 * left out is read from `ConfigService` under the environment variable named in its documentation (see
 * docs/configuration.md), and an option given here overrides that variable.
 */
export type Rs256AuthModuleOptions = KeyModuleOptions &
  TokenModuleOptions &
  TransportModuleOptions &
  VerificationModuleOptions &
  CertificateBindingOptions &
  PublishingModuleOptions &
  SessionModuleOptions &
  ObservabilityModuleOptions &
  EnvironmentOptions &
  DpopModuleOptions;

/** Where metrics and audit events go (see docs/observability.md). */
export interface ObservabilityModuleOptions {
  observability?: ObservabilityOptions;
}

/** Where metrics and audit events go (see docs/observability.md). */
export interface ObservabilityOptions {
  /**
   * Where the library's OpenTelemetry instruments report. By default the global meter provider: the library's
   * metrics are no-ops until the application registers an SDK, before the module is built.
   * @env none: an object, given in code only
   * @default the global meter provider of `@opentelemetry/api`
   */
  meterProvider?: MeterProvider;

  /**
   * Receives audit events (refresh-token reuse, sign-out everywhere, bulk cut-off, key reload, JWK Set fetch failure,
   * issuer resolution refused by the rate bound), for a SIEM. Called on a later turn of the event loop, never
   * awaited: a slow or throwing subscriber never delays or fails a request (a failure is logged once).
   * @env none: a function, given in code only
   * @default none
   * @example
   * Rs256AuthModule.forRoot({ observability: { onAuditEvent: (event) => siem.send(event) } })
   */
  onAuditEvent?: (event: Rs256AuthAuditEvent) => void | Promise<void>;
}

/** How the environment is read. */
export interface EnvironmentOptions {
  /**
   * The application's own `JWT_*` variables. At start-up every `JWT_*` name in `process.env` (where `ConfigModule`
   * puts the `.env` file's variables) that is not a setting of this module is checked: one within a typo of a
   * setting (`JWT_ISSUR`) stops start-up with "did you mean `JWT_ISSUER`?", any other is named in one warning.
   * Names listed here are neither; a setting of this module cannot be listed.
   * @env none: given in code only
   * @default []
   * @example
   * ignoreEnv: ['JWT_REFRESH_SECRET', 'JWT_ISSUERS']
   */
  ignoreEnv?: string[];
}
