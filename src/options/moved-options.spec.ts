import { refuseMovedOptions } from './moved-options.js';

describe('refuseMovedOptions', () => {
  it('names the new path of a key option given at the top level', () => {
    expect(() => refuseMovedOptions({ jwksUri: 'https://id.example.com/jwks', remote: { cooldown: 30 } })).toThrow(
      'Options moved when they were grouped by concern: jwksUri is now keys.jwksUri; remote is now keys.remote.',
    );
  });

  it('names the new name of a renamed key option moved under keys by its old name', () => {
    expect(() => refuseMovedOptions({ keys: { privateKeyPath: 'keys/private.pem', watchKeyFiles: true, keyRotation: { interval: '30d' } } })).toThrow(
      'Options moved when they were grouped by concern: keys.watchKeyFiles is now keys.watchFiles; keys.keyRotation is now keys.rotation.',
    );
  });

  it('accepts the nested shape, per-issuer jwksUri and publicKeyPath included', () => {
    expect(() =>
      refuseMovedOptions({
        keys: {
          trustedIssuers: [
            { issuer: 'https://a.test', jwksUri: 'https://a.test/keys' },
            { issuer: 'b', publicKeyPath: 'keys/b.pem' },
          ],
          remote: { cooldown: 30 },
          watchFiles: true,
          reloadOnSignal: true,
        },
        tokens: { audience: 'api' },
        publishing: { jwks: false },
        sessions: true,
        mtls: {},
        dpop: { mode: 'allowed' },
        observability: {},
        transport: {},
        verification: {},
        ignoreEnv: [],
      }),
    ).not.toThrow();
    expect(() => refuseMovedOptions({ keys: { rotation: { interval: '30d' } } })).not.toThrow();
  });
});
