import { randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { JwtClaims } from '../interfaces/jwt-claims.interface.js';
import type { RsaPublicJwk } from '../jwks/jwk-set.js';
import { TEST_AUDIENCE } from './auth-test-kit.js';
import { refuseProduction } from './production-guard.js';
import { createTestKeys, type TestKeyPair } from './test-keys.js';
import { badTokensOf, lazyOtherKey, signWith, type BadToken, type TestTokenOptions, type TokenSigner } from './test-tokens.js';

export interface FakeIssuerOptions {
  /**
   * The audience of the tokens the issuer hands out, unless the token request names one (`audience` or `resource`);
   * `null` for none.
   * @default 'https://api.test'
   */
  audience?: string | null;
  /**
   * The clients the token endpoint accepts, by id, with their secrets.
   * @default { 'test-client': 'test-secret' }
   */
  clients?: Readonly<Record<string, string>>;
  /**
   * Lifetime of the tokens the token endpoint hands out, in seconds.
   * @default 300
   */
  expiresIn?: number;
  /**
   * Port on 127.0.0.1 to listen on.
   * @default 0, a free port chosen by the system
   */
  port?: number;
}

/** A client's request to the token endpoint; see {@link FakeIssuer.requestToken}. */
export interface FakeTokenRequest {
  /** @default the first configured client */
  clientId?: string;
  clientSecret?: string;
  /** Space-separated scopes, copied into the token's `scope`. */
  scope?: string;
  /** The audience asked for (the `audience` parameter); the issuer's audience by default. */
  audience?: string;
}

/** A running fake authorization server; see {@link startFakeIssuer}. */
export interface FakeIssuer {
  /** The issuer identifier (`http://127.0.0.1:<port>`): the `iss` of its tokens, and what `JWT_ISSUER_URL` takes. */
  readonly url: string;
  readonly jwksUri: string;
  readonly tokenEndpoint: string;
  /** The audience its tokens carry by default. */
  readonly audience?: string;
  /** The key that signs now. */
  readonly signingKey: TestKeyPair;
  /** Every key the JWK Set publishes, the signing key first. */
  readonly publishedKeys: readonly TestKeyPair[];
  /**
   * Makes a new key the signing key. The old one stays in the JWK Set (tokens it signed still verify) unless
   * `retirePrevious` is true.
   * @returns the new signing key
   */
  rotate(options?: { retirePrevious?: boolean }): TestKeyPair;
  /** A valid token from this issuer, signed with the current key; see {@link TestTokenOptions}. */
  signTestToken(claims?: JwtClaims, options?: TestTokenOptions): string;
  /** One token per refusal reason, each named by the `RS256_TOKEN_*` code a resource server must refuse it with. */
  badTokens(claims?: JwtClaims): BadToken[];
  /** Asks the token endpoint for a token with the `client_credentials` grant, as a client would. */
  requestToken(request?: FakeTokenRequest): Promise<string>;
  /** Stops the server, closing the connections clients keep alive. */
  close(): Promise<void>;
}

const DEFAULT_CLIENTS: Readonly<Record<string, string>> = { 'test-client': 'test-secret' };
/** Token requests are a few form fields; anything larger is not one. */
const MAX_BODY_BYTES = 16 * 1024;

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  response.end(JSON.stringify(body));
}

function readBody(request: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    request.on('end', () => resolve(size <= MAX_BODY_BYTES ? Buffer.concat(chunks).toString('utf8') : undefined));
    request.on('error', reject);
  });
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** RFC 6749 §2.3.1: credentials in HTTP Basic (form-urlencoded, then base64), or as body parameters. */
function clientCredentials(request: IncomingMessage, form: URLSearchParams): { id?: string; secret?: string } {
  const basic = /^Basic\s+(\S+)$/i.exec(request.headers.authorization ?? '');
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return {};
    try {
      return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
    } catch {
      // A stray `%` is a malformed credential: no client, so 401 invalid_client, as for a wrong secret.
      return {};
    }
  }
  return { id: form.get('client_id') ?? undefined, secret: form.get('client_secret') ?? undefined };
}

/**
 * Starts an authorization server on 127.0.0.1 for tests: OpenID Connect discovery
 * (`/.well-known/openid-configuration`), RFC 8414 metadata (`/.well-known/oauth-authorization-server`), a JWK Set
 * (`/jwks`) and a `client_credentials` token endpoint (`/token`) issuing RFC 9068 access tokens, with key rotation
 * on demand. A resource server under test points `JWT_ISSUER_URL` (or the `keys.issuerUrl` option) at `url` and needs no
 * network. Keys are made in memory for this server and never written anywhere.
 * @throws Rs256AuthError `RS256_TESTING_IN_PRODUCTION` when `NODE_ENV` is `production`
 */
