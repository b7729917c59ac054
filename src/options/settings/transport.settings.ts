import { list, text } from '../parse.js';
import { setting } from './setting.js';

/** The settings of where the token comes from (section `transport`): rows of SETTINGS (see settings.ts). */
export const TRANSPORT_SETTINGS = {
  authScheme: setting({
    env: 'JWT_AUTH_SCHEME',
    option: 'transport.scheme',
    parse: text(),
    section: 'transport',
    default: 'Bearer',
    demo: 'Bearer',
    doc: 'authorization scheme accepted in the `Authorization` header (case-insensitive) and named by every challenge, e.g. `JWT` (Flask-JWT clients)',
  }),
  cookieName: setting({
    env: 'JWT_COOKIE_NAME',
    option: 'transport.cookie',
    parse: text(),
    section: 'transport',
    defaultDoc: 'none: cookies are not read',
    example: 'access_token',
    doc: 'also read the token from this cookie when the header carries none; a cookie needs CSRF protection (see [Security notes](security.md#security-notes))',
  }),
  mtlsBound: setting({
    env: 'JWT_MTLS_BOUND',
    option: 'mtls.bound',
    parse: text(),
    section: 'transport',
    default: 'off',
    demo: 'off',
    doc: 'certificate-bound tokens (RFC 8705): `when-bound` accepts a token whose `cnf` names a certificate (`x5t#S256`) only from a client presenting that certificate, other tokens as before; `required` accepts bound tokens only; `off` ignores `cnf`; `@RequireCertificateBound()` makes a route `required` (see [Certificate-bound tokens](security.md#certificate-bound-tokens-mtls))',
  }),
  mtlsCertificateHeader: setting({
    env: 'JWT_MTLS_CERTIFICATE_HEADER',
    option: 'mtls.certificateHeader',
    parse: text(),
    section: 'transport',
    defaultDoc: 'none: the certificate of the TLS connection',
    example: 'x-ssl-client-cert',
    doc: 'behind a TLS-terminating proxy, the header it passes the client certificate in (URL-encoded PEM as nginx `$ssl_client_escaped_cert` sends it, or base64 DER); believed only from `JWT_MTLS_TRUSTED_PROXIES`',
  }),
  mtlsTrustedProxies: setting({
    env: 'JWT_MTLS_TRUSTED_PROXIES',
    option: 'mtls.trustedProxies',
    parse: list(),
    section: 'transport',
    defaultDoc: 'none: required with `JWT_MTLS_CERTIFICATE_HEADER`',
    example: '10.0.0.0/8,::1',
    doc: "addresses (IPv4, IPv6, CIDR ranges) of the proxies whose certificate header is believed, matched against the connection's own address",
  }),
};
