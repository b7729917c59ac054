// RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; the scheme is case-insensitive (RFC 7235 §2.1).
const BEARER = /^Bearer +(\S+)$/i;

/**
 * The default token extractor: `Authorization: Bearer <token>` and nothing else, so tokens never travel in URLs
 * or cookies unless the application opts in through the `jwtFromRequest` option.
 */
export function bearerTokenExtractor(request: { headers?: Record<string, string | string[] | undefined> }): string | null {
  const header = request.headers?.authorization;
  return typeof header === 'string' ? (BEARER.exec(header)?.[1] ?? null) : null;
}
