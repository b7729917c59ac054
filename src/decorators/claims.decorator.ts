import { createParamDecorator, type ExecutionContext } from '@nestjs/common';

/**
 * Hands a guarded handler the verified claims of its token, or one claim by name.
 * @example
 * @Get('me')
 * me(@Claims() claims: JwtClaims, @Claims('sub') subject: string) {}
 */
export const Claims = createParamDecorator((claim: string | undefined, context: ExecutionContext) => {
  // The strategy passes the verified claims as passport's `info`, which lands in `request.authInfo` even when a
  // custom `validate` maps `request.user` to something else.
  const claims = context.switchToHttp().getRequest<{ authInfo?: Record<string, unknown> }>().authInfo;
  return claim === undefined ? claims : claims?.[claim];
});
