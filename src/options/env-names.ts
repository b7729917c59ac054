import { Logger } from '@nestjs/common';
import type { ConfigService } from '@nestjs/config';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import type { Rs256AuthModuleOptions } from './rs256-auth-options.interface.js';
import { invalid } from './parse.js';
import { KNOWN_ENV, RENAMED_ENV, SECRET_ENV, SETTINGS } from './settings.js';
import { ENV_PREFIX, findUnknownEnv, pathVariableFor } from './unknown-env.js';

/** Option names that would turn RS256 into a shared-secret scheme; none of them has a meaning here. */
const SECRET_OPTIONS = ['secret', 'secretOrKey', 'secretOrPrivateKey', 'secretOrKeyProvider'];

const KEY_PATHS = `${SETTINGS.privateKeyPath.env}/${SETTINGS.publicKeyPath.env}`;

/** A shared secret, as an option or a variable, stops start-up: this module signs and verifies with RSA keys only. */
export function refuseSecrets(options: Rs256AuthModuleOptions, config?: ConfigService): void {
  const given = SECRET_OPTIONS.find((name) => name in options);
  if (given) {
    throw new Rs256AuthError(
      'RS256_SECRET_REFUSED',
      `The ${given} option is not accepted: RS256 signs with a private key and verifies with a public key. ` +
        `Use keys.privateKeyPath/keys.publicKeyPath (${KEY_PATHS}) instead.`,
    );
  }
  if (config?.get(SECRET_ENV)) {
    throw new Rs256AuthError(
      'RS256_SECRET_REFUSED',
      `${SECRET_ENV} is set, but this module never uses a shared secret; remove it and set ${KEY_PATHS} instead.`,
    );
  }
}

/**
 * A variable of the millisecond era (`JWT_REDIS_TIMEOUT_MS`) stops start-up naming its successor in seconds, with the
 * value converted when it is a number: ignored, it would silently leave the setting at its default.
 */
export function refuseRenamedEnv(config?: ConfigService): void {
  for (const [old, key] of Object.entries(RENAMED_ENV)) {
    const value: unknown = config?.get(old);
    if (value === undefined || value === '') continue;
    const next = SETTINGS[key].env;
    const milliseconds = Number(value);
    const example = Number.isFinite(milliseconds) && milliseconds > 0 ? `${next}=${milliseconds / 1000}` : `${next}=0.5 for 500 ms`;
    throw new Rs256AuthError('RS256_CONFIG_INVALID', `${old} is no longer read: set ${next} instead, in seconds (${example}), and remove ${old}.`);
  }
}

/**
 * Looks for misspelt and unknown `JWT_*` names in `process.env`. That is where `ConfigModule` puts every variable
 * of the `.env` file(s) it loaded (validated or not), and the only place `@nestjs/config` lets anyone list names:
 * `ConfigService` reads a name it is given but lists none. Values given by `load` factories are the application's
 * own configuration objects and are not scanned. A misspelling of a known name stops start-up, because the setting
 * it meant silently keeps its default (a typo in `JWT_ISSUER` turns the issuer check off); any other `JWT_*` name
 * may be the application's own, so it is named in one warning. Values are never shown.
 */
export function checkEnvNames(ignoreEnv: Rs256AuthModuleOptions['ignoreEnv']): void {
  if (ignoreEnv !== undefined && (!Array.isArray(ignoreEnv) || !ignoreEnv.every((name) => typeof name === 'string'))) {
    throw invalid('ignoreEnv option', ignoreEnv, 'an array of variable names');
  }
  const ignored: readonly string[] = ignoreEnv ?? [];
  const claimed = ignored.find((name) => KNOWN_ENV.includes(name));
  if (claimed) {
    throw new Rs256AuthError('RS256_CONFIG_INVALID', `ignoreEnv option lists ${claimed}, a setting of this module; remove it from the list.`);
  }
  const { misspelt, unknown } = findUnknownEnv(Object.keys(process.env), KNOWN_ENV, ignored);
  if (misspelt.length > 0) {
    const guesses = misspelt.map(({ name, meant }) => `${name} is not a setting of this module; did you mean ${meant}?`);
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${guesses.join(' ')} If it is the application's own variable, list it in the ignoreEnv option.`,
    );
  }
  if (unknown.length > 0) {
    new Logger('Rs256Auth').warn(
      `Unknown ${ENV_PREFIX}* variables, not settings of this module: ${unknown.join(', ')}. ${fileVariableHints(unknown)}` +
        "List the application's own in the ignoreEnv option to silence this warning.",
    );
  }
}

/**
 * A sentence per `*_FILE` name that means a `*_PATH` setting (`JWT_PRIVATE_KEY_FILE`, as Docker secrets are often
 * passed), or nothing.
 */
export function fileVariableHints(names: readonly string[]): string {
  return names
    .map((name) => ({ name, meant: pathVariableFor(name, KNOWN_ENV) }))
    .filter(({ meant }) => meant !== undefined)
    .map(({ name, meant }) => `For ${name}, set ${meant} instead: it takes the key file's path, a Docker secret's /run/secrets/<name> included. `)
    .join('');
}
