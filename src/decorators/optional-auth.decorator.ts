import { SetMetadata } from '@nestjs/common';
import { OPTIONAL_AUTH_KEY } from '../rs256-auth.constants.js';

/**
 * Lets a route, resolver, message handler or controller run without a token: a request that carries none reaches
 * the handler anonymously (`@Claims()` is `undefined`), while a token that is present must still be valid, so a
 * bad or expired token is refused exactly as on a guarded route. Works in every transport `JwtAuthGuard` guards.
 * @example
 * @OptionalAuth()
 * @Get('greeting')
 * greet(@Claims('sub') subject?: string) { return subject ? `hello ${subject}` : 'hello stranger'; }
 */
export const OptionalAuth = (): MethodDecorator & ClassDecorator => SetMetadata(OPTIONAL_AUTH_KEY, true);
