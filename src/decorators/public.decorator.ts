import { SetMetadata } from '@nestjs/common';
import { IS_PUBLIC_KEY } from '../rs256-auth.constants.js';

/**
 * Lets a route, or every route of a controller, through `JwtAuthGuard` when the guard is global.
 * @example
 * @Public()
 * @Get('health')
 * health() { return { status: 'ok' }; }
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);
