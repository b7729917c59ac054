import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from './support/http.js';
import { startOpenIdProvider, type OpenIdProvider } from './support/openid-provider.js';
import { freePort, SETUP_TIMEOUT, stopChild, track, whenReady } from './support/processes.js';
import { ROOT } from './support/paths.js';

const AUDIENCE = 'https://api.example.test';
const EXAMPLE = join(ROOT, 'examples/identity-provider');

/**
 * A copy of the example whose node_modules holds the repository's dependencies and the package itself (the built
 * dist/, as the packed tarball would install it), so it compiles and runs as an application of its own.
 */
function buildExample(): string {
  const dir = mkdtempSync(join(tmpdir(), 'rs256-auth-example-'));
  mkdirSync(join(dir, 'node_modules'));
  for (const entry of readdirSync(join(ROOT, 'node_modules'))) {
    symlinkSync(join(ROOT, 'node_modules', entry), join(dir, 'node_modules', entry));
  }
  symlinkSync(ROOT, join(dir, 'node_modules/nestjs-rs256-auth'));
  cpSync(join(EXAMPLE, 'src'), join(dir, 'src'), { recursive: true });
  cpSync(join(EXAMPLE, 'tsconfig.json'), join(dir, 'tsconfig.json'));
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module' }));
  execFileSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', dir]);
  return dir;
}

/** examples/identity-provider, compiled against the built package and run as its README says. */
describe('examples/identity-provider against a real OpenID Provider', () => {
  let provider: OpenIdProvider;
  let app: ChildProcess;
  let url: string;
  let dir: string;

  beforeAll(async () => {
    dir = buildExample();
    provider = await startOpenIdProvider({
      audience: AUDIENCE,
      clients: [
        { client_id: 'auditor', client_secret: 'auditor-secret-for-tests-only', extra: { realm_access: { roles: ['auditor'] } } },
        { client_id: 'plain', client_secret: 'plain-secret-for-tests-only' },
      ],
    });
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    app = track(
      spawn(process.execPath, [join(dir, 'dist/main.js')], {
        cwd: dir,
        env: {
          PATH: process.env.PATH,
          PORT: String(port),
          JWT_ISSUER_URL: provider.issuer,
          JWT_AUDIENCE: AUDIENCE,
          JWT_TOKEN_TYPE: 'at+jwt',
          JWT_ROLES_CLAIM: 'realm_access.roles',
          JWT_RESOURCE_METADATA_ENABLED: 'true',
        },
      }),
    );
    let output = '';
    const listening = new Promise<void>((done, fail) => {
      app.stdout!.on('data', (chunk: Buffer) => {
        output += chunk;
        if (output.includes('Listening on')) done();
      });
      app.stderr!.on('data', (chunk: Buffer) => (output += chunk));
      app.once('exit', (code) => fail(new Error(`the example exited with ${code}:\n${output}`)));
    });
    await whenReady(app, listening, 'the example', () => output);
  }, SETUP_TIMEOUT);
  afterAll(async () => {
    if (app) await stopChild(app);
    await provider?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('verifies the provider’s tokens, scopes and Keycloak-shaped roles', async () => {
    const auditor = await provider.token('auditor', 'orders:read');
    expect((await request(url, '/orders', { token: auditor })).status).toBe(200);
    expect((await request(url, '/audit', { token: auditor })).status).toBe(200);
    const plain = await provider.token('plain', 'profile');
    expect((await request(url, '/me', { token: plain })).body).toEqual({ iss: provider.issuer, sub: 'plain', client_id: 'plain' });
    expect((await request(url, '/orders', { token: plain })).status).toBe(403);
    expect((await request(url, '/audit', { token: plain })).status).toBe(403);
  });

  it('answers 401 with a resource_metadata challenge, and serves the metadata', async () => {
    const response = await request(url, '/me');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe(`Bearer realm="api", resource_metadata="${AUDIENCE}/.well-known/oauth-protected-resource"`);
    expect((await request(url, '/.well-known/oauth-protected-resource')).body).toEqual({
      resource: AUDIENCE,
      authorization_servers: [provider.issuer],
      scopes_supported: ['orders:read'],
      bearer_methods_supported: ['header'],
    });
  });
});
