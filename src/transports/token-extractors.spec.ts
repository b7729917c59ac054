import { fromAuthHeader } from './token-extractors.js';

const read = (scheme: string | undefined, authorization: unknown): unknown =>
  fromAuthHeader(scheme)({ headers: { authorization: authorization as string } });

describe('fromAuthHeader', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer abc', 'abc'],
    ['BEARER abc', 'abc'],
    ['Bearer    abc', 'abc'],
  ])('takes the token of %j', (authorization, token) => {
    expect(read(undefined, authorization)).toBe(token);
  });

  it.each([
    undefined,
    42,
    ['Bearer abc'],
    '',
    'Bearer',
    'Bearer ',
    'Bearer   ',
    'Bearerabc',
    'Bearer\tabc',
    'Basic abc',
    'Bearers abc',
    ' Bearer abc',
  ])('finds no token in %j', (authorization) => {
    expect(read(undefined, authorization)).toBeNull();
  });

  it('returns what follows the spaces as it is: the verifier refuses anything that is not a signed token', () => {
    expect(read(undefined, 'Bearer a b')).toBe('a b');
    expect(read(undefined, 'Bearer abc ')).toBe('abc ');
  });

  it('folds ASCII letters of the scheme only, as HTTP compares schemes', () => {
    expect(read('Kerberos', 'KERBEROS abc')).toBe('abc');
    // U+212A KELVIN SIGN lower-cases to "k" in Unicode, but is not the letter K of an HTTP token.
    expect(read('Kerberos', '\u212Aerberos abc')).toBeNull();
    // U+017F LATIN SMALL LETTER LONG S upper-cases to "S".
    expect(read('Scheme', '\u017Fcheme abc')).toBeNull();
    expect(read('My-Scheme_1', 'my-scheme_1 abc')).toBe('abc');
  });
});
