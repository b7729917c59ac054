import type { Parser } from './parse.js';
import { KEY_SETTINGS } from './settings/keys.settings.js';
import { CUSTODY_SETTINGS } from './settings/custody.settings.js';
import { TOKEN_SETTINGS } from './settings/tokens.settings.js';
import { TRANSPORT_SETTINGS } from './settings/transport.settings.js';
import { PUBLISHING_SETTINGS } from './settings/publishing.settings.js';
import { SESSION_SETTINGS } from './settings/sessions.settings.js';
import { DPOP_SETTINGS } from './settings/dpop.settings.js';
import { REMOTE_SETTINGS } from './settings/remote.settings.js';
import type { Setting } from './settings/setting.js';

export { SECTIONS, type Section, type Setting, type Unit } from './settings/setting.js';
export { CODE_ONLY_OPTIONS } from './settings/code-only-options.js';

/**
 * The settings of this module: the only place the `JWT_*` names are written, one file of rows per section
 * (`settings/<section>.settings.ts`), assembled here in the order the reference lists them. The environment reader,
 * typo detection, `docs/configuration.md` and `.env.example` (`npm run docs:config`) all follow from it. A new
 * setting is a row in its section's file plus the code that uses its value (`reader.read('<key>')` where the
 * configuration is resolved).
 */
export const SETTINGS = {
  ...KEY_SETTINGS,
  ...CUSTODY_SETTINGS,
  ...TOKEN_SETTINGS,
  ...TRANSPORT_SETTINGS,
  ...PUBLISHING_SETTINGS,
  ...SESSION_SETTINGS,
  ...DPOP_SETTINGS,
  ...REMOTE_SETTINGS,
};

export type SettingKey = keyof typeof SETTINGS;

/** What a setting's parser gives. */
export type SettingValue<K extends SettingKey> = (typeof SETTINGS)[K]['parse'] extends Parser<infer T> ? T : never;

/** The variable of a shared-secret scheme: refused, and known, so that its misspellings are caught too. */
export const SECRET_ENV = 'JWT_SECRET';

/**
 * Variables renamed when their unit became seconds, with the setting that replaces each: set, they stop start-up
 * naming the new variable, since read as seconds their millisecond values would be a thousand times too long.
 */
export const RENAMED_ENV: Readonly<Record<`JWT_${string}`, SettingKey>> = {
  JWT_REDIS_TIMEOUT_MS: 'redisTimeout',
  JWT_REVOCATION_MAX_STALENESS_MS: 'revocationMaxStaleness',
  JWT_JWKS_TIMEOUT_MS: 'jwksTimeout',
};

/** Every `JWT_*` name the module knows: its settings, and the refused shared-secret variable. */
export const KNOWN_ENV: readonly string[] = [...Object.values(SETTINGS).map((row: Setting) => row.env), SECRET_ENV];
