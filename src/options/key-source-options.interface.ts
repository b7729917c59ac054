import type { CustodyOptions } from './custody-options.interface.js';
import type { KeyRotationOptions } from './key-rotation-options.interface.js';

/** Where the keys come from, how they are reloaded, and where the signing key lives. */
export interface KeyModuleOptions {
  /**
   * The keys: one key source (local keys, a JWK Set URI, an issuer URL or trusted issuers), how they are reloaded,
   * and, with local keys, where the signing key lives (an HSM, a KMS, or rotated by the module).
   * @example
   * keys: { privateKeyPath: 'keys/private.pem', publicKeyPath: 'keys/public.pem' }
   * @example
   * keys: { issuerUrl: 'https://id.example.com/realms/shop', remote: { cooldown: 30 } }
   */
  keys?: KeyOptions;
}

/** The `keys` option group: one key source, and the reload settings every source shares. */
export type KeyOptions = KeySourceOptions & KeyReloadOptions;

/**
 * Where the verification (and signing) keys come from: one of local keys (files or inline PEMs, one way per key,
 * with the signing key optionally in custody or rotated), a JWK Set URI, an issuer found by discovery, or several
 * trusted issuers. The choices exclude each other: a variant names the others' options as `never`, so giving two is
 * a type error (and, through the environment, a start-up error naming both settings).
 */
export type KeySourceOptions =
  | (SigningKeyOptions & Unset<JwksUriSource & IssuerUrlSource & TrustedIssuersSource & RemoteModuleOptions>)
  | (JwksUriSource & RemoteModuleOptions & Unset<SigningKeyOptions & IssuerUrlSource & TrustedIssuersSource>)
  | (IssuerUrlSource & RemoteModuleOptions & Unset<SigningKeyOptions & JwksUriSource & TrustedIssuersSource>)
  | (TrustedIssuersSource & RemoteModuleOptions & Unset<SigningKeyOptions & JwksUriSource & IssuerUrlSource>);

/** Keys this application holds or signs with; where keys are fetched from an issuer, it signs nothing. */
type SigningKeyOptions = LocalKeyOptions & CustodyOptions & KeyRotationOptions;

/** Reloading keys without a restart, whatever their source. */
export interface KeyReloadOptions {
  /**
   * Re-read and re-check every key file on `SIGHUP`, replacing the key set without a restart if all checks pass.
   * Where keys are fetched instead (`jwksUri`, `issuerUrl`, `trustedIssuers`), `SIGHUP` fetches every issuer's JWK
   * Set at once, whatever the cooldown, and logs the kids it got; trusted issuers with local keys (`publicKeyPath`)
   * have their key files re-read and re-checked the same way.
   * @env JWT_RELOAD_ON_SIGHUP
   * @default true
   */
  reloadOnSignal?: boolean;

  /**
   * Also reload when a key file (or a file in a key folder) changes; with several issuers, when one of an issuer's
   * `publicKeyPath` files changes (a resolved issuer's while it stays in the issuer cache). Turned on where no key is
   * read from a file (inline or fetched keys, and no `issuerResolver`), it stops start-up: there is nothing to watch.
   * @env JWT_WATCH_KEY_FILES
   * @default false
   */
  watchFiles?: boolean;
}

/** The options of another choice, named so that they cannot be given. */
type Unset<T> = { [K in keyof T]?: never };

/** Local keys: a private key to sign (and verify), public keys to verify; each from a file or inline. */
export interface LocalKeyOptions {
  /**
   * Path of the PEM file holding the RSA private key (PKCS#1 or PKCS#8, optionally encrypted): a regular file of at
   * most 64 KiB holding that one PEM block and nothing else. Without a private key the module runs in verify-only
   * mode and `JwtService.sign` throws `RS256_NO_PRIVATE_KEY`. A value that looks like a PEM is refused without
   * being quoted: give the key itself in `privateKey`.
   * @env JWT_PRIVATE_KEY_PATH
   * @default none (verify-only mode)
   */
  privateKeyPath?: string;

  /**
   * The private key PEM itself, for platforms that pass secrets as variables. Literal `\n` escapes and a
   * base64-encoded PEM are accepted. Mutually exclusive with `privateKeyPath`.
   * @env JWT_PRIVATE_KEY
   * @default none
   */
  privateKey?: string;

  /**
   * Passphrase of an encrypted private key. Given for an unencrypted key, it stops start-up.
   * @env JWT_PRIVATE_KEY_PASSPHRASE
   * @default none
   */
  privateKeyPassphrase?: string;

