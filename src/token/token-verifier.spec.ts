import { resolveRs256AuthConfig } from '../config/rs256-auth.config.js';
import type { Rs256AuthModuleOptions } from '../interfaces/rs256-auth-options.interface.js';
import { createKeyFiles, type KeyFiles } from '../../test/support/keys.js';
import { rs256Token } from '../../test/support/tokens.js';
import { TokenVerifier } from './token-verifier.js';

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

const NOW = 1_800_000_000;

function verifier(options: Rs256AuthModuleOptions = {}): TokenVerifier {
  return new TokenVerifier(resolveRs256AuthConfig({ publicKeyPath: keys.publicPath, ...options }));
}

function token(claims: Record<string, unknown>): string {
  return rs256Token(keys.main.privateKey, { sub: 'u', iat: NOW - 10, ...claims });
}

describe('TokenVerifier time checks against an explicit clock', () => {
  it('accepts up to the second before exp and refuses from exp on (RFC 7519 §4.1.4)', () => {
    const t = token({ exp: NOW });
    expect(verifier().verify(t, NOW - 1).sub).toBe('u');
    expect(() => verifier().verify(t, NOW - 0.001)).not.toThrow();
    expect(() => verifier().verify(t, NOW)).toThrow('token expired');
    expect(() => verifier().verify(t, NOW + 1)).toThrow(expect.objectContaining({ code: 'RS256_TOKEN_EXPIRED' }));
  });

  it('extends exp by exactly the clock tolerance', () => {
    const t = token({ exp: NOW });
    const lenient = verifier({ clockTolerance: 30 });
    expect(() => lenient.verify(t, NOW + 29)).not.toThrow();
    expect(() => lenient.verify(t, NOW + 30)).toThrow('token expired');
  });

  it('refuses before nbf, and accepts it earlier by the tolerance', () => {
    const t = token({ exp: NOW + 600, nbf: NOW + 60 });
    expect(() => verifier().verify(t, NOW + 59)).toThrow('token not yet valid');
    expect(() => verifier().verify(t, NOW + 60)).not.toThrow();
    expect(() => verifier({ clockTolerance: 60 }).verify(t, NOW)).not.toThrow();
    expect(() => verifier({ clockTolerance: 59 }).verify(t, NOW)).toThrow('token not yet valid');
  });

  it('refuses a token issued in the future beyond the tolerance', () => {
    const t = token({ exp: NOW + 600, iat: NOW + 10 });
    expect(() => verifier().verify(t, NOW)).toThrow('token issued in the future');
    expect(() => verifier({ clockTolerance: 10 }).verify(t, NOW)).not.toThrow();
  });

  it('verifies the same token differently as the clock moves', () => {
    const v = verifier();
    const t = token({ exp: NOW + 100 });
    expect(() => v.verify(t, NOW)).not.toThrow();
    expect(() => v.verify(t, NOW + 100)).toThrow('token expired');
    expect(() => v.verify(t, NOW)).not.toThrow();
  });
});

describe('TokenVerifier cache of verified tokens', () => {
  it('serves a repeated token from the cache: the same frozen claims object', () => {
    const v = verifier();
    const t = token({ exp: NOW + 100, roles: ['user'] });
    const first = v.verify(t, NOW);
    expect(v.cachedTokens).toBe(1);
    expect(v.verify(t, NOW + 1)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.roles)).toBe(true);
    expect(() => {
      (first as Record<string, unknown>).sub = 'admin';
    }).toThrow(TypeError);
  });

  it('never serves an entry at or after the token exp, and drops it then', () => {
    const v = verifier();
    const t = token({ exp: NOW + 100 });
    v.verify(t, NOW);
    expect(() => v.verify(t, NOW + 100)).toThrow('token expired');
    expect(v.cachedTokens).toBe(0);
  });

  it('re-checks exp and nbf with the clock tolerance on every hit', () => {
    const v = verifier({ clockTolerance: 30 });
    const t = token({ exp: NOW + 100 });
    v.verify(t, NOW);
    expect(() => v.verify(t, NOW + 129)).not.toThrow();
    expect(() => v.verify(t, NOW + 130)).toThrow('token expired');
    const early = token({ exp: NOW + 1000, nbf: NOW + 50 });
    expect(() => v.verify(early, NOW + 25)).not.toThrow();
    // Cached now; a clock that moves backwards (or a skewed host) must still be refused.
    expect(() => v.verify(early, NOW)).toThrow('token not yet valid');
  });

  it('keys entries by the whole token: one byte different is a miss and is verified afresh', () => {
    const v = verifier();
    const t = token({ exp: NOW + 100 });
    v.verify(t, NOW);
    const flip = (s: string, at: number) => s.slice(0, at) + (s[at] === 'A' ? 'B' : 'A') + s.slice(at + 1);
    expect(() => v.verify(flip(t, t.length - 3), NOW)).toThrow('invalid signature');
    expect(() => v.verify(flip(t, t.indexOf('.') + 5), NOW)).toThrow();
    expect(v.cachedTokens).toBe(1);
  });

  it('is cleared when the key set changes', () => {
    const config = resolveRs256AuthConfig({ publicKeyPath: keys.publicPath });
    const v = new TokenVerifier(config);
    const t = token({ exp: NOW + 100 });
    v.verify(t, NOW);
    expect(v.cachedTokens).toBe(1);
    config.keyStore.replace(resolveRs256AuthConfig({ publicKeyPath: keys.otherPublicPath }).keyStore.keys);
    expect(() => v.verify(t, NOW)).toThrow('invalid signature');
    expect(v.cachedTokens).toBe(0);
  });

  it('holds at most cacheSize entries, and none with cacheSize 0', () => {
    const bounded = verifier({ cacheSize: 3 });
    const unbounded = verifier({ cacheSize: 0 });
    for (let i = 0; i < 10; i++) {
      const t = token({ exp: NOW + 100, jti: `t${i}` });
      bounded.verify(t, NOW);
      unbounded.verify(t, NOW);
    }
    expect(bounded.cachedTokens).toBe(3);
    expect(unbounded.cachedTokens).toBe(0);
  });

  it('does not cache tokens without exp', () => {
    const v = verifier({ requiredClaims: ['sub'] });
    v.verify(rs256Token(keys.main.privateKey, { sub: 'u' }), NOW);
    expect(v.cachedTokens).toBe(0);
  });
});