export async function startFakeIssuer(options: FakeIssuerOptions = {}): Promise<FakeIssuer> {
  refuseProduction('startFakeIssuer()');
  const clients = options.clients ?? DEFAULT_CLIENTS;
  const audience = options.audience === null ? undefined : (options.audience ?? TEST_AUDIENCE);
  const expiresIn = options.expiresIn ?? 300;
  let keys: TestKeyPair[] = [createTestKeys()];
  const otherKey = lazyOtherKey();
  let url = '';
  const signer = (typ = 'JWT'): TokenSigner => ({ keys: keys[0], issuer: url, audience, typ });

  const metadata = (): Record<string, unknown> => ({
    issuer: url,
    jwks_uri: `${url}/jwks`,
    token_endpoint: `${url}/token`,
    grant_types_supported: ['client_credentials'],
    token_endpoint_auth_methods_supported: ['client_secret_basic', 'client_secret_post'],
    response_types_supported: ['token'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: ['RS256'],
  });

  async function token(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const body = await readBody(request);
    if (body === undefined) {
      send(response, 413, { error: 'invalid_request', error_description: 'request body too large' });
      return;
    }
    const form = new URLSearchParams(body);
    const { id, secret } = clientCredentials(request, form);
    const expected = id === undefined ? undefined : Object.hasOwn(clients, id) ? clients[id] : undefined;
    if (id === undefined || secret === undefined || expected === undefined || !sameSecret(secret, expected)) {
      send(
        response,
        401,
        { error: 'invalid_client', error_description: 'unknown client or wrong secret' },
        { 'www-authenticate': 'Basic realm="token"' },
      );
      return;
    }
    if (form.get('grant_type') !== 'client_credentials') {
      send(response, 400, { error: 'unsupported_grant_type', error_description: 'only client_credentials is supported' });
      return;
    }
    const scope = form.get('scope') ?? undefined;
    const aud = form.get('audience') ?? form.get('resource') ?? audience;
    // RFC 9068 §2.2: typ at+jwt, with client_id and jti; a client_credentials token's subject is the client.
    const accessToken = signWith(
      signer('at+jwt'),
      { sub: id, client_id: id, jti: randomUUID(), ...(scope !== undefined && { scope }) },
      { expiresIn, aud: aud ?? null },
    );
    send(response, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: expiresIn, ...(scope !== undefined && { scope }) });
  }

  const server = createServer((request, response) => {
    let path: string;
    try {
      path = new URL(request.url ?? '/', url).pathname;
    } catch {
      // An absolute-form target that is no URL (`GET http://[ HTTP/1.1`): the client's mistake, not a crash.
      send(response, 400, { error: 'invalid_request', error_description: 'malformed request target' });
      return;
    }
    if (request.method === 'GET' && (path === '/.well-known/openid-configuration' || path === '/.well-known/oauth-authorization-server')) {
      send(response, 200, metadata(), { 'cache-control': 'public, max-age=60' });
    } else if (request.method === 'GET' && path === '/jwks') {
      const jwks: { keys: RsaPublicJwk[] } = { keys: keys.map((pair) => pair.publicJwk) };
      send(response, 200, jwks);
    } else if (request.method === 'POST' && path === '/token') {
      token(request, response).catch(() => send(response, 500, { error: 'server_error' }));
    } else {
      send(response, 404, { error: 'not_found' });
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    jwksUri: `${url}/jwks`,
    tokenEndpoint: `${url}/token`,
    audience,
    get signingKey() {
      return keys[0];
    },
    get publishedKeys() {
      return [...keys];
    },
    rotate({ retirePrevious = false } = {}) {
      const next = createTestKeys();
      keys = retirePrevious ? [next] : [next, ...keys];
      return next;
    },
    signTestToken: (claims, tokenOptions) => signWith(signer(), claims, tokenOptions),
    badTokens: (claims) => badTokensOf(signer(), otherKey, claims),
    async requestToken({ clientId = Object.keys(clients)[0], clientSecret = clients[clientId], scope, audience: wanted } = {}) {
      const form = new URLSearchParams({ grant_type: 'client_credentials' });
      if (scope !== undefined) form.set('scope', scope);
      if (wanted !== undefined) form.set('audience', wanted);
      const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret ?? '')}`).toString('base64');
      const response = await fetch(`${url}/token`, { method: 'POST', body: form, headers: { authorization: `Basic ${basic}` } });
      const body = (await response.json()) as { access_token?: string; error?: string };
      if (!response.ok || typeof body.access_token !== 'string') {
        throw new Error(`the fake issuer's token endpoint answered ${response.status} ${body.error ?? ''}`.trim());
      }
      return body.access_token;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
