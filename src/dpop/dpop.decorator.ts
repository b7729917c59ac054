import { SetMetadata } from '@nestjs/common';
import { DPOP_MODE_KEY } from '../rs256-auth.constants.js';
import { DPOP_MODES, type DpopMode } from '../options/dpop-config.js';

/**
 * DPoP (RFC 9449) for one route or controller, overriding `JWT_DPOP`: `'required'` accepts DPoP-bound tokens with
 * their proof only, `'allowed'` bearer tokens too, `'off'` bearer tokens only. The method's decorator overrides the
 * class's. Proofs are checked over HTTP (GraphQL over HTTP included); see docs/dpop.md for the other transports.
 * @example
 * @Dpop('required')
 * @Post('transfers')
 * transfer(@Claims('sub') subject: string) { … }
 */
export function Dpop(mode: DpopMode = 'required'): MethodDecorator & ClassDecorator {
  if (!(DPOP_MODES as readonly string[]).includes(mode)) {
    throw new TypeError(`@Dpop: mode "${String(mode)}" is not one of ${DPOP_MODES.join(', ')}`);
  }
  return SetMetadata(DPOP_MODE_KEY, mode);
}
