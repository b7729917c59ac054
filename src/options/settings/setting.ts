import type { Parser } from '../parse.js';

/**
 * Units of the quantities settings hold: one per kind. Durations are seconds (decimals where less than a second
 * matters); lifetimes are seconds too, also written with a unit (`15m`, `14d`).
 */
export type Unit = 'seconds' | 'lifetime' | 'bytes' | 'count';

/** The concerns settings are grouped by, in the reference and in `.env.example`. */
export const SECTIONS = {
  keys: { title: 'Keys', note: 'RSA key pair. npm start creates keys/private.pem and keys/public.pem (development keys) when they are missing.' },
  custody: {
    title: 'Signing key in an HSM (PKCS#11)',
    note: 'Instead of a private key file: the key stays in the token and signs there (see [Key custody](key-custody.md)); needs the `pkcs11js` package.',
  },
  tokens: { title: 'Tokens', note: 'Claims written into issued tokens and required on verification. Lists are comma-separated.' },
  transport: { title: 'Where the token comes from' },
  publishing: { title: 'Publishing keys and metadata' },
  sessions: { title: 'Sessions' },
  dpop: { title: 'Sender-constrained tokens: DPoP', note: 'RFC 9449 proofs of possession, checked by the guard over HTTP (see [DPoP](dpop.md)).' },
  remote: {
    title: "Identity providers: an issuer's keys",
    note:
      "A resource server (npm run start:resource-server) verifies with an issuer's JWK Set instead of key files; it " +
      'reads only its environment, not this file. The settings that tune fetching are refused where no JWK Set is fetched.',
  },
} as const satisfies Record<string, { title: string; note?: string }>;

export type Section = keyof typeof SECTIONS;

/** One setting: a `JWT_*` variable and the module option of the same meaning. */
export interface Setting<T = unknown> {
  /** The environment variable. */
  readonly env: `JWT_${string}`;
  /** The module option, as a dotted path into `Rs256AuthModuleOptions`; messages name it `<path> option`. */
  readonly option: string;
  readonly parse: Parser<T>;
  /** The default, written as the variable would be; absent when there is none, or it depends on other settings. */
  readonly default?: string;
  /** The default as the reference states it, where `default` alone does not say it. */
  readonly defaultDoc?: string;
  readonly unit?: Unit;
  /** One line of documentation (Markdown, links relative to docs/), shown in the reference and in `.env.example`. */
  readonly doc: string;
  readonly section: Section;
  /** Never quoted in a message, whatever its type. */
  readonly secret?: true;
  /** The value `.env.example` sets for the demo; absent, the variable is shown commented out. */
  readonly demo?: string;
  /** A value to show, commented out, in `.env.example` when there is no default to show. */
  readonly example?: string;
}

/** A row of the table, kept as written: whether it has a default, and its parser's type, show in `read`'s type. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any parser; each row keeps its own
export function setting<const R extends Setting<any>>(row: R): R {
  return row;
}
