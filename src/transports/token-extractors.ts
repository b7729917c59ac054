/**
 * Takes the token out of a request; return `null` or `undefined` when there is none. Extractors from
 * `passport-jwt`'s `ExtractJwt` fit this type unchanged.
 */
// The request is `any` on purpose: each platform (Express, Fastify, a GraphQL context) has its own request type,
// and passport-jwt's extractors are typed the same way.
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- see above.
export type TokenExtractor = (request: any) => string | null | undefined;

/** The parts of a request the built-in extractors read; Express and Fastify requests both have them. */
interface HttpRequestLike {
  headers?: Record<string, string | string[] | undefined>;
  url?: string;
}

/** RFC 7230 §3.2.6 `token`: what an authorization scheme (RFC 7235 §2.1) and a cookie name (RFC 6265 §4.1.1) are. */
export const HTTP_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const SPACE = 0x20;
const UPPER_A = 0x41;
const UPPER_Z = 0x5a;

/**
 * `Authorization: <scheme> <token>`. The scheme is matched case-insensitively (RFC 7235 §2.1); one or more spaces
 * separate it from the token, as RFC 6750 §2.1 allows. What follows the spaces is returned as it is: the verifier
 * takes nothing but the three base64url segments of a signed token, so a value with white space or any other odd
 * character in it is refused there, as a malformed token, without this extractor scanning every character of every
 * header first.
 * @example fromAuthHeader('JWT') // Flask-JWT clients send `Authorization: JWT <token>`
 */
export function fromAuthHeader(scheme = 'Bearer'): TokenExtractor {
  if (!HTTP_TOKEN.test(scheme)) {
    throw new TypeError(`fromAuthHeader: scheme "${scheme}" is not an HTTP token (letters, digits and !#$%&'*+.^_\`|~-)`);
  }
  const lowerCase = scheme.toLowerCase();
  return (request: HttpRequestLike) => {
    const header = request.headers?.authorization;
    if (typeof header !== 'string' || header.charCodeAt(scheme.length) !== SPACE || !startsWithScheme(header, lowerCase)) {
      return null;
    }
    let start = scheme.length + 1;
    while (header.charCodeAt(start) === SPACE) {
      start++;
    }
    return start < header.length ? header.slice(start) : null;
  };
}

/**
 * True when `value` starts with the scheme, ASCII letters compared without case: a scheme is an HTTP token, all
 * ASCII, and no other character (`ſ` or the Kelvin sign, say) may stand for one of its letters.
 */
function startsWithScheme(value: string, lowerCaseScheme: string): boolean {
  for (let i = 0; i < lowerCaseScheme.length; i++) {
    const code = value.charCodeAt(i);
    if ((code >= UPPER_A && code <= UPPER_Z ? code + 0x20 : code) !== lowerCaseScheme.charCodeAt(i)) {
      return false;
    }
  }
  return true;
}

/**
 * The value of one cookie, read from the `Cookie` header itself (no cookie parser needed). A value in double
 * quotes is unquoted; with the name repeated, the first wins (browsers send the most specific path first).
 * A cookie is sent by the browser on its own, so an app that accepts one needs CSRF protection (see the README).
 */
export function fromCookie(name: string): TokenExtractor {
  if (!HTTP_TOKEN.test(name)) {
    throw new TypeError(`fromCookie: name "${name}" is not a cookie name (letters, digits and !#$%&'*+.^_\`|~-)`);
  }
  return (request: HttpRequestLike) => {
    const header = request.headers?.cookie;
    if (typeof header !== 'string') {
      return null;
    }
    for (const pair of header.split(';')) {
      const equals = pair.indexOf('=');
      if (equals > 0 && pair.slice(0, equals).trim() === name) {
        const value = pair.slice(equals + 1).trim();
        const unquoted = value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
        return unquoted || null;
      }
    }
    return null;
  };
}

/**
 * A query-string parameter, e.g. `?access_token=…` (RFC 6750 §2.3). Opt-in in code only, never a setting: URLs
 * end up in access logs, browser history and `Referer` headers, so use it only where nothing else can carry a
 * token (a WebSocket handshake or an `EventSource` from a browser).
 */
export function fromQuery(name: string): TokenExtractor {
  return (request: HttpRequestLike) => {
    const url = request.url ?? '';
    const query = url.indexOf('?');
    return query < 0 ? null : new URLSearchParams(url.slice(query + 1)).get(name) || null;
  };
}

/** Tries each extractor in turn and returns the first token found. */
export function firstOf(...extractors: TokenExtractor[]): TokenExtractor {
  return (request) => {
    for (const extractor of extractors) {
      const token = extractor(request);
      if (token) {
        return token;
      }
    }
    return null;
  };
}

/**
 * The token of an `Authorization`-style value that a transport carries outside HTTP headers (a GraphQL
 * subscription's `connectionParams`, a microservice message's payload), read by the configured extractor as if it
 * were that header: the same scheme (`JWT_AUTH_SCHEME`) on every transport.
 */
export function tokenOfAuthorization(value: unknown, extract: TokenExtractor): string | null | undefined {
  return typeof value === 'string' ? extract({ headers: { authorization: value } }) : null;
}

/** `Authorization: Bearer <token>` and nothing else: the default when no scheme or cookie is configured. */
export const bearerTokenExtractor: TokenExtractor = fromAuthHeader('Bearer');
