/**
 * One revocation. `jti` and `sid` revoke every token carrying that value; `sub` revokes the tokens of that subject
 * issued at or before `before`. An entry is kept until `until`, when every token it concerns has expired anyway.
 */
export interface Revocation {
  readonly kind: 'jti' | 'sid' | 'sub';
  readonly value: string;
  /** Milliseconds since the epoch after which the entry can be forgotten. */
  readonly until: number;
  /** For `sub`: tokens with `iat` (seconds) up to and including this are revoked. */
  readonly before?: number;
  /**
   * For `sid` and `sub`: until when the store must refuse the refresh tokens concerned (they outlive access
   * tokens, so the store remembers this longer than `until`, which is all the instances' views need).
   */
  readonly refreshUntil?: number;
}

/** What is kept of a refresh token: never the token, only its hash as the key, and the session it continues. */
export interface RefreshRecord {
  /** The session (login) the token belongs to: every refresh token of one login shares it. */
  readonly sid: string;
  readonly sub: string;
  /** Seconds since the epoch when this refresh token was issued. */
  readonly iat: number;
  /** Milliseconds since the epoch when it expires. */
  readonly expiresAt: number;
  /** Extra claims copied into every access token of the session (scopes and the like). */
  readonly claims: Readonly<Record<string, unknown>>;
}

/**
 * The outcome of presenting a refresh token: `used` for the one caller that consumed it, `reused` when it had been
 * consumed before (its session must die), `revoked` when its session or subject was revoked, `unknown` otherwise.
 */
export type ConsumeResult =
  | { readonly status: 'used'; readonly record: RefreshRecord }
  | { readonly status: 'reused'; readonly record: RefreshRecord }
  | { readonly status: 'revoked' | 'unknown' };

/** Receives the revocations a store knows of, and how current that knowledge is. */
export interface RevocationSink {
  /** Applies revocations (idempotent: applying one twice, or an older one, changes nothing). */
  apply(revocations: readonly Revocation[]): void;
  /** Every revocation made before `at` (ms since the epoch) has been applied. */
  confirm(at: number): void;
}

/**
 * Where refresh tokens and revocations are kept. Writes fail with `RS256_SESSION_STORE_UNAVAILABLE` when the
 * store cannot be reached in time; they never wait unboundedly.
 */
export interface SessionStore {
  /** False for a store local to this process, whose view can never be stale. */
  readonly shared: boolean;
  /** Keeps a refresh token's record under the hash of the token, until the record's `expiresAt`. */
  saveRefreshToken(hash: string, record: RefreshRecord): Promise<void>;
  /** Atomically consumes a refresh token: of concurrent calls with one hash, at most one sees `used`. */
  consumeRefreshToken(hash: string, now: number): Promise<ConsumeResult>;
  /** Records revocations and makes them known to every instance's sink (this one's included). */
  revoke(revocations: readonly Revocation[]): Promise<void>;
  /**
   * Hands the sink every current revocation, then each new one, and confirms as contact goes on. A shared store
   * also gives the sink's own entries back to the server when it reconnects, so that a server that lost its data
   * gets them back.
   */
  watch(sink: RevocationSink & { entries(): Revocation[] }): Promise<void>;
  close(): Promise<void>;
}
