import type { DpopConfig } from './dpop-config.js';
import type { IssuerResolver, TokenExtractor } from './rs256-auth-options.interface.js';
import type { KeySetSources } from '../keys/key-set.loader.js';
import type { RedisTopology } from './redis-topology.js';
import type { RotationTimes } from './rotation-times.js';

/**
 * The configuration in force after options and environment are merged and validated: deeply frozen plain data (no
 * live state, no functions but the application's own callbacks). The keys in force live in the key source
 * (keys/key-source.ts), not here.
 */
export interface Rs256AuthConfig {
  /** Where the module's own keys come from (one issuer, local keys), read again by every reload. */
  readonly keySources: KeySetSources;
  readonly issuer?: string;
  /** Accepted audiences; the first is written into issued tokens. */
  readonly audience?: readonly string[];
  /**
   * Tokens of an identity provider are accepted whatever their `aud` (`JWT_ACCEPT_ANY_AUDIENCE`): the explicit
   * opt-out from the audience a resource server otherwise needs to start.
   */
  readonly acceptAnyAudience: boolean;
  /** Lifetime of issued tokens, in seconds. */
  readonly expiresIn: number;
  /** Shape of issued tokens: plain JWTs, or RFC 9068 access tokens (`typ: at+jwt`, `jti`, `client_id`). */
  readonly tokenProfile: TokenProfile;
  readonly clockTolerance: number;
  /**
   * Accepted `typ` header values as RFC 7515 §4.1.9 media types (lower case, `application/` prepended when the
   * value has no `/`); `undefined` accepts any `typ`, or none.
   */
  readonly tokenTypes?: readonly string[];
  readonly requiredClaims: readonly string[];
  /** Where roles and scopes are read from. */
  readonly claimPaths: ClaimPaths;
  readonly maxTokenLength: number;
  /** Most verified tokens remembered; 0 disables the cache. */
  readonly cacheSize: number;
  /** Check signatures of tokens not in the cache on libuv's thread pool. */
  readonly verifyOffThread: boolean;
  /** The level refusals are logged at; `undefined` when they are not. */
  readonly logRefusals?: 'debug' | 'warn';
  readonly realm: string;
  /** Authorization scheme the default extractor accepts and every challenge names. */
  readonly authScheme: string;
  /** Cookie the default extractor falls back to; `undefined` when tokens are not read from cookies. */
  readonly cookieName?: string;
  readonly jwtFromRequest: TokenExtractor;
  /** Certificate-bound tokens checked (`JWT_MTLS_BOUND`); `undefined` when off. */
  readonly mtls?: MtlsConfig;
  /** Reload the keys on SIGHUP. */
  readonly reloadOnSignal: boolean;
  /** Reload the keys when a key file changes. */
  readonly watchKeyFiles: boolean;
  /**
   * Resource-server mode: verification keys from an issuer's JWK Set (`JWT_JWKS_URI`, or found by discovery from
   * `JWT_ISSUER_URL`); `undefined` with local keys or several trusted issuers.
   */
  readonly remoteJwks?: RemoteKeySettings;
  /** Several trusted issuers, each with its own keys; `undefined` with one issuer. */
  readonly trustedIssuers?: TrustedIssuers;
  /** Where the JWK Set is served; `undefined` when it is not. */
  readonly jwks?: { readonly path: string; readonly maxAge: number };
  /** Authorization-server metadata (OpenID Connect Discovery, RFC 8414); `undefined` when it is not served. */
  readonly discovery?: {
    /** The `issuer` the document names: `tokens.issuer`, this application's URL. */
    readonly issuer: string;
    /** Routes of the metadata document on this server. */
    readonly paths: readonly string[];
    /** The `jwks_uri` the document names. */
    readonly jwksUri: string;
  };
  /** RFC 9728 protected-resource metadata; `undefined` when it is not served. */
  readonly resourceMetadata?: {
    /** The resource identifier (`resource`). */
    readonly resource: string;
    /** Issuer identifiers of the authorization servers that issue tokens for this resource. */
    readonly authorizationServers: readonly string[];
    /** Route of the metadata document on this server. */
    readonly path: string;
    /** The document's URL, announced as `resource_metadata` in every challenge. */
    readonly url: string;
  };
  /** Refresh tokens and revocation; `undefined` when sessions are disabled. */
  readonly sessions?: SessionsConfig;
  /** DPoP (RFC 9449): the default mode, and how proofs are checked wherever a route or the default turns it on. */
  readonly dpop: DpopConfig;
  /** Automatic rotation of the signing key; `undefined` when it is off. */
  readonly keyRotation?: KeyRotationConfig;
}

/** Automatic key rotation: its schedule, where the keys are kept, and the passphrase that encrypts them there. */
export interface KeyRotationConfig {
  readonly times: RotationTimes;
  readonly intervalSeconds: number;
  readonly store:
    { readonly kind: 'redis'; readonly redis: NonNullable<SessionsConfig['redis']> } | { readonly kind: 'folder'; readonly path: string };
  /** Secret: never logged. */
  readonly passphrase: string;
}