  /**
   * The RSA public keys (SPKI or PKCS#1 PEM) that verify tokens: a file, a folder of `*.pem`/`*.pub` files, or
   * several of either (comma-separated in the environment, an array here). Each key's `kid` is its RFC 7638
   * thumbprint unless given as `{ path, kid }`. With a private key, its public half must be among them. Each file
   * is a regular file of at most 64 KiB holding exactly one public key; a private key anywhere in it is refused.
   * @env JWT_PUBLIC_KEY_PATH
   * @default derived from the private key
   * @example
   * publicKeyPath: ['keys/current.pem', { path: 'keys/legacy.pem', kid: 'legacy-2025' }]
   */
  publicKeyPath?: string | Array<string | { path: string; kid?: string }>;

  /**
   * The public key PEM itself (`\n` escapes and base64 accepted). Mutually exclusive with `publicKeyPath`.
   * @env JWT_PUBLIC_KEY
   * @default none
   */
  publicKey?: string;
}

/** Resource-server mode with the JWK Set's URI. */
export interface JwksUriSource {
  /**
   * Resource-server mode: verify with the keys of an issuer's JWK Set instead of local key files. Only `https:`
   * unless the host is loopback or `keys.remote.allowHttp` is set. Excludes local keys: such a service signs nothing.
   * @env JWT_JWKS_URI
   * @default none (local keys)
   * @example 'https://id.example.com/.well-known/jwks.json'
   */
  jwksUri: string;
}

/** Resource-server mode by discovery from the issuer's URL. */
export interface IssuerUrlSource {
  /**
   * Resource-server mode by discovery: the issuer's identifier. Its metadata is fetched from
   * `<issuer>/.well-known/openid-configuration` (OpenID Connect Discovery), else from RFC 8414's
   * `/.well-known/oauth-authorization-server`; the document's `issuer` must equal this value exactly, and its
   * `jwks_uri` is then used as `jwksUri` would be. Tokens must carry this `iss`. An issuer that is down at start-up
   * does not stop the service: it is asked again (at most once per `keys.remote.cooldown`) until it answers. Excludes
   * `jwksUri`, local keys and `trustedIssuers`.
   * @env JWT_ISSUER_URL
   * @default none
   * @example 'https://keycloak.example.com/realms/shop'
   */
  issuerUrl: string;
}

/** Several trusted issuers, listed, resolved on demand, or both. */
export interface TrustedIssuersSource {
  /**
   * Several trusted issuers (tenants), each with its own keys, audience and required claims. A token's `iss`,
   * read before its signature is checked and only to choose among these, selects the issuer; a token whose `iss`
   * is not trusted is refused (`issuer not accepted`) without any network request, and a key is only ever looked
   * up among the chosen issuer's keys. In the environment: issuer URLs, comma-separated (each by discovery, with
   * `JWT_AUDIENCE` and `JWT_REQUIRED_CLAIMS`), or a JSON array of the objects below. Excludes `tokens.issuer`,
   * `issuerUrl`, `jwksUri` and local keys.
   * @env JWT_TRUSTED_ISSUERS
   * @default none (one issuer)
   * @example
   * trustedIssuers: [
   *   { issuer: 'https://id.example.com/realms/a' },
   *   { issuer: 'https://login.partner.test', jwksUri: 'https://login.partner.test/keys', audience: 'partner-api' },
   *   { issuer: 'internal', publicKeyPath: 'keys/internal.pem' },
   * ]
   */
  trustedIssuers?: Array<string | TrustedIssuerOptions>;

  /**
   * For dynamic tenants: called with a token's `iss` when it is not among `trustedIssuers`; returns that issuer's
   * options (the same checks apply as to configured ones), or `undefined` to refuse it. Answers, yes or no, are
   * remembered for up to `issuerCacheSize` issuers, so the resolver runs once per issuer, not once per token: a yes
   * while its issuer stays among the active ones (least recently used first out), a no for 10 minutes (oldest first
   * out). A resolver that throws, or has not answered within `keys.remote.timeout`, refuses that issuer's tokens
   * (401) until `keys.remote.cooldown` has passed; it is then asked again. The `iss` is read before any signature is
   * checked, so it is bounded first: only an absolute `https:` URL (`http:` on loopback) of at most 256 characters
   * without userinfo, query, fragment or dot segments reaches the resolver, at most `newIssuersPerMinute` new ones a
   * minute; an accepted issuer joins the cache of active issuers (and can push one out) only once one of its tokens
   * has verified. Needs `tokens.audience`, or `tokens.acceptAnyAudience`.
   * @env none: a function, given in code only
   * @default none (only `trustedIssuers`)
   * @example
   * issuerResolver: async (iss) => (iss.startsWith('https://id.example.com/realms/') ? { issuer: iss } : undefined)
   */
  issuerResolver?: IssuerResolver;

