import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import { redactedUrl } from '../observability/redacted-url.js';
import type { SettingsReader } from './from-env.js';
import { invalid, shown } from './parse.js';
import { isLiteralRoutePath, LITERAL_ROUTE_PATH_EXPECTED } from './route-path.js';
import type { Rs256AuthConfig } from './rs256-auth-config.js';
import { SETTINGS, type SettingKey } from './settings.js';
import { absoluteHttpsUrl } from './urls.js';

/** Settings of the JWK Set endpoint, meaningless while the endpoint is off. */
const JWKS_ENDPOINT_SETTINGS = ['jwksPath', 'jwksMaxAge'] as const satisfies readonly SettingKey[];

/** RFC 9728 §3.1: the well-known segment goes between the host and the path of the resource identifier. */
const RESOURCE_METADATA_SEGMENT = '/.well-known/oauth-protected-resource';

const TURN_JWKS_ON = `${SETTINGS.jwksEnabled.env}=true, or the ${SETTINGS.jwksEnabled.option} option`;

/** The JWK Set endpoint, and the discovery metadata that names it. */
export function resolvePublishing(
  reader: SettingsReader,
  issuer: string | undefined,
  fetchesKeys: boolean,
): Pick<Rs256AuthConfig, 'jwks' | 'discovery'> {
  const jwks = reader.read('jwksEnabled') ? resolveJwks(reader) : refuseJwksSettings(reader);
  if (!reader.read('discovery')) {
    return { jwks };
  }
  const setting = reader.label('discovery');
  if (fetchesKeys) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${setting} is true, but this application verifies with another issuer's keys (${SETTINGS.jwksUri.env}, ${SETTINGS.issuerUrl.env} or ${SETTINGS.trustedIssuers.env}): ` +
        `only the issuer publishes its metadata; unset ${setting}.`,
    );
  }
  const url = issuer === undefined ? undefined : absoluteHttpsUrl(issuer);
  // OpenID Connect Discovery §3, RFC 8414 §2: an https URL with no query or fragment.
  if (issuer === undefined || url === undefined || url.search !== '' || url.hash !== '') {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${setting} is true, but ${reader.label('issuer')} is ${issuer === undefined ? 'not set' : shown(issuer, false)}; ` +
        'expected the https: URL this application is reached at, without query or fragment (http: only for loopback), as the issuer its metadata names.',
    );
  }
  if (!jwks) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${setting} is true, but the JWK Set endpoint is off; turn it on (${TURN_JWKS_ON}): the metadata names it as jwks_uri.`,
    );
  }
  const path = url.pathname.replace(/\/$/, '');
  return {
    jwks,
    discovery: {
      issuer,
      paths: [`${path}/.well-known/openid-configuration`, `/.well-known/oauth-authorization-server${path}`],
      jwksUri: `${url.origin}${jwks.path}`,
    },
  };
}

function resolveJwks(reader: SettingsReader): Rs256AuthConfig['jwks'] {
  const path = reader.read('jwksPath');
  if (!isLiteralRoutePath(path)) {
    throw invalid(reader.label('jwksPath'), path, LITERAL_ROUTE_PATH_EXPECTED);
  }
  return { path, maxAge: reader.read('jwksMaxAge') };
}

/** With the endpoint off, a path or max-age for it means a mistake: the endpoint was meant to be on, or they are stale. */
function refuseJwksSettings(reader: SettingsReader): undefined {
  const enabled = reader.raw('jwksEnabled');
  const enabledSetting = reader.label('jwksEnabled');
  for (const name of JWKS_ENDPOINT_SETTINGS) {
    const value = reader.raw(name);
    if (value !== undefined) {
      const setting = reader.label(name);
      const state = enabled === undefined ? `${enabledSetting} is not set` : `${enabledSetting} is ${shown(enabled, false)}`;
      throw new Rs256AuthError(
        'RS256_CONFIG_INVALID',
        `${setting} is ${shown(value, false)}, but the JWK Set endpoint is off (${state}); turn it on (${TURN_JWKS_ON}) or unset ${setting}.`,
      );
    }
  }
  return undefined;
}

/**
 * The resource identifier defaults to the first audience when that is a URL (RFC 9068 tokens name the resource in
 * `aud`); the authorization servers default to the configured issuer(s).
 */
export function resolveResourceMetadata(
  reader: SettingsReader,
  audience: string[] | undefined,
  issuers: string[],
): Rs256AuthConfig['resourceMetadata'] {
  const given = reader.read('resource');
  const value = given ?? audience?.[0];
  const setting = given !== undefined ? reader.label('resource') : `${reader.label('resource')} (or the first ${SETTINGS.audience.env})`;
  const resource = value === undefined ? undefined : absoluteHttpsUrl(value);
  // RFC 9728 §1.2: an https URL without a query or fragment.
  if (value === undefined || resource === undefined || resource.search !== '' || resource.hash !== '') {
    throw invalid(
      setting,
      value === undefined ? value : redactedUrl(value),
      'the https: URL that identifies this resource server, without query or fragment (http: only for loopback)',
    );
  }
  const servers = reader.read('authorizationServers');
  const authorizationServers = servers ?? issuers;
  const notUrl = authorizationServers.find((server) => absoluteHttpsUrl(server) === undefined);
  if (notUrl !== undefined) {
    const serversSetting = servers
      ? reader.label('authorizationServers')
      : `${SETTINGS.issuer.env} (${SETTINGS.authorizationServers.env} defaults to the issuers)`;
    throw invalid(serversSetting, redactedUrl(notUrl), 'https: issuer identifiers');
  }
  const path = RESOURCE_METADATA_SEGMENT + (resource.pathname === '/' ? '' : resource.pathname);
  if (!isLiteralRoutePath(path)) {
    throw invalid(setting, value, `a resource URL whose path is ${LITERAL_ROUTE_PATH_EXPECTED}`);
  }
  return { resource: value, authorizationServers, path, url: `${resource.origin}${path}` };
}
