/**
 * One revocation, with its times fixed by the store's clock. `jti` and `sid` revoke every token carrying that
 * value; `sub` revokes the tokens of that subject issued at or before `before`; `all` (value `''`) revokes every
 * token issued at or before `before`, whoever its subject. An entry is kept until `until`, when every token it
 * concerns has expired anyway.
 */
export interface Revocation {
  readonly kind: 'jti' | 'sid' | 'sub' | 'all';
  readonly value: string;
  /** Milliseconds since the epoch after which the entry can be forgotten. */
  readonly until: number;
  /** For `sub` and `all`: tokens issued (see `issueStamp`) up to and including this (ms) are revoked. */
  readonly before?: number;
  /**
   * When the store recorded it (ms, the store's clock), as published to every instance, which measures from it how
   * long the revocation took to arrive. Absent from entries loaded from the list, and from older versions' messages.
   */
  readonly at?: number;
}

/**
 * A session's latest rotation, as every instance sharing a store remembers it: its stamp (`at`, ms by the store's
 * clock), kept until the token that rotation spent would have expired (`until`). Given back to a server restored
 * from an older snapshot (or failed over to a lagging replica), it tells the server that the session's record is
 * older than the session, and its tokens are spent.
 */
export interface RotationMark {
  readonly sid: string;
  readonly at: number;
  readonly until: number;
}

/**
 * A revocation as asked for. The store fixes its times by its own clock, so that one clock orders every cut-off
 * and every issue stamp, whichever instance asked.
 */
export interface RevocationRequest {
  readonly kind: Revocation['kind'];
  readonly value: string;
  /** For `jti`: until when (ms since the epoch) the token could be accepted. */
  readonly until?: number;
  /** For `sid`, `sub` and `all`: how long (ms) from the store's now the access side keeps the entry. */
  readonly accessMs?: number;
  /**
   * For `sid`, `sub` and `all`: how long (ms) the store refuses the refresh tokens concerned (they outlive access
   * tokens); for `sid` the session's refresh state is deleted at once. Absent when only the access side is given
   * back to a server (re-seeding).
   */
  readonly refreshMs?: number;
  /** For `all`: the cut-off asked for (ms); the store's now when absent or later. */
  readonly before?: number;
}

/** How long sessions live, in milliseconds. */
export interface SessionLifetimes {
  /** Idle timeout: each refresh token expires this long after it was issued. */
  readonly idleMs: number;
  /** Absolute: no refresh succeeds this long after sign-in. */
  readonly maxMs: number;
  /** How long the token just spent gets its successor again rather than counting as reuse. */
  readonly graceMs: number;
}

/** A new session. The store keeps hashes only: never a token, nor the session's family secret. */
export interface NewSession {
  readonly sid: string;
  readonly sub: string;
  /** Extra claims copied into every access token of the session (scopes and the like). */
  readonly claims: Readonly<Record<string, unknown>>;
  /** Hash of the family secret every refresh token of the session carries. */
  readonly family: string;
  /** Hash of the first refresh token. */
  readonly current: string;
}

/** What a rotation (or its replay) yields: enough to build the pair, identically on every replay. */
export interface SessionState {
  readonly sub: string;
  readonly claims: Readonly<Record<string, unknown>>;
  /** Sign-in time, store clock (ms). */
  readonly bornAt: number;
  /** Issue stamp of the current refresh token and of its access token, store clock (ms). */
  readonly stamp: number;
  /** The nonce the current refresh token was derived with. */
  readonly nonce: string;
}

/** A refresh token presented for rotation, with the successor the caller derived in case it wins. */
export interface RotationRequest {
  readonly sid: string;
  /** Hash of the presented token and of the family secret it carries. */
  readonly presented: string;
  readonly family: string;
  /** Hash of the successor, derived from the presented token with `nonce`. */
  readonly next: string;
  readonly nonce: string;
  /**
   * How long the `sid` revocation a reuse records is kept (as for `revokeSession`): on reuse the store deletes the
   * session and revokes its `sid` in the same step, so no second call, which could fail, stands between the two.
   */
  readonly reuse: Required<Pick<RevocationRequest, 'accessMs' | 'refreshMs'>>;
}