  /**
   * Most issuers whose `issuerResolver` answers are remembered. Refused at start-up without an `issuerResolver`.
   * @env JWT_ISSUER_CACHE_SIZE
   * @default 100
   */
  issuerCacheSize?: number;

  /**
   * Most issuers not seen before that are put to the `issuerResolver` (and whose keys are then fetched) in one
   * minute; past it, tokens of further new issuers are refused (`issuer not accepted`) until the minute is over,
   * and one warning is logged. Bounds what tokens with made-up issuers, which anyone can write, cost the identity
   * providers and the resolver. Refused at start-up without an `issuerResolver`.
   * @env JWT_NEW_ISSUERS_PER_MINUTE
   * @default 10
   */
  newIssuersPerMinute?: number;
}

/** Fetching keys from identity providers, where keys are fetched. */
export interface RemoteModuleOptions {
  /** How JWK Sets (and issuer metadata) are fetched and kept. */
  remote?: RemoteFetchOptions;
}

/** How fetched JWK Sets (and issuer metadata) are fetched and kept; durations in seconds. */
export interface RemoteFetchOptions {
  /**
   * Seconds after which the fetched JWK Set is refreshed in the background; cached keys keep serving meanwhile.
   * @env JWT_JWKS_CACHE_MAX_AGE
   * @default 600
   */
  cacheMaxAge?: number;

  /**
   * Seconds between two fetches of the JWK Set: an unknown `kid` triggers a fetch only past this window, so a
   * flood of made-up `kid`s cannot hammer the issuer. At least 1.
   * @env JWT_JWKS_COOLDOWN
   * @default 30
   */
  cooldown?: number;

  /**
   * Seconds a JWK Set fetch may take before it is given up (decimals allowed: `0.5`).
   * @env JWT_JWKS_TIMEOUT
   * @default 5
   */
  timeout?: number;

  /**
   * Largest JWK Set response read, in bytes (at least 1024). The download is cut off past it and the fetch fails,
   * so the cached keys stay in use; a real set of a few RSA keys is a few KiB.
   * @env JWT_JWKS_MAX_BYTES
   * @default 1048576 (1 MiB)
   */
  maxBytes?: number;

  /**
   * Most entries read from one JWK Set (at least 1); later entries are ignored, and the fetch's warning says how
   * many. Bounds the work of one fetch however many entries the document holds.
   * @env JWT_JWKS_MAX_KEYS
   * @default 100
   */
  maxKeys?: number;

  /**
   * Allow an `http:` `jwksUri` on a host that is not loopback (never do this across a network you do not own).
   * @env JWT_JWKS_ALLOW_HTTP
   * @default false
   */
  allowHttp?: boolean;

  /**
   * Seconds a fetched JWK Set may keep verifying after its last successful fetch while its refreshes fail. Past
   * it, tokens are refused (`RS256_TOKEN_KEYS_STALE`, "verification keys are stale") and one error is logged, until
   * a fetch succeeds again; a key the identity provider has withdrawn meanwhile stops being trusted. At least
   * `cacheMaxAge`.
   * @env JWT_JWKS_MAX_STALE
   * @default 86400 (one day)
   */
  maxStale?: number;
}

/**
 * One trusted issuer: its `iss`, where its keys come from, and what its tokens must carry. In the environment, the
 * entries of `JWT_TRUSTED_ISSUERS` in its JSON form (`[{"issuer": "…", "audience": "…"}]`) have these members.
 */
export interface TrustedIssuerOptions {
  /** The `iss` its tokens carry, compared exactly. Required. */
  issuer: string;
  /** Its JWK Set. @default none: without it (and without local keys) the set is found by discovery from `issuer` */
  jwksUri?: string;
  /** Local public keys (files or folders, as `publicKeyPath`) instead of a fetched set. @default none */
  publicKeyPath?: string | string[];
  /** A local public key PEM instead of a fetched set. @default none */
  publicKey?: string;
  /** Accepted audiences of its tokens. @default the module's `audience` */
  audience?: string | string[];
  /** Claims its tokens must carry. @default the module's `requiredClaims` */
  requiredClaims?: string[];
}

/** Turns an untrusted `iss` into an issuer's options, or refuses it with `undefined`. */
export type IssuerResolver = (iss: string) => Promise<TrustedIssuerOptions | undefined> | TrustedIssuerOptions | undefined;
