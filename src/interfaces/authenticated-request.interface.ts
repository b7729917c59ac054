import type { JwtClaims } from './jwt-claims.interface.js';

/**
 * What `JwtAuthGuard` adds to a request it lets through: `user` is what the strategy's `validate` returned (the
 * verified claims, unless a `strategy` maps them to the application's user) and `authInfo` the verified claims.
 * Intersect it with the platform's request type; no global type is changed, so apps that use passport's
 * `Express.User` for something else keep their typing.
 * @example
 * import type { Request } from 'express';
 * @Get('me')
 * me(@Req() req: Request & AuthenticatedRequest) {
 *   return req.user.sub; // string | undefined, no cast
 * }
 * // with a strategy whose validate returns an AppUser:
 * me(@Req() req: AuthenticatedRequest<AppUser>) { return req.user.name; }
 */
export interface AuthenticatedRequest<TUser = JwtClaims> {
  user: TUser;
  authInfo: JwtClaims;
}
