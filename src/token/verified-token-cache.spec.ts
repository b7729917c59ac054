import type { JwtClaims } from '../interfaces/jwt-claims.interface.js';
import { VerifiedTokenCache } from './verified-token-cache.js';

/** A token-shaped string: `head` up front, then a 20-character tail (entries are filed by the last 16). */
const tok = (head: string, tail = 'SIGNATURE-TAIL-0000'): string => `${head}.payload.${tail}`;
const claims = (sub: string): JwtClaims => Object.freeze({ sub, exp: 2_000_000_000 });

describe('VerifiedTokenCache', () => {
  it('serves an entry only to the very token that was stored, even if another ends the same way', () => {
    const cache = new VerifiedTokenCache(10);
    const stored = claims('a');
    cache.set(tok('a'), stored);
    expect(cache.get(tok('a'))).toBe(stored);
    expect(cache.get(tok('b'))).toBeUndefined();
    expect(cache.get(tok('a').slice(1))).toBeUndefined();
    cache.delete(tok('b'));
    expect(cache.get(tok('a'))).toBe(stored);
  });

  it('keeps the newest maxEntries tokens, dropping the oldest first', () => {
    const cache = new VerifiedTokenCache(3);
    for (let i = 0; i < 5; i++) cache.set(tok('t', `tail-number-${i}-of-five`), claims(`t${i}`));
    expect(cache.size).toBe(3);
    const served = [0, 1, 2, 3, 4].map((i) => cache.get(tok('t', `tail-number-${i}-of-five`))?.sub);
    expect(served).toEqual([undefined, undefined, 't2', 't3', 't4']);
  });

  it('stays within maxEntries through deletions, stores again and clears', () => {
    const cache = new VerifiedTokenCache(4);
    const name = (i: number): string => tok('t', `distinct-tail-${String(i).padStart(4, '0')}`);
    for (let i = 0; i < 200; i++) {
      cache.set(name(i), claims(`t${i}`));
      if (i % 3 === 0) cache.delete(name(i));
      if (i % 5 === 0) cache.set(name(i), claims(`t${i}`));
      if (i % 7 === 0) cache.set(name(i - 1), claims(`t${i - 1}`));
      expect(cache.size).toBeLessThanOrEqual(4);
    }
    expect(cache.get(name(199))?.sub).toBe('t199');
    cache.clear();
    expect(cache.size).toBe(0);
    for (let i = 0; i < 6; i++) cache.set(name(i), claims(`t${i}`));
    expect(cache.size).toBe(4);
    expect(cache.get(name(5))?.sub).toBe('t5');
    expect(cache.get(name(1))).toBeUndefined();
  });

  it('stores nothing when disabled or for a token without exp', () => {
    const disabled = new VerifiedTokenCache(0);
    disabled.set(tok('a'), claims('a'));
    expect(disabled.size).toBe(0);
    const cache = new VerifiedTokenCache(5);
    cache.set(tok('a'), Object.freeze({ sub: 'a' }));
    expect(cache.size).toBe(0);
  });
});
