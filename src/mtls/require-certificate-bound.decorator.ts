import { SetMetadata } from '@nestjs/common';
import { CERTIFICATE_BOUND_KEY } from '../rs256-auth.constants.js';

/**
 * Accepts only certificate-bound tokens (RFC 8705 §3) on this route or controller, presented over a connection with
 * the certificate their `cnf.x5t#S256` names: `JWT_MTLS_BOUND=required` for these routes alone, whatever the module's
 * setting (with the module's `certificateHeader` and `trustedProxies`, if any). A refusal is a 401 `invalid_token`
 * (`RS256_TOKEN_MTLS_UNBOUND`, `RS256_TOKEN_MTLS_CERTIFICATE_MISSING`, ...). `@Public()` still opens a route.
 * @example
 * @UseGuards(JwtAuthGuard)
 * @RequireCertificateBound()
 * @Post('payments')
 * pay() {}
 */
export const RequireCertificateBound = (): MethodDecorator & ClassDecorator => SetMetadata(CERTIFICATE_BOUND_KEY, true);
