import { acceptableUrl } from '../options/urls.js';
import { fetchJson } from './bounded-fetch.js';
import { quotedUrl, redactedUrl } from '../observability/redacted-url.js';
import { SETTINGS } from '../options/settings.js';

/**
 * The metadata locations of an issuer, in the order they are tried: OpenID Connect Discovery 1.0 §4 appends
 * `/.well-known/openid-configuration` to the issuer; RFC 8414 §3 inserts `/.well-known/oauth-authorization-server`
 * between the host and the issuer's path.
 */
function metadataUrls(issuer: string): URL[] {
  const url = new URL(issuer);
  const path = url.pathname === '/' ? '' : url.pathname.replace(/\/$/, '');
  return [new URL(`${url.origin}${path}/.well-known/openid-configuration`), new URL(`${url.origin}/.well-known/oauth-authorization-server${path}`)];
}

/**
 * Finds an issuer's `jwks_uri` from its metadata. The document's `issuer` must equal the configured issuer exactly
 * (OpenID Connect Discovery §4.3, RFC 8414 §3.3): otherwise another server's keys could pass for this issuer's
 * (a mix-up). A missing document at the first location (any status but 200) moves on to the next; an issuer that
 * cannot be reached fails at once.
 * @throws Error saying what was wrong, without quoting more of the document than the values at fault
 */
export async function discoverJwksUri(issuer: string, options: { timeoutMs: number; maxBytes: number; allowHttp: boolean }): Promise<URL> {
  for (const location of metadataUrls(issuer)) {
    const metadata = await fetchJson(location, options.timeoutMs, options.maxBytes);
    if (metadata === undefined) {
      continue;
    }
    if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
      throw new Error(`${redactedUrl(location)} is not a JSON object`);
    }
    const document = metadata as Record<string, unknown>;
    if (document.issuer !== issuer) {
      throw new Error(`${redactedUrl(location)} names issuer ${quotedUrl(String(document.issuer).slice(0, 200))}, not ${quotedUrl(issuer)}`);
    }
    let jwksUri: URL | undefined;
    try {
      jwksUri = typeof document.jwks_uri === 'string' ? new URL(document.jwks_uri) : undefined;
    } catch {
      jwksUri = undefined;
    }
    if (!jwksUri || !acceptableUrl(jwksUri, options.allowHttp)) {
      throw new Error(
        `${redactedUrl(location)} has no usable jwks_uri (an https: URL; http: only for loopback or with ${SETTINGS.jwksAllowHttp.env}=true)`,
      );
    }
    return jwksUri;
  }
  throw new Error(
    `no metadata at ${metadataUrls(issuer)
      .map((url) => redactedUrl(url))
      .join(' or ')}`,
  );
}