/** Refresh tokens, revocation and where their state is kept. */
/** How certificate-bound tokens (RFC 8705 §3) are checked. */
export interface MtlsConfig {
  /** `'when-bound'`: a bound token needs its certificate; `'required'`: every token must be bound, too. */
  readonly bound: 'when-bound' | 'required';
  /** The header (lower case) a trusted proxy passes the client certificate in; `undefined` without a proxy. */
  readonly certificateHeader?: string;
  /** The proxies whose header is believed, by socket address; set exactly when `certificateHeader` is. */
  readonly trustedProxies?: readonly string[];
}

export interface SessionsConfig {
  readonly store: 'memory' | 'redis';
  /** Set when `store` is `'redis'`. */
  readonly redis?: { readonly topology: RedisTopology; readonly timeoutMs: number; readonly keyPrefix: string };
  /** Lifetime of refresh tokens, in seconds: the idle timeout of a session. */
  readonly refreshExpiresIn: number;
  /** Seconds after sign-in past which no refresh succeeds, however often the session was refreshed. */
  readonly maxLifetime: number;
  /** Seconds during which the refresh token just spent gets the same successor again instead of counting as reuse. */
  readonly reuseGrace: number;
  /** How old the local view of revocations may grow, while the store is unreachable, before verification stops trusting it. */
  readonly maxStalenessMs: number;
  /** Past `maxStalenessMs`, accept tokens on the stale view instead of refusing them. */
  readonly failOpen: boolean;
}

/** Where an issuer's JWK Set is, and the bounds every fetch of it (and of the issuer's metadata) keeps to. */
export type RemoteKeySettings = RemoteFetchSettings &
  (
    | { /** The JWK Set's URI, configured directly. */ readonly uri: string; readonly discover?: undefined }
    | { readonly uri?: undefined; /** The issuer whose metadata names the JWK Set (`jwks_uri`). */ readonly discover: string }
  );

/** How a JWK Set is fetched and kept, wherever its URI comes from. */
export interface RemoteFetchSettings {
  readonly cacheMaxAgeMs: number;
  readonly cooldownMs: number;
  readonly timeoutMs: number;
  /** Largest JWK Set (or metadata) response read; a larger one fails the fetch. */
  readonly maxBytes: number;
  /** Entries read from one JWK Set; the rest are ignored. */
  readonly maxKeys: number;
  /** Accept an `http:` jwks_uri found by discovery on a host that is not loopback. */
  readonly allowHttp: boolean;
  /** How long after the last successful fetch the keys may still verify, while refreshes keep failing. */
  readonly maxStaleMs: number;
}

/** One trusted issuer, resolved: its identifier, where its keys come from, and what its tokens must carry. */
export interface TrustedIssuer {
  /** The `iss` value, compared exactly. */
  readonly issuer: string;
  /**
   * Its keys: fetched (from a JWK Set URI or by discovery), or local public keys, read from `sources` at start-up (or
   * when the resolver answers) and again on `SIGHUP` (and, with `watchKeyFiles`, when they change).
   */
  readonly keys: { readonly remote: RemoteKeySettings } | { readonly sources: KeySetSources };
  readonly audience?: readonly string[];
  readonly requiredClaims: readonly string[];
}

/** The trusted issuers of a multi-issuer resource server. */
export interface TrustedIssuers {
  readonly list: readonly TrustedIssuer[];
  /** Turns an `iss` not in the list into an issuer's options, or refuses it (`undefined`). */
  readonly resolver?: IssuerResolver;
  /** Most issuers the resolver's answers (yes or no) are remembered for. */
  readonly cacheSize: number;
  /** Most issuers not yet known that are put to the resolver (and whose keys are fetched) in one minute. */
  readonly newPerMinute: number;
  /** `keys.remote.allowHttp`: an `iss` put to the resolver may be an `http:` URL on a host that is not loopback. */
  readonly allowHttp: boolean;
  /**
   * The JWK Set cooldown and timeout every resolved issuer gets, which bound the resolver's own answers too: a
   * resolver that fails is asked again only after `cooldownMs`, one that has not answered within `timeoutMs` fails.
   */
  readonly resolverBounds: { readonly cooldownMs: number; readonly timeoutMs: number };
  /** What a resolved issuer's options do not say themselves, checked as the configured ones are (see trustedIssuer). */
  readonly defaults: IssuerDefaults;
}

/** What a trusted issuer's entry does not say itself: the module's audience and required claims, and the fetch bounds. */
export interface IssuerDefaults {
  readonly audience?: readonly string[];
  readonly requiredClaims: readonly string[];
  readonly bounds: Omit<RemoteKeySettings, 'uri' | 'discover'>;
}

/** A claim path split into member names: `realm_access.roles` is `['realm_access', 'roles']`. */
export type ClaimPath = readonly string[];

/** Where `@RequireClaims` reads roles and scopes; each is the union of the values found at its paths. */
export interface ClaimPaths {
  readonly roles: readonly ClaimPath[];
  readonly scopes: readonly ClaimPath[];
}

export const DEFAULT_CLAIM_PATHS: ClaimPaths = { roles: [['roles']], scopes: [['scope'], ['scp']] };

/** Profiles of issued tokens; see the `tokens.profile` option. */
export const TOKEN_PROFILES = ['jwt', 'rfc9068'] as const;
export type TokenProfile = (typeof TOKEN_PROFILES)[number];
