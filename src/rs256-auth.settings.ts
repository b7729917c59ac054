import { Inject } from '@nestjs/common';
import type { Rs256AuthConfig, TokenProfile } from './options/rs256-auth-config.js';
import { RS256_AUTH_SETTINGS } from './rs256-auth.constants.js';

/**
 * The few resolved settings an application that issues tokens may need, as frozen plain data: what the options and
 * the environment amounted to, without the keys or any live state of the module. Grouped as the options are.
 */
export interface Rs256AuthSettings {
  /** What issued tokens carry (`tokens` options). */
  readonly tokens: {
    /** The `iss` of issued tokens (`JWT_ISSUER`); `undefined` when none is set. */
    readonly issuer?: string;
    /** Accepted audiences (`JWT_AUDIENCE`); the first is written into issued tokens. */
    readonly audience?: readonly string[];
    /** Lifetime of issued access tokens, in seconds (`JWT_EXPIRES_IN`): the `expires_in` of a token response. */
    readonly expiresIn: number;
    /** Shape of issued tokens (`JWT_TOKEN_PROFILE`): under `rfc9068` an access token needs a `client_id` claim. */
    readonly profile: TokenProfile;
  };
  /** Refresh tokens and revocation are on (`JWT_SESSIONS_ENABLED`): `SessionService.issue` may be used. */
  readonly sessions: boolean;
}

/** Builds the settings view from the resolved configuration. */
export function toRs256AuthSettings(config: Rs256AuthConfig): Rs256AuthSettings {
  return Object.freeze({
    tokens: Object.freeze({
      ...(config.issuer !== undefined && { issuer: config.issuer }),
      ...(config.audience !== undefined && { audience: Object.freeze([...config.audience]) }),
      expiresIn: config.expiresIn,
      profile: config.tokenProfile,
    }),
    sessions: config.sessions !== undefined,
  });
}

/**
 * Injects the resolved `Rs256AuthSettings`.
 * @example
 * constructor(@InjectRs256AuthSettings() private readonly settings: Rs256AuthSettings) {}
 * // ...
 * return { access_token, token_type: 'Bearer', expires_in: this.settings.tokens.expiresIn };
 */
export const InjectRs256AuthSettings = (): PropertyDecorator & ParameterDecorator => Inject(RS256_AUTH_SETTINGS);
