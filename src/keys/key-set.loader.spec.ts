import { createKeyFiles, type KeyFiles } from '../../test/support/keys.js';
import { loadKeySet } from './key-set.loader.js';

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

describe('loadKeySet', () => {
  it('reads key files without blocking the event loop, at start-up as on reloads', async () => {
    const order: string[] = [];
    const sources = {
      privateKey: { setting: 'JWT_PRIVATE_KEY_PATH', path: keys.privatePath, inlineSetting: 'JWT_PRIVATE_KEY' },
      passphrase: { setting: 'JWT_PRIVATE_KEY_PASSPHRASE' },
      publicKeys: [{ setting: 'JWT_PUBLIC_KEY_PATH', path: keys.publicPath, inlineSetting: 'JWT_PUBLIC_KEY' }],
    };
    const loaded = Promise.resolve(loadKeySet(sources)).then((keySet) => {
      order.push('keys read');
      return keySet;
    });
    // Queued after the load began: it runs first only if the load gives the event loop back while files are read.
    setImmediate(() => order.push('event loop turned'));
    expect((await loaded).signingKid).toBeDefined();
    expect(order).toEqual(['event loop turned', 'keys read']);
  });
});
