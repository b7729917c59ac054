import { Injectable } from '@nestjs/common';
import { KeyLifecycle } from '../rs256-auth.key-lifecycle.js';

/**
 * Keys fetched from issuers, on an operator's request: the JWK Set given as `JWT_JWKS_URI` or found by discovery from
 * `JWT_ISSUER_URL` (with several issuers, every issuer's set, and the key files of issuers with local keys), fetched
 * now, as `SIGHUP` does (see KeyLifecycle). When keys are fetched otherwise is RemoteKeySource's to decide.
 */
@Injectable()
export class RemoteJwks {
  constructor(private readonly lifecycle: KeyLifecycle) {}

  /**
   * Fetches the set now, whatever the cooldown: an operator's request, not a token's. Resolves to whether a key set
   * changed.
   */
  refreshNow(): Promise<boolean> {
    return this.lifecycle.reload('operator');
  }
}
