import { resolveRs256AuthConfig } from '../options/resolve.js';
import type { ClaimPaths } from '../options/rs256-auth-config.js';
import type { JwtClaims } from '../interfaces/jwt-claims.interface.js';
import { createKeyFiles, type KeyFiles } from '../../test/support/keys.js';
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
    expect(findUnmetRequirement(own, [{ scopes: ['orders:read'], roles: ['admin'], claims: { tenant: 'acme', constructor: 'c' } }])).toBeNull();
  });
});

describe('findUnmetRequirement: all of a list, or any of it', () => {
  const claims: JwtClaims = { sub: 'u', scope: 'orders:read profile', roles: ['editor'] };

  it('an array and allOf need every value', () => {
    expect(findUnmetRequirement(claims, [{ scopes: ['orders:read', 'orders:write'] }])).toEqual({
      description: 'missing scope orders:write',
      scope: 'orders:read orders:write',
    });
    expect(findUnmetRequirement(claims, [{ roles: { allOf: ['editor', 'admin'] } }])).toEqual({ description: 'missing role admin' });
    expect(findUnmetRequirement(claims, [{ scopes: { allOf: ['orders:read', 'profile'] }, roles: ['editor'] }])).toBeNull();
  });

  it('anyOf needs one value, and names them all when none is held', () => {
    expect(findUnmetRequirement(claims, [{ scopes: { anyOf: ['orders:write', 'orders:read'] } }])).toBeNull();
    expect(findUnmetRequirement(claims, [{ roles: { anyOf: ['admin', 'editor'] } }])).toBeNull();
    expect(findUnmetRequirement(claims, [{ scopes: { anyOf: ['orders:write', 'admin:all'] } }])).toEqual({
      description: 'missing scope: one of orders:write admin:all',
      scope: 'orders:write admin:all',
    });
    expect(findUnmetRequirement(claims, [{ roles: { anyOf: ['admin', 'auditor'] } }])).toEqual({ description: 'missing role: one of admin auditor' });
  });

  it('an empty list asks for nothing', () => {
    expect(findUnmetRequirement({ sub: 'u' }, [{ scopes: { anyOf: [] }, roles: [] }])).toBeNull();
  });
});

describe('findUnmetRequirement with configured claim paths (Keycloak-shaped tokens)', () => {
  let keys: KeyFiles;
  beforeAll(() => {
    keys = createKeyFiles();
  });
  afterAll(() => keys.cleanup());

  const keycloak: JwtClaims = {
    sub: 'u',
    scope: 'profile',
    realm_access: { roles: ['offline_access', 'auditor'] },
    resource_access: { 'orders-api': { roles: ['orders-admin'] }, other: { roles: ['admin'] } },
  };
  let configured: ClaimPaths;
  beforeAll(async () => {
    configured = (
      await resolveRs256AuthConfig({
        keys: { publicKeyPath: keys.publicPath },
        tokens: { rolesClaim: 'realm_access.roles,resource_access.orders-api.roles' },
      })
    ).claimPaths;
  });
  const paths = () => configured;

  it('a role string at a configured path is one role; scopes stay space-separated', () => {
    const joined: JwtClaims = { sub: 'u', scope: 'orders:read profile', realm_access: { roles: 'auditor orders-admin' } };
    expect(findUnmetRequirement(joined, [{ roles: ['auditor'] }], paths())).toEqual({ description: 'missing role auditor' });
    expect(findUnmetRequirement(joined, [{ roles: { anyOf: ['auditor', 'orders-admin'] } }], paths())).toEqual({
      description: 'missing role: one of auditor orders-admin',
    });
    expect(findUnmetRequirement(joined, [{ roles: ['auditor orders-admin'], scopes: ['profile', 'orders:read'] }], paths())).toBeNull();
    expect(findUnmetRequirement({ sub: 'u', realm_access: { roles: 'auditor' } }, [{ roles: ['auditor'] }], paths())).toBeNull();
  });

  it('reads roles from every configured path, and from nowhere else', () => {
    expect(findUnmetRequirement(keycloak, [{ roles: ['auditor', 'orders-admin'] }], paths())).toBeNull();
    // Another client's roles do not count, nor does a top-level roles claim once paths are configured.
    expect(findUnmetRequirement(keycloak, [{ roles: ['admin'] }], paths())).toEqual({ description: 'missing role admin' });
    expect(findUnmetRequirement({ ...keycloak, roles: ['admin'] }, [{ roles: ['admin'] }], paths())).toEqual({ description: 'missing role admin' });
  });

  it('follows own members of objects only: no prototype, no array index', async () => {
    const inherited = Object.create({ realm_access: { roles: ['auditor'] } }) as JwtClaims;
    expect(findUnmetRequirement(inherited, [{ roles: ['auditor'] }], paths())).toEqual({ description: 'missing role auditor' });
    const nestedInherited: JwtClaims = { realm_access: Object.create({ roles: ['auditor'] }) };
    expect(findUnmetRequirement(nestedInherited, [{ roles: ['auditor'] }], paths())).toEqual({ description: 'missing role auditor' });
    const viaArray: JwtClaims = { realm_access: [['auditor']] };
    const indexPaths = (await resolveRs256AuthConfig({ keys: { publicKeyPath: keys.publicPath }, tokens: { rolesClaim: 'realm_access.0' } }))
      .claimPaths;
    expect(findUnmetRequirement(viaArray, [{ roles: ['auditor'] }], indexPaths)).toEqual({ description: 'missing role auditor' });
  });

  it('reads scopes from a configured path', async () => {
    const scopesPaths = (await resolveRs256AuthConfig({ keys: { publicKeyPath: keys.publicPath }, tokens: { scopesClaim: ['permissions'] } }))
      .claimPaths;
    expect(findUnmetRequirement({ permissions: ['orders:read'] }, [{ scopes: ['orders:read'] }], scopesPaths)).toBeNull();
    expect(findUnmetRequirement({ scope: 'orders:read' }, [{ scopes: ['orders:read'] }], scopesPaths)).not.toBeNull();
  });

  it('refuses an empty path member at start-up, naming the setting', async () => {
    await expect(resolveRs256AuthConfig({ keys: { publicKeyPath: keys.publicPath }, tokens: { rolesClaim: 'realm_access..roles' } })).rejects.toThrow(
      expect.objectContaining({
        code: 'RS256_CONFIG_INVALID',
        message: expect.stringContaining('tokens.rolesClaim option is "realm_access..roles"'),
      }),
    );
  });
});
