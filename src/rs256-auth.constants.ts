/** Injection token of the options passed to `forRoot`/`forRootAsync` (before the environment is merged in). */
export const RS256_AUTH_MODULE_OPTIONS = 'RS256_AUTH:MODULE_OPTIONS';

/** Injection token of the resolved, validated configuration with parsed keys. */
export const RS256_AUTH_CONFIG = 'RS256_AUTH:CONFIG';

/** Name under which the strategy registers with passport; `AuthGuard(RS256_STRATEGY)` is `JwtAuthGuard`'s base. */
export const RS256_STRATEGY = 'rs256-jwt';

/** Injection token of the strategy class in force: the `strategy` option, or `Rs256Strategy`. */
export const RS256_STRATEGY_CLASS = 'RS256_AUTH:STRATEGY_CLASS';

/** Injection token of the `allowForeignJwtServices` extra: modules whose own `JwtService` start-up lets be. */
export const RS256_ALLOWED_JWT_SERVICES = 'RS256_AUTH:ALLOWED_JWT_SERVICES';

/** Metadata key set by `@Public()`. */
export const IS_PUBLIC_KEY = 'RS256_AUTH:IS_PUBLIC';

/** Metadata key set by `@RequireClaims()`. */
export const REQUIRED_CLAIMS_KEY = 'RS256_AUTH:REQUIRED_CLAIMS';

/** Injection token of the session store (memory or Redis); `null` when sessions are disabled. */
export const SESSION_STORE = 'RS256_AUTH:SESSION_STORE';

/** Metadata key set by `@OptionalAuth()`. */
export const OPTIONAL_AUTH_KEY = 'RS256_AUTH:OPTIONAL_AUTH';

/** Injection token of the read-only settings an application may read (`InjectRs256AuthSettings()`). */
export const RS256_AUTH_SETTINGS = 'RS256_AUTH:SETTINGS';

/** Metadata key set by `@Dpop()`. */
export const DPOP_MODE_KEY = 'RS256_AUTH:DPOP_MODE';

/** Metadata key set by `@RequireCertificateBound()`. */
export const CERTIFICATE_BOUND_KEY = 'RS256_AUTH:CERTIFICATE_BOUND';

/** Injection token of the configuration resolved together with the keys it names (internal: see ResolvedRs256Auth). */
export const RS256_AUTH_RESOLVED = 'RS256_AUTH:RESOLVED';

/** Injection token of the key source in force (see keys/key-source.ts): where verification keys come from. */
export const RS256_KEY_SOURCE = 'RS256_AUTH:KEY_SOURCE';
