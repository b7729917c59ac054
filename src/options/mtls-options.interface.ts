/** Certificate-bound access tokens (RFC 8705 §3): tokens that only work over TLS with the client's certificate. */
export interface CertificateBindingOptions {
  /**
   * Checking certificate-bound access tokens: a token whose `cnf` claim carries `x5t#S256` (the base64url SHA-256 of
   * the client certificate the authorization server saw) is accepted only from a client that presents that
   * certificate, on the TLS connection or through a trusted TLS-terminating proxy (docs/security.md).
   */
  mtls?: MtlsOptions;
}

export interface MtlsOptions {
  /**
   * `'off'`: `cnf` is not looked at, so a certificate-bound token works as a plain bearer token, as before.
   * `'when-bound'`: a certificate-bound token needs its certificate; a token without `cnf.x5t#S256` is still accepted.
   * `'required'`: every token must be certificate-bound and come with its certificate. `@RequireCertificateBound()`
   * makes one route or controller `'required'` whatever this says.
   * @env JWT_MTLS_BOUND
   * @default 'off'
   */
  bound?: 'off' | 'when-bound' | 'required';

  /**
   * Behind a TLS-terminating proxy, the request header the proxy puts the client certificate in: URL-encoded PEM
   * (nginx `$ssl_client_escaped_cert`, AWS ALB `X-Amzn-Mtls-Clientcert`) or base64 DER (Traefik, HAProxy
   * `ssl_c_der,base64`). Read only on requests from `trustedProxies`; the proxy must set it on every request, replacing
   * whatever the client sent. Needs `trustedProxies`.
   * @env JWT_MTLS_CERTIFICATE_HEADER
   * @default none (the certificate of the TLS connection itself)
   * @example 'x-ssl-client-cert'
   */
  certificateHeader?: string;

  /**
   * Addresses of the proxies whose `certificateHeader` is believed: IPv4 or IPv6 addresses and CIDR ranges, matched
   * against the address of the connection (not `X-Forwarded-For`, not Express's `trust proxy`). The environment
   * variable is comma-separated.
   * @env JWT_MTLS_TRUSTED_PROXIES
   * @default none (required with certificateHeader)
   * @example ['10.0.0.0/8', '::1']
   */
  trustedProxies?: string[];
}
