import { issuerIdentifierProblem, MAX_ISSUER_LENGTH } from './issuer-identifier.js';

describe('issuerIdentifierProblem: which iss values may reach an issuerResolver', () => {
  it.each([
    'https://id.example.com',
    'https://id.example.com/',
    'https://id.example.com/realms/tenant-a',
    'https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0',
    'https://id.example.com:8443/realms/a.b',
    'http://127.0.0.1:4000',
    'http://localhost/realms/a',
    'http://[::1]:4000/t',
  ])('accepts %s', (iss) => {
    expect(issuerIdentifierProblem(iss, false)).toBeUndefined();
  });

  it.each([
    ['https://id.example.com/realms/../internal/admin', 'has a dot segment'],
    ['https://id.example.com/realms/%2E%2e/internal/admin', 'has a dot segment'],
    ['https://id.example.com/realms/./a', 'has a dot segment'],
    ['https://id.example.com/realms/..', 'has a dot segment'],
    ['https://id.example.com/realms/a?x=1', 'has a query or fragment'],
    ['https://id.example.com/realms/a?', 'has a query or fragment'],
    ['https://id.example.com/realms/a#frag', 'has a query or fragment'],
    ['https://user:pass@id.example.com/realms/a', 'has userinfo'],
    ['https://id.example.com@evil.test/realms/a', 'has userinfo'],
    ['https://id.example.com\\@evil.test/realms/a', 'not printable ASCII without spaces and backslashes'],
    ['https://id.example.com/realms/a b', 'not printable ASCII without spaces and backslashes'],
    ['https://id.example.com/realms/\u00e9', 'not printable ASCII without spaces and backslashes'],
    ['http://id.example.com/realms/a', 'not an https: URL (http: only for a loopback host)'],
    ['HTTPS://id.example.com', 'not an absolute https: URL'],
    ['ftp://id.example.com', 'not an absolute https: URL'],
    ['id.example.com/realms/a', 'not an absolute https: URL'],
    ['https://[::1/realms/a', 'not a URL'],
    [`https://id.example.com/${'a'.repeat(MAX_ISSUER_LENGTH)}`, `longer than ${MAX_ISSUER_LENGTH} characters`],
  ])('refuses %s: %s', (iss, problem) => {
    expect(issuerIdentifierProblem(iss, false)).toBe(problem);
  });

  it('accepts http: on any host only where remote.allowHttp says so', () => {
    expect(issuerIdentifierProblem('http://id.internal/realms/a', true)).toBeUndefined();
    expect(issuerIdentifierProblem('http://id.internal/realms/../a', true)).toBe('has a dot segment');
  });
});
