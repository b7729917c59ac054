// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; the scheme is case-insensitive (RFC 7235 §2.1).
const BEARER = /^Bearer +(\S+)$/i;

/**
 * The default token extractor: `Authorization: Bearer <token>` and nothing else, so tokens never travel in URLs
 * or cookies unless the application opts in through the `jwtFromRequest` option.
 */
export function bearerTokenExtractor(request: { headers?: Record<string, string | string[] | undefined> }): string | null {
  return bearerToken(request.headers?.authorization);
}

/** The token of an `Authorization`-style value (`Bearer <token>`), wherever a transport carries one; else `null`. */
export function bearerToken(value: unknown): string | null {
  return typeof value === 'string' ? (BEARER.exec(value)?.[1] ?? null) : null;
}
