import { SetMetadata } from '@nestjs/common';
import type { ClaimRequirement } from '../guard/claim-requirements.js';
import { REQUIRED_CLAIMS_KEY } from '../rs256-auth.constants.js';

/**
 * Demands more of a token than validity: scopes, roles or exact claim values. A valid token that falls short
 * gets 403 with `WWW-Authenticate: Bearer error="insufficient_scope"`. On a controller and on a method, both
 * apply. Checked by `JwtAuthGuard` on every request.
 * @example
 * @UseGuards(JwtAuthGuard)
 * @RequireClaims({ scopes: ['orders:read'] })
 * @Get('orders')
 * list() {}
 */
export const RequireClaims = (requirement: ClaimRequirement): MethodDecorator & ClassDecorator => SetMetadata(REQUIRED_CLAIMS_KEY, requirement);
