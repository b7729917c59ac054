import { createHmac, timingSafeEqual } from 'node:crypto';

const MAC_BYTES = 16;

/**
 * Server nonces (RFC 9449 §8) without state: a nonce is the number of its period and an HMAC of that number, so any
 * instance with the same secret accepts it, and none has to store or share what it handed out. A nonce is current
 * for `lifetime` seconds and accepted for one period more, so a client that fetched one just before the turn is not
 * refused at once. A nonce says nothing of its client: a proof's `jti` still guards against replay.
 */
export class DpopNonces {
  private cached: { period: number; nonce: string } | undefined;

  constructor(
    private readonly secret: string | Buffer,
    private readonly lifetimeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The nonce to hand out now (`DPoP-Nonce`). */
  current(): string {
    const period = Math.floor(this.now() / this.lifetimeMs);
    if (this.cached?.period !== period) {
      this.cached = { period, nonce: this.make(period) };
    }
    return this.cached.nonce;
  }

  /** Whether `nonce` is the current period's or the previous one's. */
  check(nonce: string | undefined): 'current' | 'previous' | 'invalid' {
    const dot = nonce?.indexOf('.') ?? -1;
    if (nonce === undefined || dot < 1 || !/^[0-9a-z]+$/.test(nonce.slice(0, dot))) {
      return 'invalid';
    }
    const period = parseInt(nonce.slice(0, dot), 36);
    const now = Math.floor(this.now() / this.lifetimeMs);
    if (period !== now && period !== now - 1) {
      return 'invalid';
    }
    const expected = Buffer.from(this.make(period));
    const given = Buffer.from(nonce);
    return given.length === expected.length && timingSafeEqual(given, expected) ? (period === now ? 'current' : 'previous') : 'invalid';
  }

  private make(period: number): string {
    const mac = createHmac('sha256', this.secret).update(`dpop-nonce:${period}`).digest().subarray(0, MAC_BYTES);
    return `${period.toString(36)}.${mac.toString('base64url')}`;
  }
}
