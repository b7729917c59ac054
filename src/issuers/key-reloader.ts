import { Injectable } from '@nestjs/common';
import { KeyLifecycle } from '../rs256-auth.key-lifecycle.js';

/**
 * Re-reads the module's keys without a restart, as `SIGHUP` does (see KeyLifecycle): local key files are read again
 * (a new set that passes every start-up check replaces the old one at once; one that fails leaves the old set
 * serving and logs one error naming the setting and file), and where keys are fetched, the JWK Sets are fetched now.
 */
@Injectable()
export class KeyReloader {
  constructor(private readonly lifecycle: KeyLifecycle) {}

  /**
   * Reloads now, after any reload under way. Resolves to whether the new set took over; on failure the current set
   * stays in force (it never rejects).
   */
  reload(): Promise<boolean> {
    return this.lifecycle.reload('operator');
  }
}
