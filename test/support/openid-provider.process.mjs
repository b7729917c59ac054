// @ts-check
/**
 * A real OpenID Provider (`oidc-provider`) for the test suite, run as its own process on loopback. Plain JavaScript
 * so it starts with `node` alone; test/support/openid-provider.ts starts and drives it.
 *
 * Settings come from the environment: PORT, ISSUER_PATH (a path under the origin, for tenants), AUDIENCE (the one
 * resource indicator tokens are issued for), CLIENTS (JSON: [{ client_id, client_secret, extra?: object }], extra
 * claims each client's tokens carry, e.g. Keycloak's realm_access; certificateBound: true for RFC 8705
 * certificate-bound access tokens, the client certificate coming as URL-encoded PEM in `x-client-cert`, as a
 * TLS-terminating proxy would pass it), KEY (JSON: a private RSA JWK with its kid, when a
 * test must know the key; otherwise one is generated per run). One more key is made on each `rotate` message; the
 * newest signs, older ones stay published.
 *
 * Messages from the parent (IPC): `rotate` (answers `rotated` with the new kid), `requests` (answers with the
 * count of requests per path since start). Prints `listening <issuer>` once it accepts connections.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}${process.env.ISSUER_PATH ?? ''}`;
const audience = process.env.AUDIENCE ?? 'https://api.example.test';
/** @type {{ client_id: string; client_secret: string; extra?: Record<string, unknown>; certificateBound?: boolean }[]} */
const clients = JSON.parse(process.env.CLIENTS ?? '[]');

/** @type {import('node:crypto').JsonWebKey[]} newest first: oidc-provider signs with the first key that fits. */
const keys = [];
/** @type {Record<string, number>} */
const requests = {};

function newKey() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), kid: `op-${randomUUID()}`, alg: 'RS256', use: 'sig' };
  keys.unshift(jwk);
  return jwk.kid;
}

function provider() {
  const op = new Provider(issuer, {
    jwks: { keys },
    clients: clients.map(({ client_id, client_secret, certificateBound }) => ({
      client_id,
      client_secret,
      ...(certificateBound && { tls_client_certificate_bound_access_tokens: true }),
      grant_types: ['client_credentials'],
      redirect_uris: [],
      response_types: [],
      scope: 'orders:read orders:write profile',
    })),
    scopes: ['orders:read', 'orders:write', 'profile'],
    features: {
      clientCredentials: { enabled: true },
      // A token request with a DPoP proof gets a DPoP-bound access token (cnf.jkt); one without, a bearer token.
      dPoP: { enabled: true },
      devInteractions: { enabled: false },
      ...(clients.some((client) => client.certificateBound) && {
        mTLS: {
          enabled: true,
          certificateBoundAccessTokens: true,
          getCertificate: (ctx) => {
            const escaped = ctx.get('x-client-cert');
            return escaped ? decodeURIComponent(escaped) : undefined;
          },
        },
      }),
      resourceIndicators: {
        enabled: true,
        defaultResource: () => audience,
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx, resource) => {
          if (resource !== audience) {
            throw new Provider.errors.InvalidTarget();
          }
          return {
            scope: 'orders:read orders:write profile',
            audience,
            accessTokenFormat: 'jwt',
            accessTokenTTL: 300,
            jwt: { sign: { alg: 'RS256' } },
          };
        },
      },
    },
    ttl: { ClientCredentials: 300 },
    extraTokenClaims: (_ctx, token) => clients.find((client) => client.client_id === token.clientId)?.extra,
  });
  // Loopback http: oidc-provider must not insist on TLS for its own URLs.
  op.proxy = true;
  return op.callback();
}

if (process.env.KEY) {
  keys.push({ ...JSON.parse(process.env.KEY), alg: 'RS256', use: 'sig' });
} else {
  newKey();
}
let handle = provider();
const server = createServer((req, res) => {
  const path = (req.url ?? '').split('?')[0];
  requests[path] = (requests[path] ?? 0) + 1;
  handle(req, res);
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening ${issuer}\n`);
});

process.on('message', (message) => {
  if (message === 'rotate') {
    const kid = newKey();
    handle = provider();
    process.send?.({ rotated: kid });
  } else if (message === 'requests') {
    process.send?.({ requests });
  }
});
process.on('disconnect', () => process.exit(0));
