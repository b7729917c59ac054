/** A subject's revocation as stores and views keep it: tokens issued up to `before`, remembered until `until`. */
export interface SubjectRevocation {
  readonly before: number;
  readonly until: number;
}

/** Adds a revocation of the subject to what is known of it: the later cut-off and the later end both win. */
export function mergeSubjectRevocation(known: SubjectRevocation | undefined, before: number | undefined, until: number): SubjectRevocation {
  return { before: Math.max(known?.before ?? 0, before ?? 0), until: Math.max(known?.until ?? 0, until) };
}
