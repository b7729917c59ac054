/** RFC 6750 §3 error codes this library sends. */
export type BearerError = 'invalid_token' | 'insufficient_scope';

// RFC 6750 §3: error_description and scope allow %x20-21 / %x23-5B / %x5D-7E only; anything else (quotes,
// backslashes, non-ASCII, control characters) could break out of the quoted string, so it is replaced.
function quoted(value: string): string {
  return `"${value.replace(/[^\x20\x21\x23-\x5b\x5d-\x7e]/g, '?')}"`;
}

/**
 * Builds a `WWW-Authenticate` challenge with RFC 6750 §3 parameters, under the configured authorization scheme
 * (`Bearer` unless `JWT_AUTH_SCHEME` says otherwise: a client is told the scheme it must send). Without an error it
 * is the bare challenge sent when a request carries no token. `resourceMetadata` is the URL of the RFC 9728
 * metadata (§5.1), which tells a client where to get a token.
 */
export function bearerChallenge(
  scheme: string,
  realm: string,
  error?: { code: BearerError; description: string; scope?: string },
  resourceMetadata?: string,
): string {
  let challenge = `${scheme} realm=${quoted(realm)}`;
  if (resourceMetadata !== undefined) {
    challenge += `, resource_metadata=${quoted(resourceMetadata)}`;
  }
  if (error) {
    challenge += `, error="${error.code}", error_description=${quoted(error.description)}`;
    if (error.scope) {
      challenge += `, scope=${quoted(error.scope)}`;
    }
  }
  return challenge;
}
