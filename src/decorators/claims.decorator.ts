import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { transportOf } from '../transports/transports.js';

/**
 * Hands a guarded handler the verified claims of its token, or one claim by name: in a controller, a resolver, a
 * gateway message handler or a microservice message handler alike. `undefined` on an `@OptionalAuth()` handler
 * reached without a token.
 * @example
 * @Get('me')
 * me(@Claims() claims: JwtClaims, @Claims('sub') subject: string) {}
 */
export const Claims = createParamDecorator((claim: string | undefined, context: ExecutionContext) => {
  // The strategy passes the verified claims as passport's `info`, which lands in `authInfo` of the transport's
  // carrier (the request on HTTP) even when a custom `validate` maps `user` to something else.
  const claims = transportOf(context).carrier(context).authInfo as Record<string, unknown> | undefined;
  return claim === undefined ? claims : claims?.[claim];
});
