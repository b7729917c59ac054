/** A cut-off as stores and views keep it: tokens issued up to `before` (ms) are revoked; remembered until `until`. */
export interface CutOff {
  readonly before: number;
  readonly until: number;
}

/** Adds a cut-off to what is known: the later cut-off and the later end both win. */
export function mergeCutOff(known: CutOff | undefined, before: number | undefined, until: number): CutOff {
  return { before: Math.max(known?.before ?? 0, before ?? 0), until: Math.max(known?.until ?? 0, until) };
}

/**
 * When a token was issued, in milliseconds: the `iat_ms` stamp that sessions put in their access tokens (taken from
 * the store's clock) when it agrees with `iat`, else `iat` in seconds (a token signed outside any session).
 */
export function issueStamp(claims: { iat?: number; iat_ms?: unknown }): number | undefined {
  const { iat, iat_ms: stamp } = claims;
  if (typeof stamp === 'number' && Number.isInteger(stamp) && iat === Math.floor(stamp / 1000)) {
    return stamp;
  }
  return iat === undefined ? undefined : iat * 1000;
}

/** True when a cut-off in force at `now` covers a token issued at `stamp` (a token without one cannot show it is later). */
export function covers(cutOff: CutOff | undefined, stamp: number | undefined, now: number): boolean {
  return cutOff !== undefined && cutOff.until > now && !(stamp !== undefined && stamp > cutOff.before);
}
