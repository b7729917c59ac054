import { readFileSync } from 'node:fs';
import { createApp, PLATFORMS } from './fixtures/app.js';
import { listen } from './support/http.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { LogCapture } from './support/log-capture.js';

let keys: KeyFiles;
beforeAll(() => {
  keys = createKeyFiles();
});
afterAll(() => keys.cleanup());

/** Everything that must never reach a log: PEM armour and bodies, the modulus, the passphrase. */
function secrets(): string[] {
  const pemLines = (path: string): string[] =>
    readFileSync(path, 'utf8')
      .split('\n')
      .filter((line) => line.length > 20);
  const modulus = keys.main.publicKey.export({ format: 'jwk' }).n!;
  return ['BEGIN', ...pemLines(keys.privatePath), ...pemLines(keys.encryptedPath), modulus.slice(0, 40), keys.passphrase];
}

function modeLines(logs: LogCapture): string[] {
  return logs.matching(/mode/);
}

describe.each(PLATFORMS)('the start-up log line (%s)', (platform) => {
  it('says signing mode, the signing and verification kids, where the signing key lives and the JWK Set route', async () => {
    const logs = new LogCapture();
    const { app, jwt } = await createApp({
      platform,
      logger: logs,
      env: {
        JWT_PRIVATE_KEY_PATH: keys.encryptedPath,
        JWT_PRIVATE_KEY_PASSPHRASE: keys.passphrase,
        JWT_PUBLIC_KEY_PATH: `${keys.publicPath},${keys.otherPublicPath}`,
        JWT_JWKS_ENABLED: 'true',
        JWT_JWKS_PATH: '/keys.json',
      },
    });
    try {
      const kid = JSON.parse(Buffer.from(jwt.sign({ sub: 'u' }).split('.')[0], 'base64url').toString()).kid as string;
      const lines = modeLines(logs);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(
          `^LOG Signing mode: signs RS256 tokens with kid ${kid} from JWT_PRIVATE_KEY_PATH \\("${keys.encryptedPath.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}"\\), verifies kids \\[[^\\]]*${kid}[^\\]]*, [^\\]]+\\]; JWK Set served at /keys\\.json; checks no issuer \\(JWT_ISSUER is not set\\) and no audience \\(JWT_AUDIENCE is not set\\)\\.$`,
        ),
      );
      for (const secret of secrets()) {
        expect(logs.lines.join('\n')).not.toContain(secret);
      }
    } finally {
      await app.close();
    }
  });

  it('says verify-only mode, without a JWK Set', async () => {
    const logs = new LogCapture();
    const { app } = await createApp({ platform, logger: logs, env: { JWT_PUBLIC_KEY_PATH: keys.publicPath } });
    try {
      expect(modeLines(logs)).toEqual([
        expect.stringMatching(
          /^LOG Verify-only mode \(no private key\): verifies RS256 tokens with kids \[[\w-]+\]; JWK Set not served; checks no issuer \(JWT_ISSUER is not set\) and no audience \(JWT_AUDIENCE is not set\)\.$/,
        ),
      ]);
    } finally {
      await app.close();
    }
  });

  it.each<[string, Record<string, string>, string]>([
    ['both checked', { JWT_ISSUER: 'https://id.example.com', JWT_AUDIENCE: 'api' }, ''],
    ['no issuer', { JWT_AUDIENCE: 'api' }, '; checks no issuer (JWT_ISSUER is not set)'],
    ['no audience', { JWT_ISSUER: 'https://id.example.com' }, '; checks no audience (JWT_AUDIENCE is not set)'],
  ])('with local keys, says which of issuer and audience is not checked: %s', async (_name, env, unchecked) => {
    const logs = new LogCapture();
    const { app } = await createApp({ platform, logger: logs, env: { JWT_PUBLIC_KEY_PATH: keys.publicPath, ...env } });
    try {
      const lines = modeLines(logs);
      expect(lines).toHaveLength(1);
      expect(lines[0].endsWith(`; JWK Set not served${unchecked}.`)).toBe(true);
    } finally {
      await app.close();
    }
  });

  it("says resource-server mode with the kids fetched from the issuer's JWK Set; no line shows the address's query values", async () => {
    const issuer = await createApp({ platform, env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_JWKS_ENABLED: 'true' } });
    try {
      const issuerUrl = await listen(issuer.app);
      const kid = JSON.parse(Buffer.from(issuer.jwt.sign({ sub: 'u' }).split('.')[0], 'base64url').toString()).kid as string;
      const logs = new LogCapture();
      const jwksUri = `${issuerUrl}/.well-known/jwks.json?token=s3cret`;
      const { app } = await createApp({ platform, logger: logs, env: { JWT_JWKS_URI: jwksUri, JWT_AUDIENCE: 'https://api.example.test' } });
      try {
        expect(modeLines(logs)).toEqual([
          `LOG Resource-server mode: verifies RS256 tokens with the JWK Set of ${issuerUrl}/.well-known/jwks.json?token=***, kids [${kid}]; JWK Set not served; checks no issuer (JWT_ISSUER is not set).`,
        ]);
        // Nor does any other line show a query value (it may hold a secret), the fetch's own included.
        expect(logs.matching(/JWK Set from/)).not.toEqual([]);
        expect(logs.matching(/s3cret/)).toEqual([]);
      } finally {
        await app.close();
      }
    } finally {
      await issuer.app.close();
    }
  });

  it('says when a resource server checks no audience because it was told to (JWT_ACCEPT_ANY_AUDIENCE)', async () => {
    const issuer = await createApp({ platform, env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_JWKS_ENABLED: 'true' } });
    try {
      const issuerUrl = await listen(issuer.app);
      const logs = new LogCapture();
      const { app } = await createApp({
        platform,
        logger: logs,
        env: { JWT_JWKS_URI: `${issuerUrl}/.well-known/jwks.json`, JWT_ACCEPT_ANY_AUDIENCE: 'true' },
      });
      try {
        expect(modeLines(logs)).toEqual([
          expect.stringMatching(
            /^LOG Resource-server mode: .*; JWK Set not served; checks no issuer \(JWT_ISSUER is not set\) and no audience \(JWT_ACCEPT_ANY_AUDIENCE\)\.$/,
          ),
        ]);
      } finally {
        await app.close();
      }
    } finally {
      await issuer.app.close();
    }
  });
});
