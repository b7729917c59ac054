import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { Rs256AuthConfig } from '../options/rs256-auth-config.js';
import { RS256_AUTH_CONFIG } from '../rs256-auth.constants.js';

/**
 * Closes the signing key's custody when the module is destroyed (the application closes): closes its HSM sessions
 * (after the signs under way; the last one to close logs the process out of the token) and finalises the library.
 */
@Injectable()
export class CustodyLifecycle implements OnModuleDestroy {
  constructor(@Inject(RS256_AUTH_CONFIG) private readonly config: Rs256AuthConfig) {}

  async onModuleDestroy(): Promise<void> {
    await this.config.keySources.custody?.close();
  }
}
