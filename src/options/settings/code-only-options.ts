/** Options given in code only (functions, classes, the module's own shape): in the reference, not in the environment. */
export const CODE_ONLY_OPTIONS: readonly { readonly option: string; readonly doc: string; readonly defaultDoc: string }[] = [
  {
    option: 'keys.issuerResolver',
    doc: '`async (iss) => options or undefined`, for issuers not listed (dynamic tenants)',
    defaultDoc: 'none',
  },
  {
    option: 'transport.extractor',
    doc: 'where the guard finds the token, replacing `transport.scheme` and `transport.cookie` (see [Where the token comes from](protecting-routes.md#where-the-token-comes-from))',
    defaultDoc: 'the header, then the cookie if set',
  },
  { option: 'isGlobal', doc: 'register the module globally', defaultDoc: '`true`' },
  {
    option: 'strategy',
    doc: 'a subclass of `Rs256Strategy` to use (see [Adapting the guard](protecting-routes.md#adapting-the-guard))',
    defaultDoc: '`Rs256Strategy`',
  },
  {
    option: 'allowForeignJwtServices',
    doc: "modules (classes or names) that may keep a `JwtService` of their own, e.g. a third party's that registers `JwtModule` privately (see [Issuing tokens](issuing-tokens.md#issuing-tokens))",
    defaultDoc: '`[]`',
  },
  {
    option: 'observability.meterProvider',
    doc: 'where the OpenTelemetry instruments report (see [Observability](observability.md))',
    defaultDoc: 'the global meter provider (a no-op until an SDK is registered)',
  },
  {
    option: 'observability.onAuditEvent',
    doc: '`(event) => void`, receives audit events, called off the request path (see [Observability](observability.md#audit-events))',
    defaultDoc: 'none',
  },
  {
    option: 'sessions.redis.client',
    doc: "any other Redis shape (TLS client certificates, a managed service's endpoint): a function returning an `ioredis` `Redis` or `Cluster`, instead of `JWT_REDIS_URL`, Sentinel or Cluster; the store never closes it (see [Running several instances](redis.md))",
    defaultDoc: 'none',
  },
  {
    option: 'keys.signer',
    doc: '`{ sign(signingInput), publicKey, kid? }`: tokens are signed by a KMS (AWS KMS, Google Cloud KMS, Azure Key Vault, Vault transit) instead of a private key; `JwtService.sign` then throws `RS256_SIGNER_ASYNC`, `signAsync` works (see [Key custody](key-custody.md#any-other-kms-the-signer-option))',
    defaultDoc: 'none',
  },
  {
    option: 'ignoreEnv',
    doc: "the application's own `JWT_*` variables, neither taken for typos nor warned about (e.g. `['JWT_REFRESH_SECRET']`); a name from this table cannot be listed",
    defaultDoc: '`[]`',
  },
];
