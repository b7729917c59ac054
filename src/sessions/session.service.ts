import { Inject, Injectable, Optional } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { Rs256AuthConfig, SessionsConfig } from '../options/rs256-auth-config.js';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import type { JwtClaims } from '../interfaces/jwt-claims.interface.js';
import { RS256_AUTH_CONFIG, SESSION_STORE } from '../rs256-auth.constants.js';
import { RevocationList } from './revocation-list.js';
import { AuditTrail } from '../observability/audit-events.js';
import { AuthMetrics } from '../observability/auth-metrics.js';
import type { RevocationRequest, RotateResult, SessionLifetimes, SessionState, SessionStore } from './session-store.interface.js';
import { SETTINGS } from '../options/settings.js';
import { DpopService } from '../dpop/dpop.service.js';

/** What a sign-in or a refresh returns. */
export interface SessionTokens {
  /** A signed JWT carrying `sub`, `sid` (the session) and a fresh `jti`. */
  accessToken: string;
  /**
   * Opaque and single-use (86 characters): the session, a secret of the session's and 256 bits of this rotation's,
   * kept by the store only as SHA-256 hashes.
   */
  refreshToken: string;
  /** `DPoP` when the access token is bound to the key of the request's DPoP proof (`cnf.jkt`, RFC 9449 §5). */
  tokenType: 'Bearer' | 'DPoP';
  /** Lifetime of the access token, in seconds. */
  expiresIn: number;
  /** Lifetime of the refresh token, in seconds: the idle timeout, cut short by the session's absolute lifetime. */
  refreshExpiresIn: number;
  /** The session's `sid`, shared by every token of this sign-in. */
  sessionId: string;
}

/**
 * A refresh token: 64 bytes in base64url. The session's id (16 bytes) says which record to read; the family secret
 * (16 bytes, the same for every token of the session, never in an access token) shows that the presenter held a
 * token of this session; the last 32 bytes are this rotation's.
 */
const REFRESH_TOKEN = /^[A-Za-z0-9_-]{86}$/;
const SID_BYTES = 16;
const FAMILY_END = 32;
/** Claims the service sets itself; extra claims may not set them. */
const RESERVED_CLAIMS = ['sub', 'sid', 'jti', 'iat', 'iat_ms', 'exp', 'nbf', 'iss', 'aud', 'cnf'];

/** How a sign-in or a refresh was asked for. */
export interface SessionRequestOptions {
  /**
   * The HTTP request (Express or Fastify) of the sign-in or refresh route. When it carries a valid `DPoP` proof,
   * the access tokens are bound to the proof's key (`cnf.jkt`, `tokenType: 'DPoP'`), and so are the session's refresh
   * tokens at sign-in: every refresh must then carry a proof by the same key (RFC 9449 §5).
   */
  request?: object;
}

const digest = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('base64url');
const randomId = (bytes: number): string => randomBytes(bytes).toString('base64url');
/** Derived from the spent token and the rotation's nonce: a replay within the grace period rebuilds the same value. */
const derive = (token: Buffer, label: string, nonce: string): Buffer => createHmac('sha256', token).update(`${label}:${nonce}`).digest();
/**
 * What the store keeps of the family secret: its hash, with the DPoP key's thumbprint when the session is bound to
 * one, so that a refresh token of a bound session is worth nothing without a proof by that key.
 */
const familyDigest = (token: Buffer, jkt: string | undefined): string =>
  digest(
    jkt === undefined ? token.subarray(SID_BYTES, FAMILY_END) : Buffer.concat([token.subarray(SID_BYTES, FAMILY_END), Buffer.from(`|dpop:${jkt}`)]),
  );
/** The token that succeeds `token` in a rotation with `nonce`: same session and family, derived rotation secret. */
const successor = (token: Buffer, nonce: string): Buffer => Buffer.concat([token.subarray(0, FAMILY_END), derive(token, 'refresh', nonce)]);

