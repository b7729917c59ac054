import type { ConfigService } from '@nestjs/config';
import type { Rs256AuthModuleOptions } from './rs256-auth-options.interface.js';
import { boolean } from './parse.js';
import { SETTINGS, type Setting, type SettingKey, type SettingValue } from './settings.js';

/** The value at a dotted option path; an object where a boolean is read (`jwks: { path }`) means "on". */
function optionAt(options: Rs256AuthModuleOptions, row: Setting): unknown {
  let value: unknown = options;
  for (const member of row.option.split('.')) {
    value = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[member] : undefined;
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value) && row.parse === boolean ? true : value;
}

/**
 * Reads the settings of the table: the option if given, else its environment variable through `ConfigService`.
 * Every message names a setting by {@link label}: the option path when the option gave it, else the variable.
 */
export class SettingsReader {
  constructor(
    private readonly options: Rs256AuthModuleOptions,
    private readonly config?: ConfigService,
  ) {}

  private fromOption(key: SettingKey): unknown {
    return optionAt(this.options, SETTINGS[key]);
  }

  /** The value as given, unparsed; `undefined` when the setting is not set. */
  raw(key: SettingKey): unknown {
    const option = this.fromOption(key);
    if (option !== undefined) {
      return option;
    }
    const fromEnv: unknown = this.config?.get(SETTINGS[key].env);
    // An empty variable (`JWT_ISSUER=` in a .env file) means "not set", not "the empty string".
    return fromEnv === '' ? undefined : fromEnv;
  }

  /** Whether the setting is set, by an option or a variable. */
  has(key: SettingKey): boolean {
    return this.raw(key) !== undefined;
  }

  /** The setting as messages name it: `<option path> option` when an option gave it, else its variable. */
  label(key: SettingKey): string {
    return this.fromOption(key) !== undefined ? `${SETTINGS[key].option} option` : SETTINGS[key].env;
  }

  /** The setting parsed by its row's parser; its default when not set (`undefined` where it has none). */
  read<K extends SettingKey>(key: K): SettingValue<K> | ((typeof SETTINGS)[K] extends { default: string } ? never : undefined) {
    const row: Setting = SETTINGS[key];
    const value = this.raw(key) ?? row.default;
    return (value === undefined ? undefined : row.parse(value, this.label(key))) as SettingValue<K>;
  }
}
