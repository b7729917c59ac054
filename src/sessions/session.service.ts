import { Inject, Injectable } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createHash, randomBytes } from 'node:crypto';
import type { Rs256AuthConfig, SessionsConfig } from '../config/rs256-auth.config.js';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import type { JwtClaims } from '../interfaces/jwt-claims.interface.js';
import { RS256_AUTH_CONFIG, SESSION_STORE } from '../rs256-auth.constants.js';
import { RevocationList } from './revocation-list.js';
import type { RefreshRecord, Revocation, SessionStore } from './session-store.interface.js';

/** What a sign-in or a refresh returns. */
export interface SessionTokens {
  /** A signed JWT carrying `sub`, `sid` (the session) and a fresh `jti`. */
  accessToken: string;
  /** Opaque and single-use: 256 random bits, kept by the store only as a SHA-256 hash. */
  refreshToken: string;
  tokenType: 'Bearer';
  /** Lifetime of the access token, in seconds. */
  expiresIn: number;
  /** Lifetime of the refresh token, in seconds. */
  refreshExpiresIn: number;
  /** The session's `sid`, shared by every token of this sign-in. */
  sessionId: string;
}

/** 32 random bytes in base64url: 43 characters, nothing else. */
const REFRESH_TOKEN = /^[A-Za-z0-9_-]{43}$/;
/** Claims the service sets itself; extra claims may not set them. */
const RESERVED_CLAIMS = ['sub', 'sid', 'jti', 'iat', 'exp', 'nbf', 'iss', 'aud'];

const hashOf = (refreshToken: string): string => createHash('sha256').update(refreshToken).digest('base64url');
const randomId = (bytes: number): string => randomBytes(bytes).toString('base64url');

/**
 * Sessions: issues an access token with a refresh token at sign-in, rotates the refresh token at every refresh,
 * and revokes by token, by session or by subject. Presenting a refresh token that was already used revokes its
 * whole session (every refresh token of that sign-in, and the access tokens issued from it): a stolen token and
 * its legitimate twin cannot both live on.
 *
 * Writes go to the store and fail with `RS256_SESSION_STORE_UNAVAILABLE` (map it to 503) while it is
 * unreachable; a revocation that returned is recorded and reaches every instance.
 */
@Injectable()
export class SessionService {
  constructor(
    @Inject(RS256_AUTH_CONFIG) private readonly config: Rs256AuthConfig,
    private readonly jwt: JwtService,
    @Inject(SESSION_STORE) private readonly store: SessionStore | null,
    private readonly revocations: RevocationList,
  ) {}

  /**
   * Starts a session for an authenticated subject.
   * @param claims extra claims for every access token of the session (e.g. `scope`); not the registered ones
   * @throws Rs256AuthError `RS256_SESSION_STORE_UNAVAILABLE`, `RS256_SESSIONS_DISABLED`
   */
  async issue(subject: string, claims: Record<string, unknown> = {}): Promise<SessionTokens> {
    const reserved = Object.keys(claims).find((name) => RESERVED_CLAIMS.includes(name));
    if (reserved) {
      throw new TypeError(`claims.${reserved} is set by the session service; pass only extra claims.`);
    }
    return this.tokens({ sub: subject, sid: randomId(16), claims });
  }

  /**
   * Exchanges a refresh token for a new pair. The presented token is spent whatever happens next.
   * @throws Rs256AuthError `RS256_REFRESH_TOKEN_INVALID` (unknown, expired or revoked), `RS256_REFRESH_TOKEN_REUSED`
   * (already used: its session is now revoked), `RS256_SESSION_STORE_UNAVAILABLE`
   */
  async refresh(refreshToken: string): Promise<SessionTokens> {
    const store = this.enabled().store;
    // An access token (or anything else) is refused here without a store lookup.
    if (typeof refreshToken !== 'string' || !REFRESH_TOKEN.test(refreshToken)) {
      throw new Rs256AuthError('RS256_REFRESH_TOKEN_INVALID', 'refresh token not accepted');
    }
    const result = await store.consumeRefreshToken(hashOf(refreshToken), Date.now());
    if (result.status === 'reused') {
      await this.revokeSession(result.record.sid);
      throw new Rs256AuthError('RS256_REFRESH_TOKEN_REUSED', 'refresh token already used; its session is revoked');
    }
    if (result.status !== 'used') {
      throw new Rs256AuthError('RS256_REFRESH_TOKEN_INVALID', 'refresh token not accepted');
    }
    const { sub, sid, claims } = result.record;
    return this.tokens({ sub, sid, claims });
  }

