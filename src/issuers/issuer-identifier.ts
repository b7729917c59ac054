import { acceptableUrl } from '../options/urls.js';

/**
 * Longest `iss` put to an `issuerResolver`. Issuer identifiers are an origin and a short path (a realm, a tenant
 * id); anything near this is not one, and every byte of it would travel into the resolver, a log line and the
 * metadata requests.
 */
export const MAX_ISSUER_LENGTH = 256;

/** A path segment that climbs (`..`) or stays (`.`), spelt plainly or percent-encoded. */
const DOT_SEGMENT = /^(?:\.|%2e){1,2}$/i;

/**
 * Why a token's `iss`, which anyone can write into an unsigned token, cannot be an issuer identifier worth asking
 * the `issuerResolver` about; `undefined` if it can. An issuer identifier is an `https:` URL (OpenID Connect
 * Discovery §3, RFC 8414 §2) with no query or fragment; `http:` only on a loopback host (or with
 * `keys.remote.allowHttp`). Userinfo and dot segments are refused too: a resolver that checks a prefix
 * (`iss.startsWith('https://id.example.com/realms/')`) would otherwise accept `…/realms/../internal/admin`, whose
 * metadata URL the URL parser resolves to another path on the provider's host, or `https://id.example.com@evil.test`.
 * The raw string is checked, not its parsed form: the parser removes dot segments and drops an empty query.
 */
export function issuerIdentifierProblem(iss: string, allowHttp: boolean): string | undefined {
  if (iss.length > MAX_ISSUER_LENGTH) return `longer than ${MAX_ISSUER_LENGTH} characters`;
  // Printable ASCII without spaces or backslashes (which the parser reads as slashes): an identifier is not spelt otherwise.
  if (!/^[\x21-\x5b\x5d-\x7e]+$/.test(iss)) return 'not printable ASCII without spaces and backslashes';
  const scheme = /^https?:\/\//.exec(iss)?.[0];
  if (scheme === undefined) return 'not an absolute https: URL';
  if (iss.includes('?') || iss.includes('#')) return 'has a query or fragment';
  const rest = iss.slice(scheme.length);
  const pathAt = rest.indexOf('/');
  const authority = pathAt < 0 ? rest : rest.slice(0, pathAt);
  if (authority.includes('@')) return 'has userinfo';
  if (
    pathAt >= 0 &&
    rest
      .slice(pathAt + 1)
      .split('/')
      .some((segment) => DOT_SEGMENT.test(segment))
  )
    return 'has a dot segment';
  let url: URL;
  try {
    url = new URL(iss);
  } catch {
    return 'not a URL';
  }
  if (url.hostname === '' || !acceptableUrl(url, allowHttp)) return 'not an https: URL (http: only for a loopback host)';
  return undefined;
}
