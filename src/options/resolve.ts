import type { ConfigService } from '@nestjs/config';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import type { Rs256AuthModuleOptions, TokenExtractor } from './rs256-auth-options.interface.js';
import { KeySet } from '../keys/key-set.js';
import { quotedUrl } from '../observability/redacted-url.js';
import { firstOf, fromAuthHeader, fromCookie, HTTP_TOKEN } from '../transports/token-extractors.js';
import { checkEnvNames, refuseRenamedEnv, refuseSecrets } from './env-names.js';
import { refuseMovedOptions } from './moved-options.js';
import { SettingsReader } from './from-env.js';
import { BOOLEAN_WORDS, invalid } from './parse.js';
import { openCustody } from '../custody/open-custody.js';
import type { SigningCustody } from '../keys/signing-custody.js';
import { resolveCustody } from './resolve-custody.js';
import { keySetSources, loadLocalKeys, watchKeyFiles } from './resolve-keys.js';
import { refuseIssuerCacheSize, resolveTrustedIssuers } from './resolve-issuers.js';
import { resolvePublishing, resolveResourceMetadata } from './resolve-publishing.js';
import { refuseRemoteKeySettings, resolveRemoteJwks } from './resolve-remote.js';
import { resolveKeyRotation, rotationOn } from './resolve-rotation.js';
import { resolveDpop } from './resolve-dpop.js';
import { resolveSessions } from './resolve-sessions.js';
import { resolveMtls } from './resolve-mtls.js';
import { TOKEN_PROFILES, type ClaimPath, type Rs256AuthConfig, type TokenProfile } from './rs256-auth-config.js';
import { SETTINGS } from './settings.js';
import { typMediaType } from './token-type.js';
import { deepFrozen } from './deep-frozen.js';

/** The keys read while the configuration was resolved: the module's own, and those of trusted issuers with local keys. */
export interface LoadedKeys {
  /** The module's own key set: empty where keys are fetched, or with several issuers. */
  readonly own: KeySet;
  /** Trusted issuers' local key sets, by issuer. */
  readonly issuers: ReadonlyMap<string, KeySet>;
  /** The HSM or KMS holding the signing key, opened and checked; kept out of the frozen configuration (live state). */
  readonly custody?: SigningCustody;
}

/** The configuration, frozen, with the keys it names read (the key source's starting point). */
export interface ResolvedRs256Auth {
  readonly config: Rs256AuthConfig;
  readonly keys: LoadedKeys;
}

/**
 * {@link resolveRs256Auth} without the keys: the frozen configuration alone.
 * @throws Rs256AuthError (as a rejection) naming the setting (and path) at fault
 */
export async function resolveRs256AuthConfig(options: Rs256AuthModuleOptions = {}, config?: ConfigService): Promise<Rs256AuthConfig> {
  return (await resolveRs256Auth(options, config)).config;
}

/**
 * Merges module options over `ConfigService` values, validates them and loads the keys. Runs once, while the
 * module is built, so a bad configuration stops start-up instead of failing the first request.
 * @throws Rs256AuthError (as a rejection) naming the setting (and path) at fault
 */
export async function resolveRs256Auth(options: Rs256AuthModuleOptions = {}, config?: ConfigService): Promise<ResolvedRs256Auth> {
  const opened: { custody?: SigningCustody } = {};
  try {
    return await resolveWithKeys(options, config, opened);
  } catch (error) {
    // A setting checked after the HSM session was opened stops start-up: the session is not left open.
    await opened.custody?.close();
    throw error;
  }
}

