import type { Revocation, RotationMark } from './session-store.interface.js';

/**
 * What arrives on the revocation channel. An array is a batch of revocations (each with `at`, its recording time,
 * since this version; without it from older ones). An object is anything else: `reload` (an instance re-seeded the
 * server: load the list once) or `rotated` (a session's mark). Older versions apply arrays only and ignore objects,
 * so nothing new is ever published as an array, and a rolling deploy may mix versions.
 */
export type ChannelMessage =
  | { readonly type: 'revocations'; readonly revocations: Revocation[] }
  | { readonly type: 'reload'; readonly by: string }
  | { readonly type: 'rotated'; readonly marks: RotationMark[] };

export function parseRevocations(json: string): Revocation[] {
  const value: unknown = JSON.parse(json);
  return Array.isArray(value) ? (value as Revocation[]) : [];
}

/** A channel message, or `undefined` for one this version does not know. Throws on malformed JSON. */
export function parseMessage(message: string): ChannelMessage | undefined {
  const value: unknown = JSON.parse(message);
  if (Array.isArray(value)) return { type: 'revocations', revocations: value as Revocation[] };
  const { reload, rotated } = (value ?? {}) as { reload?: unknown; rotated?: unknown };
  if (typeof reload === 'string') return { type: 'reload', by: reload };
  if (Array.isArray(rotated) && typeof rotated[0] === 'string') {
    return { type: 'rotated', marks: [{ sid: rotated[0], at: Number(rotated[1]), until: Number(rotated[2]) }] };
  }
  return undefined;
}

/** A revocation as the list's hash keeps it: field `kind:value`, value `until|before`. */
export function parseEntry(field: string, value: string): Revocation {
  const colon = field.indexOf(':');
  const sep = value.indexOf('|');
  const until = Number(value.slice(0, sep));
  const kind = field.slice(0, colon) as Revocation['kind'];
  if (kind !== 'sub' && kind !== 'all') {
    return { kind, value: field.slice(colon + 1), until };
  }
  const before = Number(value.slice(sep + 1));
  // Written by a version that kept subjects' cut-offs in seconds: the end of that second, in ms.
  return { kind, value: field.slice(colon + 1), until, before: before < 1e11 ? before * 1000 + 999 : before };
}

/** A mark as the marks hash keeps it: field the `sid`, value `until|at`. */
export function parseMark(field: string, value: string): RotationMark {
  const sep = value.indexOf('|');
  return { sid: field, until: Number(value.slice(0, sep)), at: Number(value.slice(sep + 1)) };
}
