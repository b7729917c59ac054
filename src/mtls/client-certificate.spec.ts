import { X509Certificate } from 'node:crypto';
import { base64Der, createCertificates, type Certificates } from '../../test/support/certificates.js';
import type { MtlsConfig } from '../options/rs256-auth-config.js';
import { certificateThumbprint } from './certificate-binding.js';
import { presentedCertificate } from './client-certificate.js';

let certs: Certificates;
beforeAll(() => {
  certs = createCertificates();
});
afterAll(() => certs.cleanup());

const HEADER = 'x-ssl-client-cert';
const behindProxy = (list: readonly string[]): MtlsConfig => ({ bound: 'when-bound', certificateHeader: HEADER, trustedProxies: list });
const thumbprint = (presented: unknown): unknown => (Buffer.isBuffer(presented) ? certificateThumbprint(presented) : presented);

describe('presentedCertificate', () => {
  it('believes the header from an IPv4 proxy seen on a dual-stack socket (::ffff:10.1.2.3)', () => {
    const request = { socket: { remoteAddress: '::ffff:10.1.2.3' }, headers: { [HEADER]: encodeURIComponent(certs.alice.cert) } };
    expect(thumbprint(presentedCertificate(behindProxy(['10.0.0.0/8']), request))).toBe(certs.alice.thumbprint);
  });

  it('believes it from an IPv6 range, and not from an address outside it', () => {
    const config = behindProxy(['fd00::/8']);
    const headers = { [HEADER]: encodeURIComponent(certs.bob.cert) };
    expect(thumbprint(presentedCertificate(config, { socket: { remoteAddress: 'fd12::7' }, headers }))).toBe(certs.bob.thumbprint);
    expect(presentedCertificate(config, { socket: { remoteAddress: 'fe80::1' }, headers })).toBeUndefined();
  });

  it('reads a header given twice, or holding text that is no certificate, as unreadable', () => {
    const config = behindProxy(['127.0.0.1/32']);
    const twice = { socket: { remoteAddress: '127.0.0.1' }, headers: { [HEADER]: [certs.alice.cert, certs.bob.cert] } };
    expect(presentedCertificate(config, twice)).toBe('unreadable');
    const text = { socket: { remoteAddress: '127.0.0.1' }, headers: { [HEADER]: 'not-a-certificate' } };
    expect(presentedCertificate(config, text)).toBe('unreadable');
  });

  it("takes only the header from a trusted proxy: the proxy's own TLS certificate is never the client's", () => {
    const config = behindProxy(['127.0.0.1/32']);
    const proxyCertificate = new X509Certificate(certs.bob.cert);
    const socket = { remoteAddress: '127.0.0.1', getPeerX509Certificate: () => proxyCertificate };
    expect(presentedCertificate(config, { socket, headers: {} })).toBeUndefined();
    expect(thumbprint(presentedCertificate(config, { socket, headers: { [HEADER]: base64Der(certs.alice.cert) } }))).toBe(certs.alice.thumbprint);
    // From elsewhere, the connection's own certificate counts and the header does not.
    const direct = { ...socket, remoteAddress: '192.0.2.1' };
    expect(thumbprint(presentedCertificate(config, { socket: direct, headers: { [HEADER]: base64Der(certs.alice.cert) } }))).toBe(
      certs.bob.thumbprint,
    );
  });

  it('finds none on a carrier that is not an HTTP request (a WebSocket client, a message)', () => {
    expect(presentedCertificate(behindProxy(['127.0.0.1/32']), {})).toBeUndefined();
    expect(presentedCertificate({ bound: 'required' }, { data: {} })).toBeUndefined();
  });
});