async function resolveWithKeys(
  options: Rs256AuthModuleOptions,
  config: ConfigService | undefined,
  opened: { custody?: SigningCustody },
): Promise<ResolvedRs256Auth> {
  refuseSecrets(options, config);
  refuseMovedOptions(options);
  refuseRenamedEnv(config);
  if (config) {
    checkEnvNames(options.ignoreEnv);
  }
  const reader = new SettingsReader(options, config);
  const audience = reader.read('audience');
  const keySources = keySetSources(reader);
  const requiredClaims = claimNames(reader);
  const issuers = await resolveTrustedIssuers(reader, options.keys?.issuerResolver, keySources, audience, requiredClaims);
  const trustedIssuers = issuers?.trustedIssuers;
  const remoteJwks = resolveRemoteJwks(reader, keySources);
  refuseRemoteKeySettings(reader, remoteJwks, trustedIssuers);
  refuseIssuerCacheSize(reader, trustedIssuers);
  const issuer = resolveIssuer(reader);
  const tokenProfile = resolveTokenProfile(reader, issuer, audience);
  const transport = resolveTransport(reader, options.transport?.extractor);
  const custody = await resolveCustody(reader, options.keys?.signer);
  opened.custody = custody && (await openCustody(custody));
  // A resource server starts with no key; its RemoteKeySource fills the set from the issuer. With several issuers each
  // has its own keys (IssuerRegistry), and this set stays empty. With rotation on, the rotating key source fills it
  // from its store while the module is built.
  const own = remoteJwks || trustedIssuers || rotationOn(reader) ? new KeySet([]) : await loadLocalKeys({ ...keySources, custody: opened.custody });
  const expiresIn = reader.read('expiresIn');
  const clockTolerance = reader.read('clockTolerance');
  const publishing = resolvePublishing(reader, issuer, remoteJwks !== undefined || trustedIssuers !== undefined);
  const sessions = reader.read('sessions')
    ? resolveSessions(reader, typeof options.sessions === 'object' ? options.sessions.redis?.client : undefined)
    : undefined;
  const resolved: Rs256AuthConfig = {
    remoteJwks,
    trustedIssuers,
    keySources,
    issuer,
    audience,
    expiresIn,
    tokenProfile,
    clockTolerance,
    tokenTypes: resolveTokenTypes(reader, tokenProfile),
    requiredClaims,
    claimPaths: { roles: claimPaths(reader, 'rolesClaim'), scopes: claimPaths(reader, 'scopesClaim') },
    maxTokenLength: reader.read('maxTokenLength'),
    cacheSize: reader.read('cacheSize'),
    verifyOffThread: reader.read('verifyOffThread'),
    logRefusals: resolveLogRefusals(reader),
    realm: reader.read('realm'),
    ...transport,
    mtls: resolveMtls(reader),
    // In resource-server mode the signal fetches the issuer's set instead of reading key files.
    reloadOnSignal: reader.read('reloadOnSignal'),
    watchKeyFiles: watchKeyFiles(reader, keySources, trustedIssuers),
    ...publishing,
    resourceMetadata: reader.read('resourceMetadataEnabled')
      ? resolveResourceMetadata(reader, audience, trustedIssuers?.list.map((trusted) => trusted.issuer) ?? (issuer !== undefined ? [issuer] : []))
      : undefined,
    sessions,
    keyRotation: resolveKeyRotation(reader, { keySources, jwks: publishing.jwks, sessions, expiresIn, clockTolerance, remoteJwks, trustedIssuers }),
    dpop: resolveDpop(reader, sessions?.store === 'redis'),
    // Last: every other setting is checked first, so a mistake there is named before the missing audience is.
    acceptAnyAudience: resolveAudienceCheck(reader, audience, remoteJwks, trustedIssuers),
  };
  return { config: deepFrozen(resolved), keys: { own, issuers: issuers?.keys ?? new Map(), custody: opened.custody } };
}

/** `debug` or `warn`; `false`, `off` (or any word a boolean reads as false) logs nothing. */
function resolveLogRefusals(reader: SettingsReader): Rs256AuthConfig['logRefusals'] {
  const value = reader.raw('logRefusals');
  const word = typeof value === 'string' ? value.trim().toLowerCase() : value;
  if (word === 'debug' || word === 'warn') {
    return word;
  }
  if (word === undefined || word === false || word === 'off' || (typeof word === 'string' && BOOLEAN_WORDS.get(word) === false)) {
    return undefined;
  }
  throw invalid(reader.label('logRefusals'), value, "'debug' or 'warn' (or 'off')");
}