/**
 * The outcome of presenting a refresh token: `rotated` for the one caller that spent it, `replayed` for a caller
 * presenting the token just spent within the grace period (the state of the rotation it lost to, to rebuild the
 * same pair), `superseded` for an older token within the grace period (refused; nothing revoked), `reused` when a
 * spent token came back after it (the session is now deleted and its `sid` revoked: `revoked`, as recorded and
 * published to every instance), `revoked` when a cut-off covers the session,
 * `unknown` otherwise (never issued, expired, past the session's lifetime, or its session revoked).
 */
export type RotateResult =
  | { readonly status: 'rotated' | 'replayed'; readonly state: SessionState }
  | { readonly status: 'reused'; readonly sub: string; readonly revoked: Revocation[] }
  | { readonly status: 'superseded' | 'revoked' | 'unknown' };

/** Receives the revocations a store knows of, and how current that knowledge is. */
export interface RevocationSink {
  /**
   * Applies revocations (idempotent: applying one twice, or an older one, changes nothing). `receivedAt` (ms) is
   * given for revocations that arrived from the store's channel: their propagation lag is measured.
   */
  apply(revocations: readonly Revocation[], receivedAt?: number): void;
  /** Every revocation made before `at` (ms since the epoch) has been applied. */
  confirm(at: number): void;
}

/** What a shared store's sink also keeps: every session's latest rotation, and what to give back to a server that lost it. */
export interface SharedStateSink extends RevocationSink {
  /** Remembers rotations (idempotent: the later `at` and `until` win). */
  rotated(marks: readonly RotationMark[]): void;
  /** The revocations in force. */
  entries(): Revocation[];
  /** The rotation marks in force. */
  marks(): RotationMark[];
}

/**
 * Where sessions and revocations are kept: per session one record (the current and the previous refresh token's
 * hash and when it rotated), whatever the number of refreshes. Writes fail with `RS256_SESSION_STORE_UNAVAILABLE`
 * when the store cannot be reached in time; they never wait unboundedly.
 */
export interface SessionStore {
  /** False for a store local to this process, whose view can never be stale. */
  readonly shared: boolean;
  /**
   * Records a new session; returns its issue stamp by the store's clock (ms), later than every cut-off in force for
   * its subject, so a sign-in acknowledged after a revocation is never covered by it.
   */
  createSession(session: NewSession, lifetimes: SessionLifetimes): Promise<number>;
  /** Atomically rotates a session's refresh token: of concurrent calls with one token, exactly one sees `rotated`. */
  rotate(request: RotationRequest, lifetimes: SessionLifetimes): Promise<RotateResult>;
  /** Records revocations and makes them known to every instance's sink (this one's included); returns them as recorded. */
  revoke(requests: readonly RevocationRequest[]): Promise<Revocation[]>;
  /**
   * Hands the sink every current revocation, then each new one, and confirms as contact goes on. A shared store
   * also gives the sink's own entries back to the server when it reconnects, so that a server that lost its data
   * gets them back.
   */
  watch(sink: SharedStateSink): Promise<void>;
  /**
   * Marks `name` as used for `ttlMs`: true the first time, false while the mark lasts (one atomic `SET NX PX` in
   * Redis), so a DPoP proof is accepted once across every instance. Only a shared store has it; without it each
   * instance keeps its own marks.
   * @throws Rs256AuthError `RS256_SESSION_STORE_UNAVAILABLE`
   */
  markOnce?(name: string, ttlMs: number): Promise<boolean>;
  /**
   * The application has started. Until then the store's connections do not keep the process alive: Nest calls no
   * hook when another module's start-up fails, and the application is then never closed. Optional: a store without
   * connections has nothing to do.
   */
  started?(): void;
  close(): Promise<void>;
}
