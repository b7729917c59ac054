/**
 * Why a request is refused, as its challenge tells the client (RFC 6750 §3): no token at all (the bare challenge,
 * without an error code), a token that was refused, or a valid token without what the route requires.
 */
export type ChallengeReason =
  | { readonly reason: 'missing_token' }
  | { readonly reason: 'invalid_token'; readonly description: string }
  | { readonly reason: 'insufficient_scope'; readonly description: string; readonly scope?: string }
  // RFC 9449 §7.1 and §8: a DPoP proof refused, or one without the server nonce it needs.
  | { readonly reason: 'invalid_dpop_proof' | 'use_dpop_nonce'; readonly description: string };

/** The settings every challenge carries (the module's resolved configuration has them). */
export interface ChallengeSettings {
  /** The authorization scheme a client must send (`JWT_AUTH_SCHEME`, `Bearer` by default). */
  readonly authScheme: string;
  readonly realm: string;
  /** RFC 9728 metadata, announced as `resource_metadata` (§5.1) so a client knows where to get a token. */
  readonly resourceMetadata?: { readonly url: string };
}

// RFC 6750 §3: error_description and scope allow %x20-21 / %x23-5B / %x5D-7E only; anything else (quotes,
// backslashes, non-ASCII, control characters) could break out of the quoted string, so it is replaced.
function quoted(value: string): string {
  return `"${value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '?')}"`;
}

/** The `WWW-Authenticate` challenge for a refusal, under the configured scheme, realm and metadata URL. */
export function wwwAuthenticate(settings: ChallengeSettings, why: ChallengeReason): string {
  let header = `${settings.authScheme} realm=${quoted(settings.realm)}`;
  if (settings.resourceMetadata !== undefined) {
    header += `, resource_metadata=${quoted(settings.resourceMetadata.url)}`;
  }
  if (why.reason !== 'missing_token') {
    header += `, error="${why.reason}", error_description=${quoted(why.description)}`;
    if (why.reason === 'insufficient_scope' && why.scope) {
      header += `, scope=${quoted(why.scope)}`;
    }
  }
  return header;
}
