/**
 * Renders the configuration reference (docs/configuration.md) and the demo's .env.example from the settings table,
 * src/options/settings.ts. `npm run docs:config` writes both; test/configuration-reference.spec.ts fails when the
 * committed files differ from what the table renders.
 */
import { CODE_ONLY_OPTIONS, SECTIONS, SETTINGS, type Section, type Setting } from '../src/options/settings.js';

const ROWS: readonly Setting[] = Object.values(SETTINGS);

const UNITS: Record<NonNullable<Setting['unit']>, string> = {
  seconds: 'seconds',
  milliseconds: 'milliseconds',
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

/** docs/configuration.md: one table per concern, then the options given in code only. */
export function renderConfigurationReference(): string {
  const lines = [
    '# Configuration reference',
    '',
    '<!-- Generated from src/options/settings.ts by `npm run docs:config`: edit the table there, not this file. -->',
    '',
    'Every setting is read through `ConfigService` (the environment, or a `.env` file that `ConfigModule` loads); a module',
    'option of the same meaning overrides it. An empty variable counts as unset. Values are checked at start-up, and one',
    'that cannot mean what it says stops it with `RS256_CONFIG_INVALID`, naming the variable (or the option, when an',
    'option gave it). Lists are comma-separated in the environment and arrays as options; booleans accept `true`,',
    '`false`, `1`, `0`, `yes`, `no` in any case. A `JWT_*` variable within a typo of one below stops start-up ("did you',
    'mean …?"); any other `JWT_*` name is named in one warning (list the application\'s own in `ignoreEnv`). See',
    '[Configuration](../README.md#configuration) for the rules that tie settings together.',
    '',
    'Durations are in seconds, but where the variable\'s name ends in `_MS`; lifetimes take seconds or a unit (`s`, `m`,',
    '`h`, `d`, `w`).',
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
    '# is named in a start-up warning (the ignoreEnv option lists an application\'s own).',
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