/** Claim names: a list of names, none containing white space (a space-separated list is one name to the reader). */
function claimNames(reader: SettingsReader): readonly string[] {
  const names = reader.read('requiredClaims');
  const spaced = names.find((name) => /\s/.test(name));
  if (spaced !== undefined) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${reader.label('requiredClaims')} names the claim "${spaced}", but claim names contain no white space; separate them with commas, e.g. "${spaced.split(/\s+/).join(',')}".`,
    );
  }
  return names;
}

/** Dotted claim paths, comma-separated: `realm_access.roles,resource_access.my-api.roles`. */
function claimPaths(reader: SettingsReader, name: 'rolesClaim' | 'scopesClaim'): ClaimPath[] {
  return reader.read(name).map((path) => {
    const members = path.split('.');
    if (members.some((member) => member.length === 0)) {
      throw invalid(reader.label(name), path, "dotted claim paths such as 'roles' or 'realm_access.roles'");
    }
    return members;
  });
}

/**
 * RFC 9068 access tokens must carry `iss` and `aud` (§2.2), and a resource server must know which it accepts: the
 * profile needs both settings, checked here rather than at the first `sign`.
 */
function resolveTokenProfile(reader: SettingsReader, issuer: string | undefined, audience: string[] | undefined): TokenProfile {
  const value = reader.read('tokenProfile');
  const setting = reader.label('tokenProfile');
  const profile = value.trim().toLowerCase();
  if (!(TOKEN_PROFILES as readonly string[]).includes(profile)) {
    throw invalid(setting, value, `one of ${TOKEN_PROFILES.join(', ')}`);
  }
  if (profile === 'rfc9068' && (issuer === undefined || audience === undefined || audience.length === 0)) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${setting} is "rfc9068", which puts iss and aud into every token (RFC 9068 §2.2); set ${SETTINGS.issuer.env} and ${SETTINGS.audience.env} (tokens.issuer and tokens.audience options) too.`,
    );
  }
  return profile as TokenProfile;
}

const MEDIA_TYPE = /^[a-z0-9!#$&^_.+-]+(\/[a-z0-9!#$&^_.+-]+)?$/i;

/** Under the RFC 9068 profile, tokens typed `at+jwt` only (RFC 9068 §4), unless JWT_TOKEN_TYPE says otherwise. */
function resolveTokenTypes(reader: SettingsReader, profile: TokenProfile): Rs256AuthConfig['tokenTypes'] {
  const types = reader.read('tokenType');
  if (types === undefined || types.length === 0) {
    return profile === 'rfc9068' ? [typMediaType('at+jwt')] : undefined;
  }
  const bad = types.find((typ) => !MEDIA_TYPE.test(typ));
  if (bad !== undefined) {
    throw invalid(reader.label('tokenType'), bad, "media types such as 'at+jwt' or 'application/at+jwt'");
  }
  return types.map(typMediaType);
}

/** The scheme and cookie settings, and the extractor they make unless the application brings its own. */
function resolveTransport(
  reader: SettingsReader,
  custom: TokenExtractor | undefined,
): Pick<Rs256AuthConfig, 'authScheme' | 'cookieName' | 'jwtFromRequest'> {
  const authScheme = reader.read('authScheme');
  const cookieName = reader.read('cookieName');
  if (!HTTP_TOKEN.test(authScheme)) {
    throw invalid(reader.label('authScheme'), authScheme, "an authorization scheme such as 'Bearer' or 'JWT' (one word, no spaces)");
  }
  if (cookieName !== undefined && !HTTP_TOKEN.test(cookieName)) {
    throw invalid(reader.label('cookieName'), cookieName, "a cookie name such as 'access_token' (no spaces, '=' or ';')");
  }
  if (cookieName !== undefined && custom) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${reader.label('cookieName')} is set together with the transport.extractor option, which replaces the built-in extractors; ` +
        'unset it, or add fromCookie(name) to your extractor.',
    );
  }
  // The header first: it is what the client chose to send for this request, a cookie is whatever the browser holds.
  const header = fromAuthHeader(authScheme);
  return {
    authScheme,
    cookieName,
    jwtFromRequest: custom ?? (cookieName === undefined ? header : firstOf(header, fromCookie(cookieName))),
  };
}

/** `JWT_ISSUER`, or the issuer named by `JWT_ISSUER_URL`; both set, they must agree. */
function resolveIssuer(reader: SettingsReader): string | undefined {
  const issuer = reader.read('issuer');
  const issuerUrl = reader.read('issuerUrl');
  if (issuer !== undefined && issuerUrl !== undefined && issuer !== issuerUrl) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${reader.label('issuer')} is ${quotedUrl(issuer)} but ${reader.label('issuerUrl')} is ${quotedUrl(issuerUrl)}: tokens carry one iss; set only ${reader.label('issuerUrl')}.`,
    );
  }
  return issuerUrl ?? issuer;
}

