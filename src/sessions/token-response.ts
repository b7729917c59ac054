import type { SessionTokens } from './session.service.js';

/**
 * An OAuth 2.0 access token response (RFC 6749 §5.1), the JSON a client library expects from a sign-in or refresh
 * route. Send it with `Cache-Control: no-store` (RFC 6749 §5.1).
 */
export interface OAuthTokenResponse {
  access_token: string;
  /** `DPoP` for a token bound to the client's DPoP key (RFC 9449 §5). */
  token_type: 'Bearer' | 'DPoP';
  /** Seconds the access token lives. */
  expires_in: number;
  /** Single-use: the next refresh needs the one that comes back with it. */
  refresh_token: string;
  /** Seconds the refresh token lives unused; not in RFC 6749, named as Keycloak names it. */
  refresh_expires_in: number;
}

/**
 * What `SessionService.issue()` and `refresh()` return, in the shape an OAuth 2.0 client reads.
 * @example
 * @Post('refresh') @Header('Cache-Control', 'no-store')
 * async refresh(@Body('refresh_token') token: string) { return toTokenResponse(await this.sessions.refresh(token)); }
 */
export function toTokenResponse(tokens: SessionTokens): OAuthTokenResponse {
  return {
    access_token: tokens.accessToken,
    token_type: tokens.tokenType,
    expires_in: tokens.expiresIn,
    refresh_token: tokens.refreshToken,
    refresh_expires_in: tokens.refreshExpiresIn,
  };
}
