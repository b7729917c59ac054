import { createGraphqlApp, GRAPHQL_CASES, type GraphqlApp } from './fixtures/graphql-app.js';
import { createCertificates, type Certificates } from './support/certificates.js';
import { subscribeOnce, type GraphqlError } from './support/graphql-ws.js';
import { request } from './support/http.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { LogCapture } from './support/log-capture.js';

let keys: KeyFiles;
let certs: Certificates;
beforeAll(() => {
  keys = createKeyFiles();
  certs = createCertificates();
});
afterAll(() => {
  keys.cleanup();
  certs.cleanup();
});

const HEADER = 'x-ssl-client-cert';

/** GraphQL queries over HTTP are checked like any HTTP request: the certificate of the request behind the operation. */
describe.each(GRAPHQL_CASES)('certificate-bound tokens on GraphQL over HTTP (%s driver on %s, %s guard)', (driver, platform, guard) => {
  let gql: GraphqlApp;

  beforeAll(async () => {
    const mtls = { bound: 'when-bound' as const, certificateHeader: HEADER, trustedProxies: ['127.0.0.1'] };
    gql = await createGraphqlApp(driver, platform, guard, keys.privatePath, new LogCapture(), { mtls });
  });
  afterAll(() => gql?.app.close());

  async function me(token: string, certificate?: string): Promise<{ data?: Record<string, unknown> | null; errors?: GraphqlError[] }> {
    const headers = certificate === undefined ? undefined : { [HEADER]: encodeURIComponent(certificate) };
    const response = await request(gql.url, '', { method: 'POST', body: { query: '{ me }' }, token, headers });
    expect(response.status).toBeLessThan(500);
    return response.body as { data?: Record<string, unknown> | null; errors?: GraphqlError[] };
  }

  it('accepts a bound token with its certificate, refuses it with another or none', async () => {
    const token = gql.jwt.sign({ sub: 'alice-service', cnf: { 'x5t#S256': certs.alice.thumbprint } });
    expect(await me(token, certs.alice.cert)).toMatchObject({ data: { me: 'alice-service' } });
    expect((await me(token, certs.bob.cert)).errors?.[0]).toMatchObject({
      message: 'client certificate does not match the token (cnf.x5t#S256)',
      extensions: { code: 'UNAUTHENTICATED' },
    });
    expect((await me(token)).errors?.[0]).toMatchObject({
      message: 'certificate-bound token sent without a client certificate',
      extensions: { code: 'UNAUTHENTICATED' },
    });
  });

  it('refuses a bound token on a subscription: no client certificate reaches the guard over graphql-ws', async () => {
    const token = gql.jwt.sign({ sub: 'alice-service', cnf: { 'x5t#S256': certs.alice.thumbprint } });
    const result = await subscribeOnce(gql.wsUrl, 'subscription { ticks }', { authorization: `Bearer ${token}` });
    expect(result.errors?.[0]).toMatchObject({
      message: 'certificate-bound token sent without a client certificate',
      extensions: { code: 'UNAUTHENTICATED' },
    });
    const plain = gql.jwt.sign({ sub: 'ada' });
    expect(await subscribeOnce(gql.wsUrl, 'subscription { ticks }', { authorization: `Bearer ${plain}` })).toMatchObject({ data: { ticks: 'ada' } });
  });
});
