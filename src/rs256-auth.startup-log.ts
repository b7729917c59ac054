import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import type { Rs256AuthConfig } from './options/rs256-auth-config.js';
import { RemoteJwks } from './issuers/remote-jwks.js';
import { redactedUrl } from './observability/redacted-url.js';
import { KeyRotation } from './rotation/key-rotation.js';
import { RS256_AUTH_CONFIG } from './rs256-auth.constants.js';
import { SETTINGS } from './options/settings.js';
import { describeMtls } from './mtls/certificate-binding.js';

/**
 * Logs two lines at start-up saying how the module runs: the mode (signing, verify-only, resource server), the
 * `kid`s in force, the JWK Set route if one is served, and whether the issuer or the audience goes unchecked; then
 * the rest of the policy. `kid`s, routes and addresses (redacted, see redactedUrl) only: never key material.
 */
@Injectable()
export class StartupLog implements OnApplicationBootstrap {
  private readonly logger = new Logger('Rs256Auth');

  constructor(
    @Inject(RS256_AUTH_CONFIG) private readonly config: Rs256AuthConfig,
    private readonly remoteJwks: RemoteJwks,
    private readonly rotation: KeyRotation,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    // In resource-server mode the kids come from the first fetch; report what it brought (none if it failed).
    await this.remoteJwks.initialFetch();
    this.logger.log(this.describe());
    this.logger.log(this.policy());
  }

  /**
   * The rest of the policy, on a line of its own: clock tolerance, the verified-token cache, sessions and their
   * store, refusal logging, and the metadata routes. The Redis URL is not shown (it may hold a password).
   */
  private policy(): string {
    const { clockTolerance, cacheSize, sessions, logRefusals, discovery, resourceMetadata, mtls } = this.config;
    const parts = [
      `clock tolerance ${clockTolerance} s`,
      cacheSize > 0 ? `verified-token cache of ${cacheSize}` : 'verified-token cache off',
      sessions ? `sessions on, stored ${sessions.store === 'redis' ? 'in Redis' : 'in memory (this process only)'}` : 'sessions off',
      logRefusals ? `refusals logged at ${logRefusals}` : 'refusals not logged',
    ];
    if (mtls) parts.push(describeMtls(mtls));
    if (discovery) parts.push(`discovery metadata served at ${discovery.paths.join(' and ')}`);
    if (resourceMetadata) parts.push(`protected-resource metadata served at ${resourceMetadata.path}`);
    return `Policy: ${parts.join('; ')}.`;
  }

  /**
   * The checks verification skips, and why: any `iss` passes without `JWT_ISSUER` (several issuers always check
   * it), any `aud` without `JWT_AUDIENCE` (with local keys; an identity provider's keys need one, or the explicit
   * `JWT_ACCEPT_ANY_AUDIENCE`, see resolveAudienceCheck).
   */
  private unchecked(): string {
    const { issuer, audience, acceptAnyAudience, trustedIssuers } = this.config;
    const skipped: string[] = [];
    if (issuer === undefined && trustedIssuers === undefined) skipped.push(`no issuer (${SETTINGS.issuer.env} is not set)`);
    if (acceptAnyAudience) skipped.push(`no audience${trustedIssuers ? ' for issuers without their own' : ''} (${SETTINGS.acceptAnyAudience.env})`);
    else if (audience === undefined && trustedIssuers === undefined) skipped.push(`no audience (${SETTINGS.audience.env} is not set)`);
    return skipped.length === 0 ? '' : `; checks ${skipped.join(' and ')}`;
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
    const rotation = this.rotation.describe();
    if (rotation !== undefined) {
      return `Signing mode: signs RS256 tokens, ${rotation}; verifies kids ${kids}; ${served}`;
    }
    if (keys.signingKid !== undefined) {
      return `Signing mode: signs RS256 tokens with kid ${keys.signingKid}, verifies kids ${kids}; ${served}`;
    }
    return `Verify-only mode (no private key): verifies RS256 tokens with kids ${kids}; ${served}`;
  }
}
