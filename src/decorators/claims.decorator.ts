import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ownClaim, type JwtClaims } from '../token/token-verifier.js';

/**
 * Hands a guarded handler the verified claims of its token, or one claim by name (a claim the token carries
 * itself, or `undefined`).
 * @example
 * @Get('me')
 * me(@Claims() claims: JwtClaims, @Claims('sub') subject: string) {}
 */
export const Claims = createParamDecorator((claim: string | undefined, context: ExecutionContext) => {
  // The strategy passes the verified claims as passport's `info`, which lands in `request.authInfo` even when a
  // custom `validate` maps `request.user` to something else.
  const claims = context.switchToHttp().getRequest<{ authInfo?: JwtClaims }>().authInfo;
  if (claim === undefined || claims === undefined) {
    return claims;
  }
  // The token's own claim only: `@Claims('constructor')` must not hand out Object.prototype's.
  return ownClaim(claims, claim);
});
