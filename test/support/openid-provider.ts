import { fork, type ChildProcess } from 'node:child_process';
import type { JsonWebKey } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { freePort, NEVER_READY_SCRIPT, neverReady, stopChild, track, whenReady } from './processes.js';

const SCRIPT = fileURLToPath(new URL('./openid-provider.process.mjs', import.meta.url));

export interface ProviderClient {
  client_id: string;
  client_secret: string;
  /** Extra claims in this client's access tokens (e.g. Keycloak-shaped `realm_access`). */
  extra?: Record<string, unknown>;
  /** RFC 8705: its access tokens are bound to the client certificate given to `token()` (`cnf.x5t#S256`). */
  certificateBound?: boolean;
}

export interface ProviderSettings {
  /** Port to listen on; a free one by default (pass one to start a provider where a server already points). */
  port?: number;
  /** Path of the issuer under the origin, e.g. `/realms/a`. */
  issuerPath?: string;
  /** The resource indicator (`aud`) its access tokens are issued for. */
  audience?: string;
  clients?: ProviderClient[];
  /** Its signing key, when the test must sign with it too (a private RSA JWK with a kid). */
  key?: JsonWebKey & { kid: string };
}

/** A running `oidc-provider` process (test/support/openid-provider.process.mjs). */
export interface OpenIdProvider {
  issuer: string;
  port: number;
  /**
   * A client-credentials access token (an RFC 9068 JWT, `typ: at+jwt`). `certificate` (PEM) is the client's TLS
   * certificate, passed as a TLS-terminating proxy would (URL-encoded, in `x-client-cert`).
   */
  token(clientId?: string, scope?: string, certificate?: string): Promise<string>;
  /** Publishes a new key, which signs from now on; the old one stays published. Resolves to the new kid. */
  rotate(): Promise<string>;
  /** Requests received per path since start. */
  requests(): Promise<Record<string, number>>;
  stop(): Promise<void>;
}

export const DEFAULT_CLIENT: ProviderClient = { client_id: 'service-a', client_secret: 'service-a-secret-for-tests-only' };

function ask<T>(child: ChildProcess, message: string, key: string): Promise<T> {
  return new Promise((done) => {
    const listener = (reply: Record<string, unknown>): void => {
      if (key in reply) {
        child.off('message', listener);
        done(reply[key] as T);
      }
    };
    child.on('message', listener);
    child.send(message);
  });
}

/** Starts a real OpenID Provider on 127.0.0.1 with one RSA key made for this run. */
export async function startOpenIdProvider(settings: ProviderSettings = {}): Promise<OpenIdProvider> {
  const port = settings.port ?? (await freePort());
  const clients = settings.clients ?? [DEFAULT_CLIENT];
  const audience = settings.audience ?? 'https://api.example.test';
  const child = track(
    fork(neverReady('openid-provider') ? NEVER_READY_SCRIPT : SCRIPT, [], {
      env: {
        PATH: process.env.PATH,
        PORT: String(port),
        ISSUER_PATH: settings.issuerPath ?? '',
        AUDIENCE: audience,
        CLIENTS: JSON.stringify(clients),
        ...(settings.key && { KEY: JSON.stringify(settings.key) }),
        NODE_ENV: 'test',
      },
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    }),
  );
  let output = '';
  const listening = new Promise<string>((done, fail) => {
    const collect = (chunk: Buffer): void => {
      output += chunk;
      const match = /listening (\S+)\n/.exec(output);
      if (match) done(match[1]);
    };
    child.stdout!.on('data', collect);
    child.stderr!.on('data', collect);
    child.once('exit', (code) => fail(new Error(`oidc-provider exited with ${code}:\n${output}`)));
  });
  const issuer = await whenReady(child, listening, 'oidc-provider', () => output);
  return {
    issuer,
    port,
    async token(clientId = clients[0].client_id, scope = 'orders:read', certificate?: string) {
      const client = clients.find((candidate) => candidate.client_id === clientId)!;
      const response = await fetch(`${issuer}/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${client.client_id}:${client.client_secret}`).toString('base64')}`,
          ...(certificate !== undefined && { 'x-client-cert': encodeURIComponent(certificate) }),
        },
        body: new URLSearchParams({ grant_type: 'client_credentials', scope, resource: audience }),
      });
      const body = (await response.json()) as { access_token?: string };
      if (!body.access_token) {
        throw new Error(`oidc-provider refused the token request: ${JSON.stringify(body)}`);
      }
      return body.access_token;
    },
    rotate: () => ask<string>(child, 'rotate', 'rotated'),
    requests: () => ask<Record<string, number>>(child, 'requests', 'requests'),
    stop: () => stopChild(child),
  };
}
