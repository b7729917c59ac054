import { createHash, timingSafeEqual } from 'node:crypto';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import type { JwtClaims } from '../interfaces/jwt-claims.interface.js';
import type { MtlsConfig } from '../options/rs256-auth-config.js';
import { presentedCertificate } from './client-certificate.js';

/**
 * The `cnf` `x5t#S256` of a token (RFC 8705 §3.1): `undefined` when the token is not certificate-bound, an error when
 * it names a thumbprint that is not a non-empty string.
 */
function boundThumbprint(claims: JwtClaims): string | undefined | Rs256AuthError {
  const cnf: unknown = claims.cnf;
  if (typeof cnf !== 'object' || cnf === null || !Object.hasOwn(cnf, 'x5t#S256')) {
    return undefined;
  }
  const thumbprint = (cnf as Record<string, unknown>)['x5t#S256'];
  return typeof thumbprint === 'string' && thumbprint.length > 0
    ? thumbprint
    : new Rs256AuthError('RS256_TOKEN_CLAIM_INVALID', 'claim cnf.x5t#S256 is not a certificate thumbprint');
}

/** RFC 8705 §3.1: base64url of the SHA-256 of the certificate's DER encoding. */
export function certificateThumbprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('base64url');
}

function sameThumbprint(presented: string, expected: string): boolean {
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Why a verified token may not be used on this request under `JWT_MTLS_BOUND` (RFC 8705 §3.2), or `undefined` when
 * it may: a bound token needs the client certificate it names; under `'required'` every token must be bound. The
 * messages name neither the certificate nor its thumbprint.
 * @param carrier the guard's carrier: the HTTP request, whose socket or trusted proxy header holds the certificate
 */
export function certificateBindingRefusal(config: MtlsConfig, carrier: unknown, claims: JwtClaims): Rs256AuthError | undefined {
  const expected = boundThumbprint(claims);
  if (expected instanceof Rs256AuthError) {
    return expected;
  }
  if (expected === undefined) {
    return config.bound === 'required'
      ? new Rs256AuthError('RS256_TOKEN_MTLS_UNBOUND', 'token is not certificate-bound (no cnf.x5t#S256)')
      : undefined;
  }
  const certificate = presentedCertificate(config, carrier);
  if (certificate === undefined) {
    return new Rs256AuthError('RS256_TOKEN_MTLS_CERTIFICATE_MISSING', 'certificate-bound token sent without a client certificate');
  }
  if (certificate === 'unreadable') {
    return new Rs256AuthError('RS256_TOKEN_MTLS_CERTIFICATE_UNREADABLE', 'the client certificate passed by the proxy is unreadable');
  }
  return sameThumbprint(certificateThumbprint(certificate), expected)
    ? undefined
    : new Rs256AuthError('RS256_TOKEN_MTLS_CERTIFICATE_MISMATCH', 'client certificate does not match the token (cnf.x5t#S256)');
}

/** How the start-up policy line puts the check: the mode, and where certificates come from (never the proxies' addresses). */
export function describeMtls(config: MtlsConfig): string {
  const mode = config.bound === 'required' ? 'required' : 'checked when bound';
  const source = config.certificateHeader === undefined ? 'the TLS connection' : `the ${config.certificateHeader} header of trusted proxies`;
  return `certificate-bound tokens ${mode} (client certificate from ${source})`;
}
