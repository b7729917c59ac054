import type { TokenExtractor } from '../transports/token-extractors.js';

/** Where the guard finds the token, and how its challenges name the scheme. */
export interface TransportModuleOptions {
  transport?: TransportOptions;
}

/** Where the guard finds the token, and how its challenges name the scheme. */
export interface TransportOptions {
  /**
   * `realm` announced in `WWW-Authenticate` challenges.
   * @env JWT_REALM
   * @default 'api'
   */
  realm?: string;

  /**
   * Authorization scheme of the `Authorization` header the guard reads (matched case-insensitively), and the
   * scheme its `WWW-Authenticate` challenges name. Flask-JWT clients, for instance, send `JWT <token>`.
   * @env JWT_AUTH_SCHEME
   * @default 'Bearer'
   */
  scheme?: string;

  /**
   * Also read the token from this cookie when the `Authorization` header carries none (the header wins when both
   * are present). A browser sends cookies on its own: an app that accepts one needs CSRF protection
   * (`SameSite=Strict` or `Lax` on the cookie, and a CSRF token for state-changing requests; see the README).
   * Not together with `extractor`, which replaces the built-in extractors.
   * @env JWT_COOKIE_NAME
   * @default none (cookies are not read)
   */
  cookie?: string;

  /**
   * Where the guard looks for the token, replacing the built-in extractors (`scheme`, `cookie`). Compose
   * `fromAuthHeader`, `fromCookie`, `fromQuery` with `firstOf`; `passport-jwt`'s `ExtractJwt` extractors fit too.
   * Tokens in URLs are only ever read this way, never through a setting: URLs end up in logs.
   * @env none: a function, given in code only
   * @default the Authorization header with `scheme`, then the `cookie` cookie if set
   * @example
   * import { firstOf, fromAuthHeader, fromQuery } from 'nestjs-rs256-auth';
   * Rs256AuthModule.forRoot({ transport: { extractor: firstOf(fromAuthHeader(), fromQuery('access_token')) } })
   */
  extractor?: TokenExtractor;
}
