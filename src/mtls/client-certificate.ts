import type { X509Certificate } from 'node:crypto';
import type { BlockList } from 'node:net';
import type { MtlsConfig } from '../options/rs256-auth-config.js';
import { checkedProxyList, fromProxy } from '../options/proxy-addresses.js';

/** The parts of an HTTP request (Express's, or Fastify's `request`) a client certificate is found in. */
interface RequestLike {
  readonly socket?: { readonly remoteAddress?: string; getPeerX509Certificate?: () => X509Certificate | undefined } | null;
  readonly headers?: Readonly<Record<string, string | string[] | undefined>>;
}

/** The DER bytes of the certificate a client presented; `undefined` for none; `'unreadable'` for a header that holds none. */
export type PresentedCertificate = Buffer | 'unreadable' | undefined;

// One certificate as PEM, and the base64 of its DER (whitespace aside) inside it.
const PEM = /^\s*-----BEGIN CERTIFICATE-----([A-Za-z0-9+/=\s]+)-----END CERTIFICATE-----\s*$/;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/**
 * A certificate a proxy passed in a header: URL-encoded PEM (nginx `$ssl_client_escaped_cert`, AWS ALB), or base64
 * DER (Traefik, HAProxy). Percent-decoding leaves base64 as it is, so both go through the same steps. The DER is
 * hashed, not parsed as X.509 (which costs several RSA verifications): only the certificate the token names can
 * have its thumbprint, so anything else fails the comparison anyway.
 */
function fromHeader(value: string | string[] | undefined): PresentedCertificate {
  if (value === undefined || value === '') {
    return undefined;
  }
  let text: string;
  try {
    text = typeof value === 'string' ? decodeURIComponent(value) : '';
  } catch {
    return 'unreadable';
  }
  const base64 = (PEM.exec(text)?.[1] ?? text).replace(/\s+/g, '');
  return BASE64.test(base64) ? Buffer.from(base64, 'base64') : 'unreadable';
}

/** Whether the connection comes from a configured proxy: by the socket's own address, never a forwarded one. */
function fromTrustedProxy(config: MtlsConfig, request: RequestLike): boolean {
  if (config.trustedProxies === undefined) return false;
  let proxies = proxyLists.get(config);
  if (proxies === undefined) {
    proxies = checkedProxyList(config.trustedProxies);
    proxyLists.set(config, proxies);
  }
  return fromProxy(proxies, request.socket?.remoteAddress);
}

/** The block list of each configuration's proxies, built on first use (start-up has checked every address). */
const proxyLists = new WeakMap<MtlsConfig, BlockList>();

/**
 * The client certificate of a request: the one its trusted proxy passed in `certificateHeader`, or else the one
 * presented on the TLS connection itself (a server with `requestCert`). A request from anywhere else that carries
 * the header has it ignored, so a client cannot claim a certificate it does not hold. Anything that is not an HTTP
 * request (a WebSocket client, a microservice message) has none.
 */
export function presentedCertificate(config: MtlsConfig, carrier: unknown): PresentedCertificate {
  const request = carrier as RequestLike;
  if (config.certificateHeader !== undefined && fromTrustedProxy(config, request)) {
    return fromHeader(request.headers?.[config.certificateHeader]);
  }
  // A plain HTTP socket has no getPeerX509Certificate; a TLS one without a client certificate returns undefined.
  return request.socket?.getPeerX509Certificate?.()?.raw;
}
