import { createServer } from 'node:net';
import { Controller, Get, UseGuards, type INestApplication } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { Test } from '@nestjs/testing';
import { Claims, JwtAuthGuard, Rs256AuthError, Rs256AuthModule, type Rs256AuthModuleOptions } from '../src/index.js';
import { createAuthTestKit } from '../src/testing/index.js';
import { startExpressVerifier } from './support/express-verifier.js';
import { request } from './support/http.js';

const AUDIENCE = 'https://orders.api.test';
const kit = createAuthTestKit({ issuer: null, audience: AUDIENCE });

@Controller()
@UseGuards(JwtAuthGuard)
class ProfileController {
  @Get('profile')
  profile(@Claims('sub') sub: string): { sub: string } {
    return { sub };
  }
}

/** A port free on loopback now: the issuer URL must name the port before the app starts. */
async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((done) => probe.close(() => done()));
  return port;
}

async function compile(options: Rs256AuthModuleOptions): Promise<INestApplication> {
  const moduleRef = await Test.createTestingModule({ imports: [kit.module(options)], controllers: [ProfileController] }).compile();
  return moduleRef.createNestApplication({ logger: false });
}

/** An issuer of ours at `http://127.0.0.1:<port><path>`, with discovery on. */
async function startIssuer(path = ''): Promise<{ app: INestApplication; issuer: string }> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}${path}`;
  const app = await compile({ publishing: { jwks: true, discovery: true }, tokens: { issuer } });
  try {
    await app.listen(port, '127.0.0.1');
  } catch (error) {
    await app.close();
    throw error;
  }
  return { app, issuer };
}

describe('JWT_DISCOVERY_ENABLED: an issuer of ours publishes its metadata', () => {
  const apps: INestApplication[] = [];
  const closers: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const close of closers.splice(0)) await close();
    for (const app of apps.splice(0)) await app.close();
  });

  it('serves OpenID Connect Discovery and RFC 8414 metadata naming the issuer and its JWK Set', async () => {
    const { app, issuer } = await startIssuer();
    apps.push(app);
    for (const path of ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server']) {
      const response = await request(issuer, path);
      expect(response.status).toBe(200);
      expect(response.body).toEqual({ issuer, jwks_uri: `${issuer}/.well-known/jwks.json`, id_token_signing_alg_values_supported: ['RS256'] });
    }
    expect((await request(`${issuer}/.well-known/jwks.json`, '')).body.keys[0].kid).toBe(kit.keys.kid);
  });

  it('puts the documents where each specification looks for an issuer with a path', async () => {
    const { app, issuer } = await startIssuer('/auth');
    apps.push(app);
    const origin = new URL(issuer).origin;
    expect((await request(origin, '/auth/.well-known/openid-configuration')).body.issuer).toBe(issuer);
    expect((await request(origin, '/.well-known/oauth-authorization-server/auth')).body.issuer).toBe(issuer);
    expect((await request(origin, '/.well-known/openid-configuration')).status).toBe(404);
  });

  it('a resource server of ours verifies its tokens with only the issuer URL and the audience', async () => {
    const { app: issuerApp, issuer } = await startIssuer();
    apps.push(issuerApp);
    const server = await (
      await Test.createTestingModule({
        imports: [Rs256AuthModule.forRoot({ keys: { issuerUrl: issuer }, tokens: { audience: AUDIENCE } })],
        controllers: [ProfileController],
      }).compile()
    ).createNestApplication({ logger: false });
    apps.push(server);
    await server.listen(0, '127.0.0.1');
    const url = await server.getUrl();
    const token = issuerApp.get(JwtService).sign({ sub: 'discovered' });
    const response = await request(url, '/profile', { token });
    expect(response).toMatchObject({ status: 200, body: { sub: 'discovered' } });
    expect((await request(url, '/profile', { token: kit.signTestToken({ iss: issuer }, { aud: 'https://other.test' }) })).body.code).toBe(
      'RS256_TOKEN_AUDIENCE',
    );
  });

  it('express-oauth2-jwt-bearer verifies its tokens with issuerBaseURL and the audience', async () => {
    const { app: issuerApp, issuer } = await startIssuer();
    apps.push(issuerApp);
    // Given only the issuer URL and the audience: the keys are found by discovery.
    const verifier = await startExpressVerifier({ issuerBaseURL: issuer, audience: AUDIENCE });
    closers.push(verifier.close);
    const jwt = issuerApp.get(JwtService);
    expect((await request(verifier.url, '/resource', { token: jwt.sign({ sub: 'express' }) })).status).toBe(200);
    expect((await request(verifier.url, '/resource', { token: jwt.sign({ sub: 'express' }, { audience: 'https://other.test' }) })).status).toBe(401);
  });

  it('serves nothing unless turned on', async () => {
    const app = await compile({ publishing: { jwks: true }, tokens: { issuer: 'http://127.0.0.1' } });
    apps.push(app);
    await app.listen(0, '127.0.0.1');
    expect((await request(await app.getUrl(), '/.well-known/openid-configuration')).status).toBe(404);
  });

  it.each<[string, Rs256AuthModuleOptions, string]>([
    [
      'no issuer',
      { publishing: { jwks: true, discovery: true } },
      'publishing.discovery option is true, but JWT_ISSUER is not set; expected the https: URL',
    ],
    [
      'an issuer that is not a URL',
      { tokens: { issuer: 'my-app' }, publishing: { jwks: true, discovery: true } },
      'tokens.issuer option is "my-app"; expected the https: URL',
    ],
    [
      'an http: issuer not on loopback',
      { tokens: { issuer: 'http://auth.example.com' }, publishing: { jwks: true, discovery: true } },
      'tokens.issuer option is "http://auth.example.com"',
    ],
    [
      'the JWK Set endpoint off',
      { tokens: { issuer: 'https://auth.example.com' }, publishing: { discovery: true } },
      'the JWK Set endpoint is off; turn it on (JWT_JWKS_ENABLED=true',
    ],
  ])('stops start-up with %s, naming the settings', async (_name, options, message) => {
    const failure = await compile(options).then(
      (app) => app.close(),
      (error: unknown) => error,
    );
    expect(failure).toBeInstanceOf(Rs256AuthError);
    expect(failure).toMatchObject({ code: 'RS256_CONFIG_INVALID', message: expect.stringContaining(message) });
  });

  it('stops start-up on a resource server: only the issuer publishes its metadata', async () => {
    const failure = await Test.createTestingModule({
      imports: [
        Rs256AuthModule.forRoot({ keys: { issuerUrl: 'https://auth.example.com' }, publishing: { discovery: true }, tokens: { audience: AUDIENCE } }),
      ],
    })
      .compile()
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    expect(failure).toMatchObject({
      code: 'RS256_CONFIG_INVALID',
      message: expect.stringContaining('discovery option is true, but this application verifies with another issuer'),
    });
  });

  it('reads JWT_DISCOVERY_ENABLED from the environment', async () => {
    const saved = { ...process.env };
    const port = await freePort();
    Object.assign(process.env, { JWT_ISSUER: `http://127.0.0.1:${port}`, JWT_JWKS_ENABLED: 'true', JWT_DISCOVERY_ENABLED: 'yes' });
    try {
      const app = await compile({ tokens: { issuer: undefined } });
      apps.push(app);
      await app.listen(port, '127.0.0.1');
      expect((await request(`http://127.0.0.1:${port}`, '/.well-known/openid-configuration')).body.issuer).toBe(`http://127.0.0.1:${port}`);
    } finally {
      process.env = saved;
    }
  });
});
