import { Rs256AuthError } from '../errors/rs256-auth.error.js';

/**
 * Turns the value of one setting, as an option or a variable gave it, into what the configuration holds.
 * @param setting the setting as messages name it: its variable, or its option path
 * @throws Rs256AuthError `RS256_CONFIG_INVALID` naming the setting and quoting the value (unless it is secret)
 */
export type Parser<T> = (value: unknown, setting: string) => T;

/**
 * How a message shows a value: strings quoted, numbers and booleans as written, anything else (and any value of
 * a secret setting) by its type only.
 */
export function shown(value: unknown, secret: boolean): string {
  if (!secret && typeof value === 'string') return `"${value}"`;
  if (!secret && (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')) return String(value);
  if (value === null) return 'null';
  const type = Array.isArray(value) ? 'array' : typeof value;
  return `${/^[aeiou]/.test(type) ? 'an' : 'a'} ${type}`;
}

export function invalid(setting: string, value: unknown, expected: string, secret = false): Rs256AuthError {
  return new Rs256AuthError('RS256_CONFIG_INVALID', `${setting} is ${shown(value, secret)}; expected ${expected}.`);
}

/** Every word a boolean setting accepts (compared case-insensitively), and what it means. */
export const BOOLEAN_WORDS: ReadonlyMap<string, boolean> = new Map([
  ['true', true],
  ['false', false],
  ['1', true],
  ['0', false],
  ['yes', true],
  ['no', false],
]);
const BOOLEAN_EXPECTED = `one of ${[...BOOLEAN_WORDS.keys()].join(', ')}`;

const UNIT_SECONDS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** The value as it was given: settings with a shape of their own are checked where they are resolved. */
export const raw: Parser<unknown> = (value) => value;

/** A string; a secret one is never quoted back. */
export function text({ secret = false } = {}): Parser<string> {
  return (value, setting) => {
    if (typeof value !== 'string') {
      throw invalid(setting, value, 'a string', secret);
    }
    return value;
  };
}

/**
 * A list given as an array, or as a comma-separated string in the environment. Blank items are dropped, but a
 * value with no item left (`" , "`) is refused rather than read as "no list"; only an empty array, where
 * `allowEmpty`, means an empty list.
 */
export function list({ allowEmpty = false } = {}): Parser<string[]> {
  return (value, setting) => {
    const items = typeof value === 'string' ? value.split(',') : value;
    if (!Array.isArray(items) || !items.every((item) => typeof item === 'string')) {
      throw invalid(setting, value, 'a comma-separated list or an array of strings');
    }
    const kept = items.map((item) => item.trim()).filter((item) => item.length > 0);
    if (kept.length === 0 && !(allowEmpty && items.length === 0)) {
      throw invalid(setting, value, `at least one non-empty item, or ${allowEmpty ? 'an empty array as the option' : 'no value at all'}`);
    }
    return kept;
  };
}

export const boolean: Parser<boolean> = (value, setting) => {
  if (typeof value === 'boolean') {
    return value;
  }
  const word = typeof value === 'string' ? BOOLEAN_WORDS.get(value.trim().toLowerCase()) : undefined;
  if (word === undefined) {
    throw invalid(setting, value, `${BOOLEAN_EXPECTED} (any case)`);
  }
  return word;
};

/** A whole number of at least `min`, as a number or as digits. */
export function integer({ min }: { min: number }): Parser<number> {
  return (value, setting) => {
    const number = typeof value === 'string' && /^\s*\d+\s*$/.test(value) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isInteger(number) || number < min) {
      throw invalid(setting, value, `a whole number of at least ${min}`);
    }
    return number;
  };
}

/**
 * A duration in seconds, decimals allowed where less than a second matters (`0.5`), as a number or as written in a
 * variable; at least `min`.
 */
export function seconds({ min }: { min: number }): Parser<number> {
  return (value, setting) => {
    const number = typeof value === 'string' && /^\s*\d+(\.\d+)?\s*$/.test(value) ? Number(value) : value;
    if (typeof number !== 'number' || !Number.isFinite(number) || number < min) {
      throw invalid(setting, value, `a number of seconds of at least ${min} (decimals allowed: 0.5)`);
    }
    return number;
  };
}

/** A lifetime in seconds: seconds as a number or digits, or digits with one unit of s, m, h, d or w. */
export const lifetime: Parser<number> = (value, setting) => {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0) {
    return value;
  }
  const match = typeof value === 'string' ? /^\s*(\d+)\s*([smhdw]?)\s*$/.exec(value) : null;
  const seconds = match ? Number(match[1]) * UNIT_SECONDS[match[2] || 's'] : 0;
  if (seconds <= 0) {
    throw invalid(setting, value, "a positive lifetime such as 900, '15m', '1h' or '7d'");
  }
  return seconds;
};
