import { resolveRs256AuthConfig } from './resolve.js';
import type { Rs256AuthModuleOptions } from './rs256-auth-options.interface.js';
import { createKeyFiles, type KeyFiles } from '../../test/support/keys.js';

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

/**
 * Every value reachable from `root`, with its path, that is not frozen plain data: an object or array that is not
 * frozen, an instance of any class (a key store, a URL, a Map), or a function where no application callback goes.
 */
function notPlainData(root: unknown, callbacks: readonly string[]): string[] {
  const found: string[] = [];
  const pending: [string, unknown][] = [['config', root]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [path, value] = next;
    if (typeof value === 'function') {
      if (!callbacks.includes(path)) found.push(`${path}: a function`);
    } else if (typeof value === 'object' && value !== null) {
      const prototype = Object.getPrototypeOf(value) as unknown;
      if (prototype !== Object.prototype && prototype !== Array.prototype && prototype !== null) {
        found.push(`${path}: an instance of ${(value as object).constructor.name}`);
        continue;
      }
      if (!Object.isFrozen(value)) found.push(`${path}: not frozen`);
      for (const [key, child] of Object.entries(value)) pending.push([`${path}.${key}`, child]);
    }
  }
  return found;
}

describe('the resolved configuration is frozen plain data', () => {
  it.each<[string, () => Rs256AuthModuleOptions, string[]]>([
    [
      'local keys that sign, with sessions',
      () => ({
        keys: { privateKeyPath: keys.privatePath, publicKeyPath: keys.publicPath },
        sessions: true,
        tokens: { issuer: 'https://issuer.test', audience: ['api'] },
      }),
      ['config.jwtFromRequest'],
    ],
    [
      'one issuer found by discovery',
      () => ({ keys: { issuerUrl: 'https://issuer.test' }, transport: { extractor: () => null }, tokens: { audience: 'api' } }),
      ['config.jwtFromRequest'],
    ],
    [
      'several issuers and a resolver',
      () => ({
        keys: {
          trustedIssuers: [
            { issuer: 'https://a.test', jwksUri: 'https://a.test/jwks' },
            { issuer: 'https://b.test', publicKeyPath: keys.publicPath },
          ],
          issuerResolver: () => undefined,
        },
        tokens: { audience: 'api' },
      }),
      ['config.jwtFromRequest', 'config.trustedIssuers.resolver'],
    ],
  ])('%s: frozen all the way down, no key store, no function but the application callbacks', async (_, options, callbacks) => {
    const config = await resolveRs256AuthConfig(options());
    expect(notPlainData(config, callbacks)).toEqual([]);
    expect(Object.keys(config)).not.toContain('keyStore');
    expect(() => {
      (config as { issuer?: string }).issuer = 'https://elsewhere.test';
    }).toThrow(TypeError);
  });
});

it("freezes a copy: the arrays the application passed as options stay the application's to change", async () => {
  const audience = ['api'];
  const trusted = { issuer: 'https://a.test', jwksUri: 'https://a.test/jwks', audience: ['a-api'] };
  const config = await resolveRs256AuthConfig({ keys: { trustedIssuers: [trusted] }, tokens: { audience } });
  expect(Object.isFrozen(audience)).toBe(false);
  expect(Object.isFrozen(trusted.audience)).toBe(false);
  expect(config.trustedIssuers?.list[0].audience).toEqual(['a-api']);
  expect(Object.isFrozen(config.trustedIssuers?.list[0].audience)).toBe(true);
});