  /** Ends the session the verified claims belong to (or, for a token outside any session, that token alone). */
  async logout(claims: JwtClaims): Promise<void> {
    if (typeof claims.sid === 'string') {
      await this.revokeSession(claims.sid);
    } else if (claims.jti !== undefined && claims.exp !== undefined) {
      await this.revokeToken(claims.jti, claims.exp);
    } else {
      throw new TypeError('claims carry neither sid nor jti with exp: there is nothing to revoke by.');
    }
  }

  /** Revokes one access token by `jti` until its `exp` (seconds). */
  async revokeToken(jti: string, exp: number): Promise<void> {
    await this.revoke({ kind: 'jti', value: jti, until: (exp + this.config.clockTolerance) * 1000 });
  }

  /** Revokes a session: its refresh tokens and the access tokens issued from them. */
  async revokeSession(sid: string): Promise<void> {
    const now = Date.now();
    await this.revoke({ kind: 'sid', value: sid, until: this.accessUntil(now), refreshUntil: this.refreshUntil(now) });
  }

  /**
   * "Sign out everywhere": every token of `subject` issued until now (to the second: one issued later within the
   * same second is refused too), access and refresh alike.
   */
  async revokeSubject(subject: string): Promise<void> {
    const now = Date.now();
    await this.revoke({
      kind: 'sub',
      value: subject,
      before: Math.floor(now / 1000),
      until: this.accessUntil(now),
      refreshUntil: this.refreshUntil(now),
    });
  }

  private async revoke(revocation: Revocation): Promise<void> {
    const { store } = this.enabled();
    await store.revoke([revocation]);
    // In force here at once, whatever the channel's delay.
    this.revocations.apply([revocation]);
  }

  private async tokens({ sub, sid, claims }: Pick<RefreshRecord, 'sub' | 'sid' | 'claims'>): Promise<SessionTokens> {
    const { store, sessions } = this.enabled();
    const now = Date.now();
    const refreshToken = randomId(32);
    await store.saveRefreshToken(hashOf(refreshToken), {
      sid,
      sub,
      iat: Math.floor(now / 1000),
      expiresAt: now + sessions.refreshExpiresIn * 1000,
      claims,
    });
    const accessToken = await this.jwt.signAsync({ ...claims, sub, sid, jti: randomId(16) });
    return {
      accessToken,
      refreshToken,
      tokenType: 'Bearer',
      expiresIn: this.config.expiresIn,
      refreshExpiresIn: sessions.refreshExpiresIn,
      sessionId: sid,
    };
  }

  /** Until every access token issued up to `now` has expired. */
  private accessUntil(now: number): number {
    return now + (this.config.expiresIn + this.config.clockTolerance) * 1000;
  }

  /** Until every refresh token issued up to `now` has expired (and the access tokens, should they live longer). */
  private refreshUntil(now: number): number {
    return Math.max(this.accessUntil(now), now + this.enabled().sessions.refreshExpiresIn * 1000);
  }

  private enabled(): { store: SessionStore; sessions: SessionsConfig } {
    if (!this.store || !this.config.sessions) {
      throw new Rs256AuthError('RS256_SESSIONS_DISABLED', 'Sessions are disabled; set JWT_SESSIONS_ENABLED=true (or the sessions option) to use SessionService.');
    }
    return { store: this.store, sessions: this.config.sessions };
  }
}
