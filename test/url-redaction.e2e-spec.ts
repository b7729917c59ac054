import { createServer } from 'node:http';
import type { INestApplication } from '@nestjs/common';
import { createApp } from './fixtures/app.js';
import { listen } from './support/http.js';
import { createKeyFiles, type KeyFiles } from './support/keys.js';
import { LogCapture } from './support/log-capture.js';
import { freePort } from './support/processes.js';

const API = 'https://api.example.test';
/** What a URL in a setting may carry that no log line may show: a password and a query value. */
const PASSWORD = 'pw-s3cret';
const QUERY_VALUE = 'q-s3cret';

/** Every line logged, checked for the two secrets, and returned for further checks. */
function withoutSecrets(logs: LogCapture): string {
  const text = logs.lines.join('\n');
  expect(text).not.toContain(PASSWORD);
  expect(text).not.toContain(QUERY_VALUE);
  return text;
}

describe('URLs in logs: no credentials, no query values', () => {
  let keys: KeyFiles;
  const apps: INestApplication[] = [];
  const closers: (() => Promise<void>)[] = [];
  beforeAll(() => {
    keys = createKeyFiles();
  });
  afterEach(async () => {
    await Promise.all([...apps.splice(0).map((app) => app.close()), ...closers.splice(0).map((close) => close())]);
  });
  afterAll(() => keys.cleanup());

  /** An issuer publishing its JWK Set on loopback; its base URL. */
  async function issuer(): Promise<string> {
    const { app } = await createApp({ env: { JWT_PRIVATE_KEY_PATH: keys.privatePath, JWT_JWKS_ENABLED: 'true' } });
    apps.push(app);
    return listen(app);
  }

  async function resourceServer(env: Record<string, string>): Promise<LogCapture> {
    const logs = new LogCapture();
    const { app } = await createApp({ logger: logs, env: { JWT_AUDIENCE: API, ...env } });
    apps.push(app);
    return logs;
  }

  it('a JWK Set fetched from a URL with a query value: the fetch is logged with the value masked', async () => {
    const origin = await issuer();
    const logs = await resourceServer({ JWT_JWKS_URI: `${origin}/.well-known/jwks.json?api_key=${QUERY_VALUE}` });
    const text = withoutSecrets(logs);
    expect(text).toContain(`JWK Set from ${origin}/.well-known/jwks.json?api_key=***: verification kids`);
  });

  it('a JWK Set URI with credentials: every failed fetch is logged without them, fetch’s own message included', async () => {
    const origin = await issuer();
    const logs = await resourceServer({ JWT_JWKS_URI: origin.replace('://', `://user:${PASSWORD}@`) + `/.well-known/jwks.json?k=${QUERY_VALUE}` });
    withoutSecrets(logs);
    // fetch refuses a URL with credentials, quoting it whole in its error: the warning shows it redacted.
    expect(logs.matching(/^WARN Fetching the JWK Set from/)).toEqual([
      expect.stringContaining(
        `from ${origin}/.well-known/jwks.json?k=*** failed (TypeError: Request cannot be constructed from a URL that includes credentials: ${origin}/.well-known/jwks.json?k=***)`,
      ),
    ]);
  });

  it('a discovery mismatch names the configured issuer without its credentials or query values', async () => {
    const server = createServer((_req, res) => {
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ issuer: `https://other.example.test/?t=${QUERY_VALUE}`, jwks_uri: 'https://other.example.test/keys' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => server.close(() => resolve())));
    const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    const logs = await resourceServer({ JWT_ISSUER_URL: origin.replace('://', `://user:${PASSWORD}@`) + '/realms/a' });
    withoutSecrets(logs);
    expect(logs.matching(/^WARN Discovering the keys of issuer/)).toEqual([
      expect.stringContaining(
        `issuer ${origin}/realms/a failed (${origin}/realms/a/.well-known/openid-configuration names issuer "https://other.example.test/?t=***", not "${origin}/realms/a")`,
      ),
    ]);
  });

  it('a trusted issuer with credentials in its URL, down at start-up: the warning and the start-up line show it redacted', async () => {
    const port = await freePort();
    const logs = await resourceServer({ JWT_TRUSTED_ISSUERS: `http://user:${PASSWORD}@127.0.0.1:${port}/realms/a` });
    withoutSecrets(logs);
    expect(logs.matching(/^WARN Discovering the keys of issuer http:\/\/127\.0\.0\.1:\d+\/realms\/a failed/)).toHaveLength(1);
    expect(logs.matching(/^LOG Several issuers: verifies RS256 tokens of http:\/\/127\.0\.0\.1:\d+\/realms\/a,/)).toHaveLength(1);
  });

  it('a Redis URL with a password, the server down: the store’s warnings never show the password', async () => {
    const port = await freePort();
    const logs = new LogCapture();
    const { app } = await createApp({
      logger: logs,
      env: {
        JWT_PRIVATE_KEY_PATH: keys.privatePath,
        JWT_SESSIONS_ENABLED: 'true',
        JWT_SESSION_STORE: 'redis',
        JWT_REDIS_URL: `redis://user:${PASSWORD}@127.0.0.1:${port}/0`,
        JWT_REDIS_TIMEOUT: '0.3',
      },
    });
    apps.push(app);
    withoutSecrets(logs);
    expect(logs.matching(/^WARN Redis session store unreachable/)).not.toEqual([]);
  });
});
