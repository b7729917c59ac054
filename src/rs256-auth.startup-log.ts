import type { Rs256AuthConfig } from './options/rs256-auth-config.js';
import { SETTINGS } from './options/settings.js';
import { describeMtls } from './mtls/certificate-binding.js';

/**
 * The two lines logged at start-up (by KeyLifecycle, once the first fetch is done) saying how the module runs: the
 * mode and the `kid`s in force (the key source's own description), the JWK Set route if one is served, and whether
 * the issuer or the audience goes unchecked; then the rest of the policy. `kid`s, routes and addresses (redacted, see
 * redactedUrl) only: never key material.
 */
export function startupLines(config: Rs256AuthConfig, keys: string): [string, string] {
  const served = config.jwks ? `JWK Set served at ${config.jwks.path}` : 'JWK Set not served';
  return [`${keys}; ${served}${unchecked(config)}.`, policy(config)];
}

/**
 * The rest of the policy, on a line of its own: clock tolerance, the verified-token cache, sessions and their
 * store, refusal logging, the metadata routes, and DPoP where it is on by default. The Redis URL is not shown (it may hold a password).
 */
function policy(config: Rs256AuthConfig): string {
  const { clockTolerance, cacheSize, sessions, logRefusals, discovery, resourceMetadata, mtls } = config;
  const parts = [
    `clock tolerance ${clockTolerance} s`,
    cacheSize > 0 ? `verified-token cache of ${cacheSize}` : 'verified-token cache off',
    sessions ? `sessions on, stored ${sessions.store === 'redis' ? 'in Redis' : 'in memory (this process only)'}` : 'sessions off',
    logRefusals ? `refusals logged at ${logRefusals}` : 'refusals not logged',
  ];
  if (mtls) parts.push(describeMtls(mtls));
  if (discovery) parts.push(`discovery metadata served at ${discovery.paths.join(' and ')}`);
  if (resourceMetadata) parts.push(`protected-resource metadata served at ${resourceMetadata.path}`);
  const { dpop } = config;
  if (dpop.mode !== 'off') {
    const where = sessions?.store === 'redis' ? 'in Redis' : 'in memory (this process only)';
    parts.push(`DPoP ${dpop.mode} (${dpop.algorithms.join(', ')}), proofs remembered ${where}${dpop.nonce ? ', server nonces' : ''}`);
  }
  return `Policy: ${parts.join('; ')}.`;
}

/**
 * The checks verification skips, and why: any `iss` passes without `JWT_ISSUER` (several issuers always check
 * it), any `aud` without `JWT_AUDIENCE` (with local keys; an identity provider's keys need one, or the explicit
 * `JWT_ACCEPT_ANY_AUDIENCE`, see resolveAudienceCheck).
 */
function unchecked(config: Rs256AuthConfig): string {
  const { issuer, audience, acceptAnyAudience, trustedIssuers } = config;
  const skipped: string[] = [];
  if (issuer === undefined && trustedIssuers === undefined) skipped.push(`no issuer (${SETTINGS.issuer.env} is not set)`);
  if (acceptAnyAudience) skipped.push(`no audience${trustedIssuers ? ' for issuers without their own' : ''} (${SETTINGS.acceptAnyAudience.env})`);
  else if (audience === undefined && trustedIssuers === undefined) skipped.push(`no audience (${SETTINGS.audience.env} is not set)`);
  return skipped.length === 0 ? '' : `; checks ${skipped.join(' and ')}`;
}
