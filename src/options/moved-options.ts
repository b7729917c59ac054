import { Rs256AuthError } from '../errors/rs256-auth.error.js';

/**
 * Options of the flat shape the module once took, each with its place in the nested one (and its new unit where
 * that changed). Given, they stop start-up naming the new path: ignored, they would silently leave their setting at
 * its default, and TypeScript does not catch them where options are built without a type (JavaScript, a cast).
 */
const MOVED_OPTIONS: Readonly<Record<string, string>> = {
  issuer: 'tokens.issuer',
  audience: 'tokens.audience',
  acceptAnyAudience: 'tokens.acceptAnyAudience',
  expiresIn: 'tokens.expiresIn',
  tokenProfile: 'tokens.profile',
  clockTolerance: 'tokens.clockTolerance',
  tokenType: 'tokens.type',
  requiredClaims: 'tokens.requiredClaims',
  rolesClaim: 'tokens.rolesClaim',
  scopesClaim: 'tokens.scopesClaim',
  maxTokenLength: 'tokens.maxLength',
  cacheSize: 'verification.cacheSize',
  verifyOffThread: 'verification.offThread',
  logRefusals: 'verification.logRefusals',
  realm: 'transport.realm',
  authScheme: 'transport.scheme',
  cookieName: 'transport.cookie',
  jwtFromRequest: 'transport.extractor',
  jwks: 'publishing.jwks',
  discovery: 'publishing.discovery',
  resourceMetadata: 'publishing.resourceMetadata',
  meterProvider: 'observability.meterProvider',
  onAuditEvent: 'observability.onAuditEvent',
  sessionStore: 'sessions.store',
  redisUrl: 'sessions.redis.url',
  redisSentinels: 'sessions.redis.sentinels',
  redisSentinelMaster: 'sessions.redis.sentinelMaster',
  redisClusterNodes: 'sessions.redis.clusterNodes',
  redisClient: 'sessions.redis.client',
  redisTimeout: 'sessions.redis.timeout, in seconds',
  redisKeyPrefix: 'sessions.redis.keyPrefix',
  refreshExpiresIn: 'sessions.refreshExpiresIn',
  sessionMaxLifetime: 'sessions.maxLifetime',
  refreshReuseGrace: 'sessions.refreshReuseGrace',
  revocationMaxStaleness: 'sessions.revocationMaxStaleness, in seconds',
  revocationFailOpen: 'sessions.revocationFailOpen',
  jwksCacheMaxAge: 'keys.remote.cacheMaxAge',
  jwksCooldown: 'keys.remote.cooldown',
  jwksTimeout: 'keys.remote.timeout, in seconds',
  jwksMaxBytes: 'keys.remote.maxBytes',
  jwksMaxKeys: 'keys.remote.maxKeys',
  jwksAllowHttp: 'keys.remote.allowHttp',
  jwksMaxStale: 'keys.remote.maxStale',
  privateKeyPath: 'keys.privateKeyPath',
  privateKey: 'keys.privateKey',
  privateKeyPassphrase: 'keys.privateKeyPassphrase',
  publicKeyPath: 'keys.publicKeyPath',
  publicKey: 'keys.publicKey',
  jwksUri: 'keys.jwksUri',
  issuerUrl: 'keys.issuerUrl',
  trustedIssuers: 'keys.trustedIssuers',
  issuerResolver: 'keys.issuerResolver',
  issuerCacheSize: 'keys.issuerCacheSize',
  newIssuersPerMinute: 'keys.newIssuersPerMinute',
  remote: 'keys.remote',
  reloadOnSignal: 'keys.reloadOnSignal',
  watchKeyFiles: 'keys.watchFiles',
  pkcs11: 'keys.pkcs11',
  signer: 'keys.signer',
  keyRotation: 'keys.rotation',
};

/**
 * The two key options renamed when they moved under `keys`, as they would read moved there without their new names
 * (`keys: { watchKeyFiles: true }`): ignored, they too would silently leave their setting at its default.
 */
const RENAMED_UNDER_KEYS: Readonly<Record<string, string>> = {
  watchKeyFiles: 'keys.watchFiles',
  keyRotation: 'keys.rotation',
};

/** An option of the flat shape, or a key option moved under `keys` by its old name, stops start-up naming its path. */
export function refuseMovedOptions(options: object): void {
  const keys: unknown = (options as { keys?: unknown }).keys;
  const underKeys = typeof keys === 'object' && keys !== null ? Object.keys(keys).filter((name) => Object.hasOwn(RENAMED_UNDER_KEYS, name)) : [];
  const moved = [
    ...Object.keys(options)
      .filter((name) => Object.hasOwn(MOVED_OPTIONS, name))
      .map((name) => `${name} is now ${MOVED_OPTIONS[name]}`),
    ...underKeys.map((name) => `keys.${name} is now ${RENAMED_UNDER_KEYS[name]}`),
  ];
  if (moved.length > 0) {
    const where = moved.join('; ');
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `Options moved when they were grouped by concern: ${where}. See the CHANGELOG's migration table.`,
    );
  }
}
