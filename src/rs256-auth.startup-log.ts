import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Rs256AuthConfig } from './config/rs256-auth.config.js';
import { RemoteJwks } from './issuers/remote-jwks.js';
import { redactedUrl } from './observability/redacted-url.js';
import { RS256_AUTH_CONFIG } from './rs256-auth.constants.js';

/**
 * Logs one line at start-up saying how the module runs: the mode (signing, verify-only, resource server), the
 * `kid`s in force, the JWK Set route if one is served, and the issuer or audience checks that are off. `kid`s, routes and the JWK Set's address (without
 * credentials or query) only: never key material.
 */
@Injectable()
export class StartupLog implements OnApplicationBootstrap {
  private readonly logger = new Logger('Rs256Auth');

  constructor(
    @Inject(RS256_AUTH_CONFIG) private readonly config: Rs256AuthConfig,
    private readonly remoteJwks: RemoteJwks,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // In resource-server mode the kids come from the first fetch; report what it brought (none if it failed).
    await this.remoteJwks.initialFetch();
    this.logger.log(this.describe());
  }

  /**
   * What verification does not check, said where it is a choice: with local keys, no issuer or no audience (which
   * a resource server of an identity provider must check, see resolveAudienceCheck); else the audience opted out of.
   */
  private unchecked(): string {
    const { issuer, audience, acceptAnyAudience, remoteJwks, trustedIssuers } = this.config;
    if (remoteJwks || trustedIssuers) {
      return acceptAnyAudience ? '; checks no audience (JWT_ACCEPT_ANY_AUDIENCE)' : '';
    }
    const unset = [issuer === undefined ? 'JWT_ISSUER' : undefined, audience === undefined ? 'JWT_AUDIENCE' : undefined].filter((name) => name !== undefined);
    if (unset.length === 0) return '';
    const what = unset.map((name) => (name === 'JWT_ISSUER' ? 'no issuer' : 'no audience')).join(' and ');
    return `; checks ${what} (${unset.join(' and ')} ${unset.length === 1 ? 'is' : 'are'} not set)`;
  }

  private describe(): string {
    return `${this.mode()}${this.unchecked()}.`;
  }

  private mode(): string {
    const { keyStore, remoteJwks, trustedIssuers, jwks } = this.config;
    const keys = keyStore.keys;
    const kids = `[${keys.verificationKeys.map((key) => key.kid).join(', ')}]`;
    const served = jwks ? `JWK Set served at ${jwks.path}` : 'JWK Set not served';
    if (trustedIssuers) {
      const resolver = trustedIssuers.resolver ? ', and those the issuerResolver accepts' : '';
      const listed = trustedIssuers.list.map((trusted) => redactedUrl(trusted.issuer)).join(', ');
      return `Several issuers: verifies RS256 tokens of ${listed || 'no listed issuer'}${resolver}, each with its own keys; ${served}`;
    }
    if (remoteJwks) {
      const source = remoteJwks.uri ? redactedUrl(remoteJwks.uri) : `issuer ${redactedUrl(remoteJwks.discover!)} (by discovery)`;
      return `Resource-server mode: verifies RS256 tokens with the JWK Set of ${source}, kids ${keys.verificationKeys.length > 0 ? kids : '[] (none fetched yet)'}; ${served}`;
    }
    if (keys.signingKid !== undefined) {
      return `Signing mode: signs RS256 tokens with kid ${keys.signingKid}, verifies kids ${kids}; ${served}`;
    }
    return `Verify-only mode (no private key): verifies RS256 tokens with kids ${kids}; ${served}`;
  }
}
