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
