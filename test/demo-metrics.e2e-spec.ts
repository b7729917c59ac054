import { createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from './support/http.js';
import { rsaPair } from './support/keys.js';
import { createDevKeys, SETUP_TIMEOUT, startDemo, stopDemo, type ServerProcess } from './support/processes.js';
import { nowSeconds, rs256Token } from './support/tokens.js';

/** One sample of Prometheus' text format: name, labels, value. */
interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function samples(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)/.exec(line);
      if (!match) throw new Error(`not a Prometheus sample: ${line}`);
      const labels = Object.fromEntries(
        [...(match[2] ?? '').matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)].map(([, key, value]) => [key, value]),
      );
      return { name: match[1], labels, value: Number(match[3]) };
    });
}

describe('the demo exposes the library’s metrics to Prometheus on /metrics, and answers readiness', () => {
  let cwd: string;
  let demo: ServerProcess;

  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), 'rs256-auth-demo-metrics-'));
    expect(createDevKeys(cwd).status).toBe(0);
    demo = await startDemo(cwd);
  }, SETUP_TIMEOUT);
  afterAll(async () => {
    await stopDemo(demo);
    rmSync(cwd, { recursive: true, force: true });
  });

  async function login(username: string, password: string): Promise<string> {
    const response = await request(demo.url, '/auth/login', { method: 'POST', body: { username, password } });
    expect(response.status).toBe(200);
    return response.body.access_token;
  }

  it('is ready: keys loaded', async () => {
    const ready = await request(demo.url, '/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.info['rs256-auth']).toMatchObject({ status: 'up', keys: 1 });
  });

  it('counts a known mix of good, expired, wrongly signed, unscoped and missing tokens, by reason, with nothing else', async () => {
    const demoUser = await login('demo', 'demo-password');
    const guest = await login('guest', 'guest-password');
    // Tokens the demo would accept but for their expiry or their signature: same header and claims as its own.
    const [header, payload] = demoUser
      .split('.')
      .slice(0, 2)
      .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')));
    const now = nowSeconds();
    const expired = rs256Token(createPrivateKey(readFileSync(join(cwd, 'keys/private.pem'))), { ...payload, iat: now - 600, exp: now - 300 }, header);
    const wronglySigned = rs256Token(rsaPair().privateKey, payload, header);

    const statuses = [
      (await request(demo.url, '/profile', { token: demoUser })).status,
      (await request(demo.url, '/profile', { token: demoUser })).status,
      (await request(demo.url, '/orders', { token: demoUser })).status,
      (await request(demo.url, '/profile', { token: guest })).status,
      (await request(demo.url, '/orders', { token: guest })).status,
      (await request(demo.url, '/profile', { token: expired })).status,
      (await request(demo.url, '/profile', { token: wronglySigned })).status,
      (await request(demo.url, '/profile', { token: wronglySigned })).status,
      (await request(demo.url, '/profile')).status,
      (await request(demo.url, '/health')).status,
    ];
    expect(statuses).toEqual([200, 200, 200, 200, 403, 401, 401, 401, 401, 200]);

    const scrape = await request(demo.url, '/metrics');
    expect(scrape.status).toBe(200);
    const all = samples(scrape.body as string);
    const verifications = all
      .filter((sample) => sample.name === 'rs256auth_token_verifications_total')
      .map(({ labels, value }) => `${labels.rs256auth_outcome} ${labels.error_type ?? '-'} ${labels.rs256auth_transport} ${value}`)
      .sort();
    expect(verifications).toEqual([
      'accepted - http 4',
      'forbidden RS256_INSUFFICIENT_CLAIMS http 1',
      'refused RS256_TOKEN_EXPIRED http 1',
      'refused RS256_TOKEN_MISSING http 1',
      'refused RS256_TOKEN_SIGNATURE http 2',
    ]);
    // Every one of the nine timed; each login's token verified once, then answered from the cache.
    const durations = all.filter((sample) => sample.name === 'rs256auth_token_verification_duration_count');
    expect(durations.reduce((total, sample) => total + sample.value, 0)).toBe(9);
    const timed = (outcome: string, cached: boolean): number | undefined =>
      durations.find((sample) => sample.labels.rs256auth_outcome === outcome && sample.labels.rs256auth_cached === String(cached))?.value;
    expect([timed('accepted', false), timed('accepted', true), timed('forbidden', true), timed('refused', false)]).toEqual([2, 2, 1, 4]);
    expect(all.find((sample) => sample.name === 'rs256auth_keys_loaded')?.value).toBe(1);
    // The demo runs with sessions (memory store): logins are counted.
    expect(
      all.find((sample) => sample.name === 'rs256auth_session_operations_total' && sample.labels.rs256auth_session_operation === 'issued')?.value,
    ).toBe(2);
    // No token or subject in the scrape.
    for (const secret of [demoUser, guest, expired, wronglySigned, '"demo"', '"guest"']) {
      expect((scrape.body as string).includes(secret)).toBe(false);
    }
  });
});
