import type { JwtClaims } from '../token/token-verifier.js';
import { findUnmetRequirement } from './claim-requirements.js';

/** Claims that inherit everything a requirement asks for from their prototype, and own only `sub`. */
function inheriting(inherited: Record<string, unknown>): JwtClaims {
  return Object.assign(Object.create(inherited) as JwtClaims, { sub: 'u' });
}

describe('findUnmetRequirement reads the token’s own members only', () => {
  it('grants no scope inherited from a prototype (scope or scp)', () => {
    for (const inherited of [{ scope: 'orders:read' }, { scp: ['orders:read'] }]) {
      expect(findUnmetRequirement(inheriting(inherited), [{ scopes: ['orders:read'] }])).toEqual({
        description: 'missing scope orders:read',
        scope: 'orders:read',
      });
    }
  });

  it('grants no role inherited from a prototype', () => {
    expect(findUnmetRequirement(inheriting({ roles: ['admin'] }), [{ roles: ['admin'] }])).toEqual({ description: 'missing role admin' });
  });

  it('takes no claim value from a prototype, Object.prototype included', () => {
    expect(findUnmetRequirement(inheriting({ tenant: 'acme' }), [{ claims: { tenant: 'acme' } }])).toEqual({
      description: "claim 'tenant' does not have the required value",
    });
    const constructorRequirement = { claims: { constructor: Object } } as unknown as { claims: Record<string, string> };
    expect(findUnmetRequirement({ sub: 'u' }, [constructorRequirement])).toEqual({
      description: "claim 'constructor' does not have the required value",
    });
  });

  it('still accepts the same members when the token carries them itself', () => {
    const own: JwtClaims = { sub: 'u', scope: 'orders:read', roles: ['admin'], tenant: 'acme', constructor: 'c' };
    expect(
      findUnmetRequirement(own, [{ scopes: ['orders:read'], roles: ['admin'], claims: { tenant: 'acme', constructor: 'c' } }]),
    ).toBeNull();
  });
});
