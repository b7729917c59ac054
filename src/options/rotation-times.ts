// The schedule's durations belong to the resolved configuration; the schedule itself (src/rotation) reads them.

/**
 * The margin added to each wait of the schedule, in seconds: it covers the time instances take to read a new key
 * from the store after one of them created it, clocks of instances and verifiers that disagree by that much, and
 * a verifier's fetch in flight when a cache lifetime ends.
 */
export const ROTATION_MARGIN_SECONDS = 60;

/** The durations of the schedule, in ms. */
export interface RotationTimes {
  /** From one key's switch to the next one's. */
  readonly intervalMs: number;
  /**
   * The rule: a key is published at least this long before it signs anything, one JWK Set cache lifetime
   * (`JWT_JWKS_MAX_AGE`) plus the margin. A verifier that caches the set no longer than it may then holds the new
   * key before the first token signed with it arrives.
   */
  readonly leadMs: number;
  /**
   * How long a retired key stays published after its successor took over: the longest a token it signed may still
   * be accepted (`JWT_EXPIRES_IN` plus the clock tolerance verifiers allow) plus the margin. Refresh tokens are
   * opaque, not signed; `JwtService.sign` with rotation on refuses a token living longer than `JWT_EXPIRES_IN` (a
   * per-call `expiresIn`: RS256_TOKEN_LIFETIME_TOO_LONG), so no token a key signs outlives this.
   */
  readonly retentionMs: number;
}

export function rotationTimes(intervalSeconds: number, jwksMaxAge: number, expiresIn: number, clockTolerance: number): RotationTimes {
  return {
    intervalMs: intervalSeconds * 1000,
    leadMs: (jwksMaxAge + ROTATION_MARGIN_SECONDS) * 1000,
    retentionMs: (expiresIn + clockTolerance + ROTATION_MARGIN_SECONDS) * 1000,
  };
}
