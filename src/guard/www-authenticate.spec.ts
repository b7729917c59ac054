import { wwwAuthenticate } from './www-authenticate.js';

describe('wwwAuthenticate: one challenge builder, by named reason (RFC 6750 §3)', () => {
  const settings = { authScheme: 'Bearer', realm: 'api' };

  it('sends the bare challenge when there is no token, and the error with its description otherwise', () => {
    expect(wwwAuthenticate(settings, { reason: 'missing_token' })).toBe('Bearer realm="api"');
    expect(wwwAuthenticate(settings, { reason: 'invalid_token', description: 'token expired' })).toBe(
      'Bearer realm="api", error="invalid_token", error_description="token expired"',
    );
    expect(wwwAuthenticate(settings, { reason: 'insufficient_scope', description: 'missing scope a', scope: 'a b' })).toBe(
      'Bearer realm="api", error="insufficient_scope", error_description="missing scope a", scope="a b"',
    );
  });

  it('uses the configured scheme, announces RFC 9728 metadata, and keeps quotes and non-ASCII out of quoted strings', () => {
    const other = { authScheme: 'JWT', realm: 'r"e\\alm', resourceMetadata: { url: 'https://api.example.com/.well-known/oauth-protected-resource' } };
    expect(wwwAuthenticate(other, { reason: 'invalid_token', description: 'bad "kid" é' })).toBe(
      'JWT realm="r?e?alm", resource_metadata="https://api.example.com/.well-known/oauth-protected-resource", error="invalid_token", error_description="bad ?kid? ?"',
    );
  });
});
