import { Logger } from '@nestjs/common';
import type { Rs256AuthConfig } from '../options/rs256-auth-config.js';
import type { Rs256AuthError } from '../errors/rs256-auth.error.js';
import { quotedUrl } from '../observability/redacted-url.js';
import type { KeySet } from '../keys/key-set.js';

/** Longest value read from a token that a log line quotes: a token can carry anything, a log line should not. */
const MAX_SHOWN = 120;
/** Most expected kids named; a JWK Set may hold many more. */
const MAX_KIDS = 5;

const logger = new Logger('Rs256Auth');

/** A segment of the token, decoded without trusting it; `undefined` if it is not base64url JSON of an object. */
function peek(segment: string | undefined): Record<string, unknown> | undefined {
  if (segment === undefined || !/^[A-Za-z0-9_-]*$/.test(segment)) return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A value from the token as JSON (control characters escaped), cut short. */
function shown(value: unknown): string {
  if (value === undefined) return 'none';
  const json = JSON.stringify(value) ?? typeof value;
  return json.length > MAX_SHOWN ? `${json.slice(0, MAX_SHOWN)}…` : json;
}

/** Up to MAX_KIDS values, each as `show` puts it (JSON by default), and how many more there are. */
function expected(values: readonly string[] | undefined, none: string, show: (value: string) => string = (value) => JSON.stringify(value)): string {
  if (values === undefined || values.length === 0) return none;
  const listed = values.slice(0, MAX_KIDS).map(show);
  return `${listed.join(', ')}${values.length > MAX_KIDS ? `, and ${values.length - MAX_KIDS} more` : ''}`;
}

/**
 * Logs one refused token, when the `logRefusals` option asks for it: the code and reason, then the token's `iss`,
 * `aud` and `kid` beside what this module expects. Never the token, and never its signature; the expected issuers
 * are settings, shown as every configured URL is (redactedUrl: no credentials, no query values).
 */
export function logRefusal(config: Rs256AuthConfig, keys: KeySet, token: string | null | undefined, refusal: Rs256AuthError): void {
  const level = config.logRefusals;
  if (level === undefined || !token || refusal.code === 'RS256_TOKEN_MISSING') {
    return;
  }
  const [headerSegment, payloadSegment] = token.split('.', 2);
  const header = peek(headerSegment);
  const payload = peek(payloadSegment);
  const trusted = config.trustedIssuers?.list;
  const issuers = trusted ? trusted.map((entry) => entry.issuer) : config.issuer === undefined ? undefined : [config.issuer];
  const audiences = trusted ? [...new Set(trusted.flatMap((entry) => entry.audience ?? []))] : config.audience;
  const kids = keys.verificationKeys.map((key) => key.kid);
  const line =
    `Refused a token: ${refusal.code} (${refusal.message}); ` +
    `iss ${shown(payload?.iss)}, expected ${expected(issuers, 'any', quotedUrl)}; ` +
    `aud ${shown(payload?.aud)}, expected ${expected(audiences, 'any')}; ` +
    `kid ${shown(header?.kid)}, known ${expected(kids, trusted ? 'per issuer' : 'none yet')}`;
  if (level === 'warn') {
    logger.warn(line);
  } else {
    logger.debug(line);
  }
}
