/** What this application publishes. */
export interface PublishingModuleOptions {
  publishing?: PublishingOptions;
}

/** What this application publishes: its JWK Set, discovery metadata, RFC 9728 metadata. */
export interface PublishingOptions {
  /**
   * Serve the verification keys as an RFC 7517 JWK Set, so other services can verify this one's tokens. Public
   * members only (`kty`, `n`, `e`, `kid`, `alg`, `use`), outside every guard. `true` uses the defaults below;
   * `JWT_JWKS_PATH` or `JWT_JWKS_MAX_AGE` set while the endpoint is off stops start-up.
   * @env JWT_JWKS_ENABLED (`true`/`false`), JWT_JWKS_PATH, JWT_JWKS_MAX_AGE
   * @default false
   */
  jwks?: boolean | JwksOptions;

  /**
   * Publish authorization-server metadata naming this issuer and its JWK Set, so that a resource server finds the
   * keys from the issuer URL alone (this module's `JWT_ISSUER_URL`, express-oauth2-jwt-bearer's `issuerBaseURL`,
   * Spring's `issuer-uri`): OpenID Connect Discovery at `<issuer>/.well-known/openid-configuration` and RFC 8414 at
   * `/.well-known/oauth-authorization-server<issuer path>`, outside every guard. The documents hold `issuer`,
   * `jwks_uri` and `id_token_signing_alg_values_supported` (`RS256`) only: this module issues tokens but runs no
   * authorization endpoint. The issuer must be the https URL this application is reached at (`http:` only on
   * loopback), and the JWK Set endpoint must be on; the routes are the paths of those URLs.
   * @env JWT_DISCOVERY_ENABLED
   * @default false
   */
  discovery?: boolean;

  /**
   * Serve RFC 9728 protected-resource metadata (`resource`, `authorization_servers`, `scopes_supported` gathered
   * from the routes' `@RequireClaims`, `bearer_methods_supported`) at `/.well-known/oauth-protected-resource`,
   * outside every guard, and add `resource_metadata="<its URL>"` to every `WWW-Authenticate` challenge, so that
   * clients (MCP clients among them) find the authorization server from a 401. `true` uses the defaults.
   * @env JWT_RESOURCE_METADATA_ENABLED (`true`/`false`), JWT_RESOURCE, JWT_AUTHORIZATION_SERVERS
   * @default false
   */
  resourceMetadata?: boolean | ResourceMetadataOptions;
}

/** The RFC 9728 protected-resource metadata this server publishes. */
export interface ResourceMetadataOptions {
  /**
   * The resource identifier: the https URL clients name this resource server by (RFC 9728 §1.2), usually the
   * audience of its tokens. The document is served at its origin plus `/.well-known/oauth-protected-resource`
   * plus its path.
   * @env JWT_RESOURCE
   * @default the first audience, when it is a URL
   * @example 'https://api.example.com'
   */
  resource?: string;

  /**
   * Issuer identifiers of the authorization servers whose tokens this resource accepts (`authorization_servers`).
   * The environment variable is comma-separated.
   * @env JWT_AUTHORIZATION_SERVERS
   * @default the configured issuer
   */
  authorizationServers?: string[];
}

/** Where and how the JWK Set is served. */
export interface JwksOptions {
  /**
   * Route of the JWK Set. Registered on the HTTP adapter directly, so a global prefix does not apply.
   * @env JWT_JWKS_PATH
   * @default '/.well-known/jwks.json'
   */
  path?: string;

  /**
   * `Cache-Control: public, max-age=<seconds>` sent with the set; verifiers refetch after it.
   * @env JWT_JWKS_MAX_AGE
   * @default 300
   */
  maxAge?: number;
}
