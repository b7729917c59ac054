import { bearerTokenExtractor } from './bearer-token.extractor.js';

/** The rule the extractor implements, as RFC 6750 and RFC 7235 state it. */
const BEARER = /^Bearer +(\S+)$/i;
const extract = (authorization: string | string[] | undefined): string | null => bearerTokenExtractor({ headers: { authorization } });

describe('bearerTokenExtractor', () => {
  it('takes the token after the case-insensitive Bearer scheme and one or more spaces', () => {
    expect(extract('Bearer abc.def.ghi')).toBe('abc.def.ghi');
    expect(extract('bEaReR    abc')).toBe('abc');
  });

  it('finds nothing without the scheme, the space or the token, or with a header that is not one string', () => {
    for (const header of [undefined, ['Bearer a'], '', 'Bearer', 'Bearer ', 'Bearer   ', 'Bearerabc', 'Basic abc', 'Bearer\tabc', ' Bearer abc', 'Bearar abc', 'Bearer a b']) {
      expect(extract(header)).toBeNull();
    }
    expect(bearerTokenExtractor({})).toBeNull();
  });

  it('answers exactly what the RFC pattern answers, for every character in every place', () => {
    const characters = [...Array.from({ length: 0x180 }, (_, code) => String.fromCharCode(code)), '\u1680', '\u2000', '\u200a', '\u2028', '\u2029', '\u202f', '\u205f', '\u3000', '\ufeff', '\u017f', '\u212a'];
    for (const c of characters) {
      for (const header of [`Bearer ab${c}cd`, `Bearer ${c}abc`, `Bearer abc${c}`, `${c}earer abc`, `Bea${c}er abc`, `Bearer${c}abc`, `Bearer  ${c}`]) {
        expect([header, extract(header)]).toEqual([header, BEARER.exec(header)?.[1] ?? null]);
      }
    }
  });
});
