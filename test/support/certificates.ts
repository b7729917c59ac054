import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HttpResult } from './http.js';

/** A certificate and its private key, as PEM. */
export interface CertifiedKey {
  cert: string;
  key: string;
  /** RFC 8705 §3.1 `x5t#S256`, as `openssl x509 -fingerprint -sha256` computes it (not by the code under test). */
  thumbprint: string;
}

/** X.509 material for one test file, made by the `openssl` CLI in a temporary folder. */
export interface Certificates {
  /** The CA that signed `server`, `alice` and `bob`. */
  ca: CertifiedKey;
  /** The server's certificate, for 127.0.0.1. */
  server: CertifiedKey;
  /** Two client certificates of the same CA. */
  alice: CertifiedKey;
  bob: CertifiedKey;
  cleanup(): void;
}

/**
 * A CA, a server certificate for 127.0.0.1 and two client certificates, made per run with `openssl` (node:crypto
 * makes keys but no certificates). One-shot commands, so no process is left to track.
 */
export function createCertificates(): Certificates {
  const dir = mkdtempSync(join(tmpdir(), 'rs256-mtls-'));
  const openssl = (...args: string[]): string => execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const keyArgs = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  const read = (name: string): CertifiedKey => {
    const fingerprint = /=([0-9A-F:]+)/.exec(openssl('x509', '-in', `${name}.pem`, '-noout', '-fingerprint', '-sha256'))![1];
    return {
      cert: readFileSync(join(dir, `${name}.pem`), 'utf8'),
      key: readFileSync(join(dir, `${name}.key`), 'utf8'),
      thumbprint: Buffer.from(fingerprint.replaceAll(':', ''), 'hex').toString('base64url'),
    };
  };
  const issue = (name: string, subject: string, extensions: string): CertifiedKey => {
    writeFileSync(join(dir, `${name}.ext`), extensions);
    openssl('req', ...keyArgs, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    openssl(
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-CAcreateserial',
      '-days',
      '1',
      '-out',
      `${name}.pem`,
      '-extfile',
      `${name}.ext`,
    );
    return read(name);
  };
  try {
    openssl('req', '-x509', ...keyArgs, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '1', '-subj', '/CN=rs256-auth test CA');
    return {
      ca: read('ca'),
      server: issue('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n'),
      alice: issue('alice', '/CN=alice-service', 'extendedKeyUsage=clientAuth\n'),
      bob: issue('bob', '/CN=bob-service', 'extendedKeyUsage=clientAuth\n'),
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

/** The certificate's DER bytes as base64, one line: what Traefik or HAProxy pass. */
export function base64Der(pem: string): string {
  return pem.replace(/-----(BEGIN|END) CERTIFICATE-----|\s/g, '');
}

/**
 * A real HTTPS request that trusts `ca` and presents `client`'s certificate, if given; `token` goes into
 * `Authorization: Bearer`. A fresh connection each time (no agent), so each request shows its own certificate.
 */
export function httpsGet(
  baseUrl: string,
  path: string,
  options: { ca: string; client?: CertifiedKey; token?: string; headers?: Record<string, string> },
): Promise<HttpResult> {
  return new Promise((done, fail) => {
    const outgoing = httpsRequest(
      baseUrl + path,
      {
        agent: false,
        ca: options.ca,
        ...(options.client && { cert: options.client.cert, key: options.client.key }),
        headers: { ...options.headers, ...(options.token !== undefined && { authorization: `Bearer ${options.token}` }) },
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => (text += chunk));
        response.on('end', () => {
          const headers = new Headers();
          for (const [name, value] of Object.entries(response.headers)) {
            if (typeof value === 'string') headers.set(name, value);
          }
          let body: unknown = text;
          try {
            body = JSON.parse(text);
          } catch {
            // not JSON: keep the text
          }
          done({ status: response.statusCode ?? 0, headers, body });
        });
      },
    );
    outgoing.on('error', fail);
    outgoing.end();
  });
}
