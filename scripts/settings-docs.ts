/**
 * Renders the configuration reference (docs/configuration.md) and the demo's .env.example from the settings table,
 * src/options/settings.ts. `npm run docs:config` writes both; test/configuration-reference.spec.ts fails when the
 * committed files differ from what the table renders.
 */
import { CODE_ONLY_OPTIONS, SECTIONS, SETTINGS, type Section, type Setting } from '../src/options/settings.js';

const ROWS: readonly Setting[] = Object.values(SETTINGS);

const UNITS: Record<NonNullable<Setting['unit']>, string> = {
  seconds: 'seconds',
  lifetime: 'seconds, or `15m`, `1h`, `7d`',
  bytes: 'bytes',
  count: '',
};

function defaultOf(row: Setting): string {
  if (row.defaultDoc !== undefined) return row.defaultDoc;
  return row.default === undefined ? 'none' : `\`${row.default}\``;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

/** The rules that tie settings together, above the tables. */
const RULES: readonly string[] = [
  'Every setting is read through `ConfigService`; a module option of the same meaning overrides it. An empty variable',
  'counts as unset.',
  '',
  'Values are checked at start-up, and a value that cannot mean what it says stops it (`RS256_CONFIG_INVALID`, quoting',
  'the value, numbers included):',
  '',
  '- Lists (`JWT_AUDIENCE`, `JWT_REQUIRED_CLAIMS`, `JWT_PUBLIC_KEY_PATH`) are comma-separated; blank items are',
  '  dropped, but a list with no item left (`JWT_AUDIENCE=" , "`) is refused. Claim names contain no white space:',
  '  `JWT_REQUIRED_CLAIMS="exp iat sub"` is refused (write `exp,iat,sub`). To require no claim at all, pass',
  '  `tokens: { requiredClaims: [] }` as an option.',
  '- Booleans accept `true`, `false`, `1`, `0`, `yes`, `no`, in any case.',
  '- `JWT_JWKS_PATH` and `JWT_JWKS_MAX_AGE` are refused while the JWK Set endpoint is off.',
  '- The JWK Set fetch settings (`JWT_JWKS_CACHE_MAX_AGE`, `JWT_JWKS_COOLDOWN`, `JWT_JWKS_TIMEOUT`,',
  '  `JWT_JWKS_MAX_BYTES`, `JWT_JWKS_MAX_KEYS`, `JWT_JWKS_ALLOW_HTTP`, `JWT_JWKS_MAX_STALE`, and their options) are refused where no JWK Set',
  '  is fetched: with local keys, or with trusted issuers that all have local keys and no `keys.issuerResolver`. The message',
  '  names the setting and what is missing (`JWT_JWKS_URI`, `JWT_ISSUER_URL`, `JWT_TRUSTED_ISSUERS`, or an issuer with a',
  '  fetched set).',
  '- **No audience, no start.** Where the keys come from an identity provider (`JWT_JWKS_URI`, `JWT_ISSUER_URL`,',
  '  `JWT_TRUSTED_ISSUERS`, a `keys.issuerResolver`), start-up needs `JWT_AUDIENCE` (for trusted issuers: an audience for',
  "  each, its own or `JWT_AUDIENCE`): the provider's keys sign tokens for every API of the tenant, and without an",
  '  audience check a token minted for another API passes here (express-oauth2-jwt-bearer refuses to start the same',
  '  way). The error names both ways out: set `JWT_AUDIENCE`, or `JWT_ACCEPT_ANY_AUDIENCE=true` to accept any audience',
  '  on purpose (refused with local keys, and together with `JWT_AUDIENCE`). With local keys the audience stays',
  '  optional, and the start-up line says when no issuer or no audience is checked (`checks no issuer (JWT_ISSUER is',
  '  not set) and no audience (JWT_AUDIENCE is not set)`).',
  '- **URLs are shown redacted.** Wherever a URL appears in a log line or an error message (a JWK Set fetch, a discovery',
  '  mismatch, a refused `JWT_JWKS_URI`, an issuer of `JWT_TRUSTED_ISSUERS`, a malformed `JWT_REDIS_URL`, a URL quoted',
  '  inside an error of `fetch` or ioredis), its userinfo is removed, its query values are masked (`?api_key=***`) and its',
  '  fragment dropped. `JWT_REDIS_URL` is parsed at start-up, so a malformed one (`redis://:pw@host:notaport`) stops it',
  "  with an error naming the setting, not with ioredis's, which quotes the whole URL.",
  '- **Misspelt variables.** At start-up every `JWT_*` name in `process.env` (where `ConfigModule` also puts the',
  '  variables of the `.env` file it loads) that is not in the tables below is checked. One within a typo of a known',
  '  name stops start-up: `JWT_ISSUR is not a setting of this module; did you mean JWT_ISSUER?` (a misspelt',
  '  `JWT_ISSUER` would otherwise turn the issuer check off). A typo is at most one edit (a letter added, dropped,',
  '  changed, or two neighbours swapped) from a name of up to 7 characters after `JWT_`, two from a longer one, and',
  "  names are compared in upper case. Any other `JWT_*` name may be the application's own: all of them are named in",
  "  one warning at start-up. Values are never shown. List the application's own names in the `ignoreEnv` option to",
  "  silence both. Values that `ConfigModule`'s `load` factories return are the application's configuration, not",
  '  variables, and are not checked. A `*_FILE` name of a key variable (`JWT_PRIVATE_KEY_FILE`, the Docker secrets convention) is named in the',
  '  warning with the `_PATH` setting it meant, and so is it in `RS256_NO_KEY` when no key was found: this module reads',
  '  the file itself, so `JWT_PRIVATE_KEY_PATH=/run/secrets/jwt_private_key` is the way to pass a Docker secret.',
];

/** docs/configuration.md: one table per concern, then the options given in code only. */
export function renderConfigurationReference(): string {
  const lines = [
    '# Configuration',
    '',
    '<!-- Generated from src/options/settings.ts by `npm run docs:config`: edit the table there, not this file. -->',
    '',
    ...RULES,
    '',
    'Durations are in seconds (decimals where less than a second matters: `JWT_REDIS_TIMEOUT=0.5`); lifetimes take seconds',
    'or a unit (`s`, `m`, `h`, `d`, `w`). The variables once in milliseconds are renamed, and their old names stop',
    'start-up naming the new one: `JWT_REDIS_TIMEOUT_MS` is now `JWT_REDIS_TIMEOUT`, `JWT_REVOCATION_MAX_STALENESS_MS`',
    '`JWT_REVOCATION_MAX_STALENESS`, `JWT_JWKS_TIMEOUT_MS` `JWT_JWKS_TIMEOUT`, all in seconds.',
  ];
  for (const [section, { title }] of Object.entries(SECTIONS) as [Section, { title: string }][]) {
    lines.push('', `## ${title}`, '', '| variable | option | meaning | unit | default |', '|---|---|---|---|---|');
    for (const row of ROWS.filter((candidate) => candidate.section === section)) {
      const unit = row.unit ? UNITS[row.unit] : '';
      lines.push(`| \`${row.env}\` | \`${row.option}\` | ${cell(row.doc)} | ${unit} | ${cell(defaultOf(row))} |`);
    }
  }
  lines.push('', '## Options given in code only', '', '| option | meaning | default |', '|---|---|---|');
  for (const option of CODE_ONLY_OPTIONS) {
    lines.push(`| \`${option.option}\` | ${cell(option.doc)} | ${cell(option.defaultDoc)} |`);
  }
  lines.push('', 'The demo adds `HOST` (default `127.0.0.1`), `PORT` (default `3000`) and `DEMO_USERS`.', '');
  return lines.join('\n');
}

/** Markdown made plain for a comment: links become their text, code marks go. */
function plain(text: string): string {
  return text.replace(/\[([^\]]+)\]\([^)]+\)/g, '$1').replace(/`/g, '');
}

/** `# `-prefixed lines of at most 120 characters. */
function comment(text: string): string[] {
  const lines: string[] = [];
  let line = '#';
  for (const word of plain(text).split(' ')) {
    if (line.length + 1 + word.length > 120 && line !== '#') {
      lines.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines;
}

/** .env.example: the demo's settings (its defaults, read by `npm start`), every other setting commented out. */
export function renderEnvExample(): string {
  const lines = [
    '# Settings of the demo server (npm start). These are also its defaults: a .env file, when present, overrides them.',
    '# Generated from src/options/settings.ts by `npm run docs:config`; docs/configuration.md has every setting.',
    '# A JWT_* name that is a misspelling of one of them stops start-up ("did you mean JWT_ISSUER?"); any other JWT_* name',
    "# is named in a start-up warning (the ignoreEnv option lists an application's own).",
    '',
    '# Where the demo listens.',
    'HOST=127.0.0.1',
    'PORT=3000',
  ];
  for (const [section, { title, ...rest }] of Object.entries(SECTIONS) as [Section, { title: string; note?: string }][]) {
    lines.push('', ...comment(`${title}.${'note' in rest && rest.note ? ` ${rest.note}` : ''}`));
    for (const row of ROWS.filter((candidate) => candidate.section === section)) {
      const unit = row.unit === 'lifetime' || row.unit === 'count' || row.unit === undefined ? '' : ` (${UNITS[row.unit]})`;
      lines.push(...comment(`${row.doc}${unit}`));
      lines.push(row.demo !== undefined ? `${row.env}=${row.demo}` : `# ${row.env}=${row.example ?? row.default ?? ''}`);
    }
  }
  lines.push(
    '',
    "# The demo's stand-in user store: username:password:space-separated scopes, users separated by commas.",
    'DEMO_USERS=demo:demo-password:profile orders:read,guest:guest-password:profile',
    '',
  );
  return lines.join('\n');
}
