import { rsaPair, type RsaPair } from '../../test/support/keys.js';
import { rs256Token } from '../../test/support/tokens.js';
import { KeySet, verificationKey } from '../keys/key-set.js';
import type { ChosenKey, KeySource, UncheckedToken } from '../keys/key-source.js';
import { KeyStore } from '../keys/key-store.js';
import { StoredKeySource } from '../keys/stored-key-source.js';
import { TokenVerifier } from './token-verifier.js';

const NOW = 1_800_000_000;
let main: RsaPair;
let other: RsaPair;
beforeAll(() => {
  main = rsaPair();
  other = rsaPair();
});

const claims = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({ sub: 'u', iat: NOW - 10, exp: NOW + 100, ...extra });

describe('TokenVerifier built from keys and policy alone (no configuration, no key files)', () => {
  it('verifies with one public key and checks the policy it was given', () => {
    const verifier = new TokenVerifier(main.publicKey, { issuer: 'https://issuer.test', audience: ['api'], requiredClaims: ['sub'] });
    const good = rs256Token(main.privateKey, claims({ iss: 'https://issuer.test', aud: 'api' }));
    expect(verifier.verify(good, NOW)).toMatchObject({ sub: 'u', aud: 'api' });
    expect(() => verifier.verify(rs256Token(main.privateKey, claims({ iss: 'https://issuer.test', aud: 'other' })), NOW)).toThrow(
      expect.objectContaining({ code: 'RS256_TOKEN_AUDIENCE' }),
    );
    expect(() => verifier.verify(rs256Token(main.privateKey, claims({ iss: 'https://elsewhere.test', aud: 'api' })), NOW)).toThrow(
      expect.objectContaining({ code: 'RS256_TOKEN_ISSUER' }),
    );
    expect(() => verifier.verify(rs256Token(other.privateKey, claims({ iss: 'https://issuer.test', aud: 'api' })), NOW)).toThrow(
      expect.objectContaining({ code: 'RS256_TOKEN_SIGNATURE' }),
    );
  });

  it('applies the documented defaults where the policy is silent (clock tolerance of 5 s, RS256 only)', () => {
    const verifier = new TokenVerifier(main.publicKey);
    expect(verifier.verify(rs256Token(main.privateKey, claims({ exp: NOW - 4 })), NOW).sub).toBe('u');
    expect(() => verifier.verify(rs256Token(main.privateKey, claims({ exp: NOW - 5 })), NOW)).toThrow(
      expect.objectContaining({ code: 'RS256_TOKEN_EXPIRED' }),
    );
    expect(() => verifier.verify(rs256Token(main.privateKey, claims(), { alg: 'RS512' }), NOW)).toThrow(
      expect.objectContaining({ code: 'RS256_TOKEN_ALGORITHM' }),
    );
  });

  it('selects among keys given by kid, and refuses a kid it was not given', () => {
    const verifier = new TokenVerifier([
      { kid: 'main', key: main.publicKey },
      { kid: 'other', key: other.publicKey },
    ]);
    expect(verifier.verify(rs256Token(other.privateKey, claims(), { kid: 'other' }), NOW).sub).toBe('u');
    expect(() => verifier.verify(rs256Token(main.privateKey, claims(), { kid: 'gone' }), NOW)).toThrow(
      expect.objectContaining({ code: 'RS256_TOKEN_KID_UNKNOWN' }),
    );
  });

  it('asks any KeySource for the key, and starts its cache over when the source says its keys changed', () => {
    const store = new KeyStore(new KeySet([verificationKey('k', main.publicKey)]));
    const asked: unknown[] = [];
    // A source of its own, as a rotation or HSM source would be: the verifier sees only the KeySource interface.
    class CountingSource extends StoredKeySource {
      override keyFor(token: UncheckedToken): ChosenKey {
        asked.push(token.kid);
        return super.keyFor(token);
      }
    }
    const source: KeySource = new CountingSource(store);
    const verifier = new TokenVerifier(source, { cacheSize: 10 });
    const token = rs256Token(main.privateKey, claims(), { kid: 'k' });
    verifier.verify(token, NOW);
    verifier.verify(token, NOW);
    expect(asked).toEqual(['k']);
    expect(verifier.cachedTokens).toBe(1);
    store.replace(new KeySet([verificationKey('k', other.publicKey)]));
    expect(() => verifier.verify(token, NOW)).toThrow(expect.objectContaining({ code: 'RS256_TOKEN_SIGNATURE' }));
    expect(verifier.cachedTokens).toBe(0);
  });
});
