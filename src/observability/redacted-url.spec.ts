import { quotedUrl, redactedUrl } from './redacted-url.js';

describe('redactedUrl: the one way a URL is shown in a log or a message', () => {
  it.each([
    ['a URL with nothing to hide, as given', 'https://id.example.com', 'https://id.example.com'],
    ['userinfo removed', 'https://user:pw-s3cret@id.example.com/jwks.json', 'https://id.example.com/jwks.json'],
    ['a user name alone removed', 'https://admin@id.example.com/keys', 'https://id.example.com/keys'],
    [
      'query values masked, names kept',
      'https://id.example.com/jwks?api_key=q-s3cret&tenant=a',
      'https://id.example.com/jwks?api_key=***&tenant=***',
    ],
    ['a query item without a name masked whole', 'https://id.example.com/jwks?q-s3cret', 'https://id.example.com/jwks?***'],
    ['the fragment dropped', 'https://id.example.com/jwks#f-s3cret', 'https://id.example.com/jwks'],
    ['all at once', 'http://u:pw-s3cret@127.0.0.1:8080/a/b?x=q-s3cret#f-s3cret', 'http://127.0.0.1:8080/a/b?x=***'],
    ['a Redis URL with a password', 'redis://:pw-s3cret@cache.internal:6379/0', 'redis://cache.internal:6379/0'],
    ['a Redis URL without one, as given', 'redis://127.0.0.1:6379', 'redis://127.0.0.1:6379'],
    ['an unparsable URL: what follows the last @', 'redis://:pw-s3cret@host:notaport', 'redis://host:notaport'],
    ['an unparsable URL whose password holds @ and /', 'redis://:p@w/s3cret@host:notaport', 'redis://host:notaport'],
    ['a password with / and @ that parses as a path', 'redis://:p@w/s3cret@host:6379', 'redis://host:6379'],
    ['an unparsable URL with a query', 'https://u:pw-s3cret@[::1/jwks?key=q-s3cret#f', 'https://[::1/jwks?key=***'],
    ['an unclosed IPv6 address', 'redis://[::1', 'redis://[::1'],
    ['not a URL at all', 'issuer/jwks.json', 'issuer/jwks.json'],
  ])('%s', (_name, url, shown) => {
    expect(redactedUrl(url)).toBe(shown);
    expect(redactedUrl(url)).not.toMatch(/s3cret/);
  });

  it('takes a URL object as well, and quotes for messages', () => {
    expect(redactedUrl(new URL('https://u:pw-s3cret@id.example.com/k?a=1'))).toBe('https://id.example.com/k?a=***');
    expect(quotedUrl('https://u:pw-s3cret@id.example.com')).toBe('"https://id.example.com/"');
  });
});