/**
 * No audience, no start, where keys come from an identity provider: its keys sign tokens for every API of the
 * tenant, so without an audience check a token minted for another API passes here (express-oauth2-jwt-bearer
 * refuses to start the same way). `JWT_ACCEPT_ANY_AUDIENCE` is the explicit way out; it means nothing with local
 * keys (the audience is then checked exactly when `JWT_AUDIENCE` is set), nor together with an audience.
 * @returns whether tokens are accepted whatever their audience
 */
function resolveAudienceCheck(
  reader: SettingsReader,
  audience: string[] | undefined,
  remoteJwks: Rs256AuthConfig['remoteJwks'],
  trustedIssuers: Rs256AuthConfig['trustedIssuers'],
): boolean {
  const optOut = reader.read('acceptAnyAudience');
  const optOutSetting = reader.label('acceptAnyAudience');
  const audienceSetting = reader.label('audience');
  const optOutName = `${SETTINGS.acceptAnyAudience.env}=true (${SETTINGS.acceptAnyAudience.option} option)`;
  if (remoteJwks === undefined && trustedIssuers === undefined) {
    if (optOut) {
      throw new Rs256AuthError(
        'RS256_CONFIG_INVALID',
        `${optOutSetting} is true, but the keys are local: it applies only where keys come from an identity provider (${SETTINGS.jwksUri.env}, ${SETTINGS.issuerUrl.env}, ${SETTINGS.trustedIssuers.env}, keys.issuerResolver option); unset ${optOutSetting}.`,
      );
    }
    return false;
  }
  if (optOut && audience !== undefined) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${optOutSetting} is true and ${audienceSetting} is set: accept any audience, or these; unset one of them.`,
    );
  }
  if (optOut) {
    return true;
  }
  const fix = `set ${SETTINGS.audience.env} (${SETTINGS.audience.option} option) to the identifier of this API, or set ${optOutName} to accept tokens whatever their audience.`;
  if (remoteJwks !== undefined && audience === undefined) {
    const source = reader.label(remoteJwks.uri ? 'jwksUri' : 'issuerUrl');
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${source} is set but ${audienceSetting} is not: the identity provider's keys sign tokens for every API of the tenant, and without an audience check a token minted for another API passes; ${fix}`,
    );
  }
  if (trustedIssuers !== undefined) {
    const open = trustedIssuers.list.find((trusted) => trusted.audience === undefined);
    const where = open
      ? `${reader.label('trustedIssuers')} (issuer ${quotedUrl(open.issuer)}) has no audience and ${audienceSetting} is not set`
      : trustedIssuers.resolver && audience === undefined
        ? `the keys.issuerResolver option is set but ${audienceSetting} is not (the audience of the issuers it accepts, unless they give their own)`
        : undefined;
    if (where !== undefined) {
      throw new Rs256AuthError(
        'RS256_CONFIG_INVALID',
        `${where}: an issuer's keys sign tokens for every API of its tenant, and without an audience check a token minted for another API passes; give the issuer an audience, or ${fix}`,
      );
    }
  }
  return false;
}
