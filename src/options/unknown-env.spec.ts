import { findUnknownEnv } from './unknown-env.js';

const KNOWN = ['JWT_ISSUER', 'JWT_REALM', 'JWT_EXPIRES_IN', 'JWT_PUBLIC_KEY_PATH', 'JWT_PUBLIC_KEY'];

describe('findUnknownEnv', () => {
  it.each([
    ['JWT_ISSUR', 'JWT_ISSUER'],
    ['JWT_ISSEUR', 'JWT_ISSUER'],
    ['JWT_REALMS', 'JWT_REALM'],
    ['JWT_EXPIRE_IN', 'JWT_EXPIRES_IN'],
    ['JWT_EXPIRESIN', 'JWT_EXPIRES_IN'],
    ['JWT_EXPIRE_IM', 'JWT_EXPIRES_IN'],
    ['JWT_PUBLIC_KEY_PAHT', 'JWT_PUBLIC_KEY_PATH'],
    ['JWT_PUBLIC_KEYS', 'JWT_PUBLIC_KEY'],
    ['Jwt_Realm', 'JWT_REALM'],
  ])('%s is a misspelling of %s', (name, meant) => {
    expect(findUnknownEnv([name], KNOWN, [])).toEqual({ misspelt: [{ name, meant }], unknown: [] });
  });

  it.each([
    // two edits from a name of under eight characters after the prefix: too far to be a typo
    'JWT_TEAM',
    'JWT_RELAY',
    // three edits from a longer one
    'JWT_EXPIRES',
    'JWT_REFRESH_SECRET',
  ])('%s is unknown, not a misspelling', (name) => {
    expect(findUnknownEnv([name], KNOWN, [])).toEqual({ misspelt: [], unknown: [name] });
  });

  it('skips known names, ignored names and names without the prefix, and sorts the unknown ones', () => {
    const names = ['PATH', 'JWT_ISSUER', 'JWT_ISSUERS', 'JWT_ZONE', 'JWT_ALGORITHMS', 'MY_JWT_ISSUR'];
    expect(findUnknownEnv(names, KNOWN, ['JWT_ISSUERS'])).toEqual({ misspelt: [], unknown: ['JWT_ALGORITHMS', 'JWT_ZONE'] });
  });
});
