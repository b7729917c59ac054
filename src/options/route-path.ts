/**
 * Routes this library adds to the HTTP adapter (the JWK Set, RFC 9728 metadata) take their paths from
 * configuration, and both routers read some characters as patterns: Express 5's path-to-regexp (`*`, `:name`,
 * `{…}`, and `( ) [ ] ? + !` as errors) and Fastify's find-my-way (`*`, `:name`, `(regex)`). A configured path must
 * be served as written, so it may hold only what neither router interprets: RFC 3986 unreserved characters
 * between slashes.
 */
const LITERAL_ROUTE_PATH = /^\/[A-Za-z0-9._~/-]*$/;

/** What a route path from configuration may look like, for an error message. */
export const LITERAL_ROUTE_PATH_EXPECTED =
  "a path starting with '/' of letters, digits and - . _ ~ between slashes (routers read * : ( ) { } as patterns)";

/** True if `path` would be served exactly as written by Express and Fastify alike. */
export function isLiteralRoutePath(path: string): boolean {
  return LITERAL_ROUTE_PATH.test(path);
}
