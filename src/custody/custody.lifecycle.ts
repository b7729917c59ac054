import { Injectable, type OnModuleDestroy } from '@nestjs/common';
import { KeyStore } from '../keys/key-store.js';

/**
 * Closes the signing key's custody when the module is destroyed (the application closes): closes its HSM sessions
 * (after the signs under way; the last one to close logs the process out of the token) and finalises the library.
 */
@Injectable()
export class CustodyLifecycle implements OnModuleDestroy {
  constructor(private readonly keyStore: KeyStore) {}

  async onModuleDestroy(): Promise<void> {
    // Every set built while the module ran holds the same custody: the one in force is enough.
    await this.keyStore.keys.custody?.close();
  }
}