/**
 * Sessions: issues an access token with a refresh token at sign-in, rotates the refresh token at every refresh,
 * and revokes by token, by session, by subject, or every token issued before a time. Presenting the refresh token
 * just spent again within the reuse grace period gets the very pair its first refresh got (two tabs, a retried
 * request); presenting a spent token later revokes its whole session (every refresh token of that sign-in, and the
 * access tokens issued from it): a stolen token and its legitimate twin cannot both live on. No refresh succeeds
 * past the session's absolute lifetime.
 *
 * Issue stamps (`iat_ms` in access tokens) and cut-offs are taken from the store's clock, so a revocation
 * acknowledged before a sign-in or a refresh completes covers exactly what was issued before it, whichever
 * instance's clock runs fast.
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
    @Optional() private readonly metrics?: AuthMetrics,
    @Optional() private readonly audit?: AuditTrail,
    @Optional() private readonly dpop?: DpopService,
  ) {}

  /**
   * Starts a session for an authenticated subject.
   * @param claims extra claims for every access token of the session (e.g. `scope`); not the registered ones
   * @param options the sign-in request, for a session bound to the key of its DPoP proof
   * @throws Rs256AuthError `RS256_SESSION_STORE_UNAVAILABLE`, `RS256_SESSIONS_DISABLED`, `RS256_DPOP_*` (the request's
   * proof refused: a 400 through `SessionErrorFilter`)
   */
  async issue(subject: string, claims: Record<string, unknown> = {}, options: SessionRequestOptions = {}): Promise<SessionTokens> {
    const reserved = Object.keys(claims).find((name) => RESERVED_CLAIMS.includes(name));
    if (reserved) {
      throw new TypeError(`claims.${reserved} is set by the session service; pass only extra claims.`);
    }
    const { store } = this.enabled();
    const jkt = await this.proofKey(options);
    // The binding is one of the session's claims: every access token of the session carries it.
    const sessionClaims = jkt === undefined ? claims : { ...claims, cnf: { jkt } };
    const token = randomBytes(64);
    const sid = token.subarray(0, SID_BYTES).toString('base64url');
    const family = familyDigest(token, jkt);
    const stamp = await store.createSession({ sid, sub: subject, claims: sessionClaims, family, current: digest(token) }, this.lifetimes());
    this.metrics?.session('issued');
    return this.pair(sid, { sub: subject, claims: sessionClaims, bornAt: stamp, stamp, nonce: '' }, token, randomId(16));
  }

  /**
   * Exchanges a refresh token for a new pair; the presented one is spent. Presented again within the reuse grace
   * period, it gets the same pair (an older token of the session is then refused, revoking nothing); past it, it
   * revokes the session.
   * @throws Rs256AuthError `RS256_REFRESH_TOKEN_INVALID` (unknown, expired, past the session's lifetime, revoked, or
   * superseded within the grace period), `RS256_REFRESH_TOKEN_REUSED` (spent, and presented again after the grace
   * period: its session is now revoked), `RS256_SESSION_STORE_UNAVAILABLE`, `RS256_DPOP_*` (the request's proof refused)
   * @param options the refresh request: for a session that began with DPoP, it must carry a proof by the same key
   */
  async refresh(refreshToken: string, options: SessionRequestOptions = {}): Promise<SessionTokens> {
    const { store } = this.enabled();
    // An access token (or anything else) is refused here without a store lookup.
    const token = typeof refreshToken === 'string' && REFRESH_TOKEN.test(refreshToken) ? Buffer.from(refreshToken, 'base64url') : undefined;
    // 86 characters carry 516 bits, of which the decoder drops the last 4: only the one spelling this service
    // wrote is accepted, or sixteen different strings would refresh the same session.
    if (!token || token.toString('base64url') !== refreshToken) {
      throw new Rs256AuthError('RS256_REFRESH_TOKEN_INVALID', 'refresh token not accepted');
    }
    const sid = token.subarray(0, SID_BYTES).toString('base64url');
    const nonce = randomId(16);
    const jkt = await this.proofKey(options);
    const rotate = (family: string): Promise<RotateResult> =>
      store.rotate(
        { sid, presented: digest(token), family, next: digest(successor(token, nonce)), nonce, reuse: this.retention() },
        this.lifetimes(),
      );
    // A DPoP-bound session's family hash covers the key: without a proof by it, the token is unknown to the store
    // and nothing is spent. A proof with a bearer session's token: that session stays as it began.
    let result = await rotate(familyDigest(token, jkt));
    if (result.status === 'unknown' && jkt !== undefined) {
      result = await rotate(familyDigest(token, undefined));
    }
    switch (result.status) {
      case 'rotated':
      case 'replayed':
        this.metrics?.session('refreshed');
        return this.pair(
          sid,
          result.state,
          successor(token, result.state.nonce),
          derive(token, 'jti', result.state.nonce).subarray(0, 16).toString('base64url'),
        );
      case 'reused':
        this.metrics?.session('reuse_detected');
        this.metrics?.session('revoked');
        this.audit?.emit({ type: 'refresh_token_reused', sessionId: sid, subject: result.sub });
        // The store revoked the session in the same step; in force here at once, whatever the channel's delay.
        this.revocations.apply(result.revoked);
        throw new Rs256AuthError('RS256_REFRESH_TOKEN_REUSED', 'refresh token already used; its session is revoked');
      case 'superseded':
        throw new Rs256AuthError('RS256_REFRESH_TOKEN_INVALID', 'refresh token superseded by a newer one of its session; nothing was revoked');
      default:
        throw new Rs256AuthError('RS256_REFRESH_TOKEN_INVALID', 'refresh token not accepted');
    }
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
    await this.revoke({ kind: 'sid', value: sid, ...this.retention() });
  }

  /**
   * "Sign out everywhere": every token of `subject` issued until the store recorded this, access and refresh alike,
   * to the millisecond of the store's clock; a sign-in acknowledged after this returned is not covered.
   */
  async revokeSubject(subject: string): Promise<void> {
    await this.revoke({ kind: 'sub', value: subject, ...this.retention() });
    this.audit?.emit({ type: 'signed_out_everywhere', subject });
  }

  /**
   * For incidents: revokes every token issued at or before `time` (by the store's clock; now when omitted, and a
   * later time counts as now), whoever its subject, as one record that every instance checks. Tokens signed outside
   * any session are compared by `iat`, to the second.
   */
  async revokeIssuedBefore(time?: Date): Promise<void> {
    const before = time?.getTime();
    if (before !== undefined && !Number.isFinite(before)) {
      throw new TypeError('time is an invalid Date.');
    }
    await this.revoke({ kind: 'all', value: '', before, ...this.retention() });
    this.audit?.emit({ type: 'bulk_cut_off', ...(time && { before: time }) });
  }

  private async revoke(request: RevocationRequest): Promise<void> {
    const { store } = this.enabled();
    const recorded = await store.revoke([request]);
    this.metrics?.session('revoked');
    // In force here at once, whatever the channel's delay.
    this.revocations.apply(recorded);
  }

  /** The pair of a session's rotation: the same for every replay of it, down to the signature. */
  private async pair(sid: string, { sub, claims, bornAt, stamp }: SessionState, refreshToken: Buffer, jti: string): Promise<SessionTokens> {
    const { idleMs, maxMs } = this.lifetimes();
    const accessToken = await this.jwt.signAsync({ ...claims, sub, sid, jti, iat: Math.floor(stamp / 1000), iat_ms: stamp });
    return {
      accessToken,
      refreshToken: refreshToken.toString('base64url'),
      tokenType: claims.cnf === undefined ? 'Bearer' : 'DPoP',
      expiresIn: this.config.expiresIn,
      refreshExpiresIn: Math.floor(Math.min(idleMs, bornAt + maxMs - stamp) / 1000),
      sessionId: sid,
    };
  }

  /** The thumbprint of the request's DPoP proof key; `undefined` without a request or a `DPoP` header. */
  private async proofKey(options: SessionRequestOptions): Promise<string | undefined> {
    return options.request === undefined || !this.dpop ? undefined : this.dpop.proofKey(options.request);
  }

  private lifetimes(): SessionLifetimes {
    const { sessions } = this.enabled();
    return { idleMs: sessions.refreshExpiresIn * 1000, maxMs: sessions.maxLifetime * 1000, graceMs: sessions.reuseGrace * 1000 };
  }

  /**
   * How long a session or subject revocation is kept: on the access side until every access token it covers has
   * expired, on the refresh side until every refresh token it covers has (and the access tokens, should they live
   * longer).
   */
  private retention(): Required<Pick<RevocationRequest, 'accessMs' | 'refreshMs'>> {
    const accessMs = (this.config.expiresIn + this.config.clockTolerance) * 1000;
    return { accessMs, refreshMs: Math.max(accessMs, this.lifetimes().idleMs) };
  }

  private enabled(): { store: SessionStore; sessions: SessionsConfig } {
    if (!this.store || !this.config.sessions) {
      throw new Rs256AuthError(
        'RS256_SESSIONS_DISABLED',
        `Sessions are disabled; set ${SETTINGS.sessions.env}=true (or the ${SETTINGS.sessions.option} option) to use SessionService.`,
      );
    }
    return { store: this.store, sessions: this.config.sessions };
  }
}
