import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { JwtClaims } from '../interfaces/jwt-claims.interface.js';
import { ownClaim } from '../token/token-verifier.js';
import { transportOf } from '../transports/transports.js';

/**
 * Hands a guarded handler the verified claims of its token, or one claim by name (a claim the token carries
 * itself, or `undefined`): in a controller, a resolver, a gateway message handler or a microservice message handler
 * alike. `undefined` on an `@OptionalAuth()` handler reached without a token.
 * @example
 * @Get('me')
 * me(@Claims() claims: JwtClaims, @Claims('sub') subject: string) {}
 */
export const Claims = createParamDecorator((claim: string | undefined, context: ExecutionContext) => {
  // The strategy passes the verified claims as passport's `info`, which lands in `authInfo` of the transport's
  // carrier (the request on HTTP) even when a custom `validate` maps `user` to something else.
  const claims = transportOf(context).carrier(context).authInfo as JwtClaims | undefined;
  if (claim === undefined || claims === undefined) {
    return claims;
  }
  // The token's own claim only: `@Claims('constructor')` must not hand out Object.prototype's.
  return ownClaim(claims, claim);
});
