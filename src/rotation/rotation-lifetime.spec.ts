import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import type { Rs256AuthConfig } from '../options/rs256-auth-config.js';
import { checkRotatedLifetime } from './rotation-lifetime.js';

const rotating = { keyRotation: {}, expiresIn: 900, clockTolerance: 5 } as unknown as Rs256AuthConfig;
const token = (payload: string): string => `eyJhbGciOiJSUzI1NiJ9.${Buffer.from(payload).toString('base64url')}.c2ln`;
const now = (): number => Math.floor(Date.now() / 1000);

describe('checkRotatedLifetime', () => {
  it('passes a token expiring within JWT_EXPIRES_IN plus the tolerance', () => {
    const signed = token(JSON.stringify({ exp: now() + 905 }));
    expect(checkRotatedLifetime(signed, rotating)).toBe(signed);
  });

  it('refuses one expiring later, or never', () => {
    for (const payload of [{ exp: now() + 3600 }, {}, { exp: '9999999999' }]) {
      expect(() => checkRotatedLifetime(token(JSON.stringify(payload)), rotating)).toThrow(
        expect.objectContaining({ code: 'RS256_TOKEN_LIFETIME_TOO_LONG' }) as unknown as Error,
      );
    }
  });

  it('refuses a payload that is no JSON object (a string or Buffer signed as is) with its own code, not a SyntaxError', () => {
    const error = (() => {
      try {
        checkRotatedLifetime(token('just a string'), rotating);
      } catch (thrown) {
        return thrown;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(Rs256AuthError);
    expect((error as Rs256AuthError).code).toBe('RS256_TOKEN_LIFETIME_TOO_LONG');
  });

  it('checks nothing without key rotation', () => {
    const signed = token('just a string');
    expect(checkRotatedLifetime(signed, { ...rotating, keyRotation: undefined })).toBe(signed);
  });
});
