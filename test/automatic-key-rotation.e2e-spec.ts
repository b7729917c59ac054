import { jest } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import type { JwtService } from '@nestjs/jwt';
import { createPublicKey, generateKeyPairSync, verify, type JsonWebKey } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { KeyReloader } from '../src/index.js';
import { rsaThumbprint } from '../src/keys/key-loader.js';
import { createApp } from './fixtures/app.js';
import { clockAt } from './support/fake-clock.js';
import { listen, request } from './support/http.js';
import { LogCapture } from './support/log-capture.js';
import { SETUP_TIMEOUT } from './support/processes.js';
import { clientCount, startRedis, type RedisServer } from './support/redis.js';
import { startupError } from './support/startup.js';
import { until } from './support/until.js';

const ISSUER = 'https://issuer.example.com';
const AUDIENCE = 'rotation-test-api';
const PASSPHRASE = 'rotation passphrase of the test run';
const INTERVAL_S = 86_400;
const JWKS_MAX_AGE_S = 300;
const EXPIRES_IN_S = 900;
const TOLERANCE_S = 5;
/** The schedule the docs state: margin 60 s; lead = max-age + margin; retention = lifetime + tolerance + margin. */
const LEAD_MS = (JWKS_MAX_AGE_S + 60) * 1000;
const RETENTION_MS = (EXPIRES_IN_S + TOLERANCE_S + 60) * 1000;
const INTERVAL_MS = INTERVAL_S * 1000;

const kidOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString()).kid;
const expOf = (token: string): number => JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).exp * 1000;

interface Issuer {
  name: string;
  app: INestApplication;
  jwt: JwtService;
  url: string;
}

const jwksKids = async (url: string): Promise<string[]> =>
  ((await request(url, '/.well-known/jwks.json')).body.keys as { kid: string }[]).map(({ kid }) => kid).sort();

/**
 * A load balancer in front of the issuer's instances: each request of the JWK Set goes to the next instance, as a
 * resource server behind a round-robin balancer would see it.
 */
class RoundRobin {
  private next = 0;
  private readonly server: Server;
  constructor(private readonly upstreams: () => string[]) {
    this.server = createServer((_req, res) => {
      const targets = this.upstreams();
      const target = targets[this.next++ % targets.length];
      fetch(`${target}/.well-known/jwks.json`)
        .then(async (upstream) => {
          res.writeHead(upstream.status, { 'content-type': 'application/json', 'cache-control': upstream.headers.get('cache-control') ?? '' });
          res.end(await upstream.text());
        })
        .catch(() => res.writeHead(502).end());
    });
  }
  async listen(): Promise<string> {
    await new Promise<void>((done) => this.server.listen(0, '127.0.0.1', done));
    return `http://127.0.0.1:${(this.server.address() as { port: number }).port}/jwks.json`;
  }
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((done) => this.server.close(done));
  }
}

/**
 * A verifier whose JWK Set cache is as long as the issuer allows and no more lenient: it keeps a fetched set for its
 * whole `max-age` (by the same frozen clock), and an unknown kid is a refusal, never a reason to fetch again.
 */
class StrictVerifier {
  private cached?: { keys: (JsonWebKey & { kid: string })[]; until: number };
  constructor(private readonly jwksUri: string) {}

  /** Fetches the set if the cached one's max-age is over (or `force`): as late as a compliant cache may. */
  async refresh(force = false): Promise<string[]> {
    if (force || !this.cached || Date.now() >= this.cached.until) {
      const response = await fetch(this.jwksUri);
      const maxAge = Number(/max-age=(\d+)/.exec(response.headers.get('cache-control') ?? '')?.[1]);
      expect(maxAge).toBe(JWKS_MAX_AGE_S);
      this.cached = { keys: ((await response.json()) as { keys: (JsonWebKey & { kid: string })[] }).keys, until: Date.now() + maxAge * 1000 };
    }
    return this.cached!.keys.map(({ kid }) => kid);
  }

  async accepts(token: string): Promise<boolean> {
    await this.refresh();
    const jwk = this.cached!.keys.find(({ kid }) => kid === kidOf(token));
    if (!jwk) return false;
    const [header, payload, signature] = token.split('.');
    const valid = verify(
      'sha256',
      Buffer.from(`${header}.${payload}`),
      createPublicKey({ key: jwk, format: 'jwk' }),
      Buffer.from(signature, 'base64url'),
    );
    return valid && Date.now() < expOf(token) + TOLERANCE_S * 1000;
  }
}

/** An issuer instance's settings: keys rotated daily in `store` (with the session store's Redis when it is `redis`). */
function issuerEnv(store: string, redis?: { url: string; prefix: string }): Record<string, string> {
  return {
    JWT_ISSUER: ISSUER,
    JWT_AUDIENCE: AUDIENCE,
    JWT_EXPIRES_IN: String(EXPIRES_IN_S),
    JWT_CLOCK_TOLERANCE: String(TOLERANCE_S),
    JWT_JWKS_ENABLED: 'true',
    JWT_JWKS_MAX_AGE: String(JWKS_MAX_AGE_S),
    JWT_KEY_ROTATION: '1d',
    JWT_KEY_ROTATION_PASSPHRASE: PASSPHRASE,
    JWT_KEY_ROTATION_STORE: store,
    ...(redis && {
      JWT_SESSIONS_ENABLED: 'true',
      JWT_SESSION_STORE: 'redis',
      JWT_REDIS_URL: redis.url,
      JWT_REDIS_KEY_PREFIX: redis.prefix,
      // The clock jumps up to a day at a time: the revocation list's freshness (measured by it) is not under test.
      JWT_REVOCATION_MAX_STALENESS: String(7 * INTERVAL_S),
    }),
  };
}

type StoreKind = 'redis' | 'folder';

// Loaded once before any application starts: Jest's ESM loader fails two concurrent first imports of one module (the
// session store and the rotation store both load ioredis while the module is built; two instances start at once).
beforeAll(async () => {
  await import('../src/rotation/redis-rotation.store.js');
  await import('../src/rotation/folder-rotation.store.js');
  await import('../src/sessions/redis-session.store.js');
});

describe.each<StoreKind>(['redis', 'folder'])('automatic key rotation, keys kept in %s, two instances', (kind) => {
  let redis: RedisServer | undefined;
  let folder: string | undefined;
  const prefix = `rotation-${kind}-test:`;
  const issuers: Issuer[] = [];
  const others: INestApplication[] = [];
  let balancer: RoundRobin | undefined;
  let resource: { app: INestApplication; url: string } | undefined;
  let strict: StrictVerifier;
  /** Every token issued so far: each must be accepted everywhere until it expires. */
  const issued: string[] = [];
  let t0: number;

  const env = (): Record<string, string> => (kind === 'redis' ? issuerEnv('redis', { url: redis!.url, prefix }) : issuerEnv(folder!));

  // One capture for every instance: Nest's logger is one per process, whichever application set it last.
  const logs = new LogCapture();

  const startIssuer = async (name: string): Promise<Issuer> => {
    const { app, jwt } = await createApp({ env: env(), logger: logs });
    const issuer = { name, app, jwt, url: await listen(app) };
    issuers.push(issuer);
    return issuer;
  };

  /** The kids the store holds, read from the store itself. */
  const storedKids = async (): Promise<string[]> => {
    if (kind === 'folder') {
      return readdirSync(folder!)
        .filter((name) => /^key-\d+\.json$/.test(name))
        .map((name) => JSON.parse(readFileSync(join(folder!, name), 'utf8')).kid as string)
        .sort();
    }
    const client = new Redis(redis!.url);
    try {
      return Object.values(await client.hgetall(`${prefix}rotation:keys`))
        .map((text) => JSON.parse(text).kid as string)
        .sort();
    } finally {
      client.disconnect();
    }
  };

  /** Creation lines of every instance, one per key created. */
  const creations = (): string[] => logs.matching(/Key rotation: created kid/);

  /** Each instance signs a token; every token not yet expired is accepted by every instance and both verifiers. */
  const everyTokenAccepted = async (step: string): Promise<string[]> => {
    const fresh = issuers.slice(0, 2).map(({ jwt }) => jwt.sign({ sub: `user-${step}` }));
    issued.push(...fresh);
    for (const token of issued.filter((candidate) => expOf(candidate) > Date.now())) {
      const where = `${step}, token of kid ${kidOf(token)}`;
      expect({ where, status: (await request(resource!.url, '/profile', { token })).status }).toEqual({ where, status: 200 });
      expect({ where, strict: await strict.accepts(token) }).toEqual({ where, strict: true });
      for (const { url, name } of issuers) {
        expect({ where, name, status: (await request(url, '/profile', { token })).status }).toEqual({ where, name, status: 200 });
      }
    }
    return fresh.map(kidOf);
  };

  beforeAll(async () => {
    if (kind === 'redis') redis = await startRedis();
    else folder = join(mkdtempSync(join(tmpdir(), 'rs256-auth-rotation-')), 'keys');
    t0 = Date.now();
    clockAt(t0);
    // Both at once: they race for the first key.
    await Promise.all([startIssuer('A'), startIssuer('B')]);
    balancer = new RoundRobin(() => issuers.map(({ url }) => url));
    const jwksUri = await balancer.listen();
    // A resource server of ours on the JWK Set, caching it as long as the issuer allows.
    const { app } = await createApp({
      env: {
        JWT_JWKS_URI: jwksUri,
        JWT_ISSUER: ISSUER,
        JWT_AUDIENCE: AUDIENCE,
        JWT_CLOCK_TOLERANCE: String(TOLERANCE_S),
        JWT_JWKS_CACHE_MAX_AGE: String(JWKS_MAX_AGE_S),
      },
      // The same capture: an application without one would silence every other's.
      logger: logs,
    });
    others.push(app);
    resource = { app, url: await listen(app) };
    strict = new StrictVerifier(jwksUri);
  }, SETUP_TIMEOUT);

  afterAll(async () => {
    jest.useRealTimers();
    for (const app of [...others, ...issuers.map((issuer) => issuer.app)]) await app.close();
    await balancer?.close();
    await redis?.stop();
    if (folder) rmSync(join(folder, '..'), { recursive: true, force: true });
  });

  it('starts with one key, created by exactly one instance, and names where it lives on the start-up line', async () => {
    expect(creations()).toHaveLength(1);
    const [kid] = await storedKids();
    for (const { url } of issuers) expect(await jwksKids(url)).toEqual([kid]);
    const where = kind === 'redis' ? `Redis (${prefix}rotation:keys)` : `folder ${folder}`;
    const line = expect.stringContaining(`Signing mode: signs RS256 tokens, keys rotated every 1d, kept encrypted in ${where}; current kid ${kid}`);
    expect(logs.matching(/Signing mode/)).toEqual([line, line]);
    expect(logs.lines.join('\n')).not.toContain(PASSPHRASE);
    expect(logs.lines.join('\n')).not.toContain('PRIVATE KEY');
    expect(await everyTokenAccepted('start')).toEqual([kid, kid]);
  });

  it('keeps private keys encrypted at rest', async () => {
    const stored =
      kind === 'folder'
        ? readFileSync(join(folder!, 'key-0.json'), 'utf8')
        : await (async () => {
            const client = new Redis(redis!.url);
            try {
              return (await client.hget(`${prefix}rotation:keys`, '0'))!;
            } finally {
              client.disconnect();
            }
          })();
    // Sealed: AES-256-GCM under a key scrypt derives from the passphrase, the entry's other fields authenticated.
    expect(JSON.parse(stored).privateKey).toMatch(/^scrypt-aes-256-gcm\.[\w-]+\.[\w-]+\.[\w-]+\.[\w-]+$/);
    expect(stored).not.toContain('PRIVATE KEY');
  });

  it('prepublishes, switches together and retires, cycle after cycle, and no verifier ever refuses a valid token', async () => {
    let [current] = await storedKids();
    let activeFrom = t0;
    for (let cycle = 1; cycle <= 2; cycle++) {
      const due = activeFrom + INTERVAL_MS - LEAD_MS;
      // Just before the next key is due: nothing new yet.
      clockAt(due - 1);
      expect(await everyTokenAccepted(`cycle ${cycle}, before prepublish`)).toEqual([current, current]);
      expect(await jwksKids(issuers[0].url)).not.toHaveLength(3);
      // At the due time, the strict verifier fetches the set the instant before the key appears: the worst case.
      clockAt(due);
      expect(await strict.refresh(true)).toEqual([current]);
      let next = '';
      await until(
        async () => {
          const sets = await Promise.all(issuers.map(({ url }) => jwksKids(url)));
          const stored = await storedKids();
          next = stored.find((kid) => kid !== current) ?? '';
          return next !== '' && sets.every((set) => set.includes(next));
        },
        30_000,
        `cycle ${cycle}: the next key published by every instance`,
      );
      expect(creations()).toHaveLength(cycle + 1);
      // Prepublished: in the JWK Set, not signing.
      expect(await everyTokenAccepted(`cycle ${cycle}, prepublished`)).toEqual([current, current]);
      // An instance starting mid-cycle computes the same schedule from the store alone.
      const late = await startIssuer('late');
      expect(await jwksKids(late.url)).toEqual(await jwksKids(issuers[0].url));
      expect(kidOf(late.jwt.sign({ sub: 'late' }))).toBe(current);
      await late.app.close();
      issuers.splice(issuers.indexOf(late), 1);
      // One millisecond before the switch, then at it: every instance switches at the same instant.
      const switchAt = activeFrom + INTERVAL_MS;
      clockAt(switchAt - 1);
      expect(await everyTokenAccepted(`cycle ${cycle}, just before the switch`)).toEqual([current, current]);
      clockAt(switchAt);
      expect(await everyTokenAccepted(`cycle ${cycle}, switched`)).toEqual([next, next]);
      // The retired key stays published until the last token it signed has expired.
      clockAt(switchAt + RETENTION_MS - 1);
      expect(await jwksKids(issuers[0].url)).toContain(current);
      expect(await everyTokenAccepted(`cycle ${cycle}, retired key still published`)).toEqual([next, next]);
      clockAt(switchAt + RETENTION_MS);
      for (const { url } of issuers) expect(await jwksKids(url)).toEqual([next]);
      expect(issued.filter((token) => kidOf(token) === current && expOf(token) + TOLERANCE_S * 1000 > Date.now())).toEqual([]);
      expect(await everyTokenAccepted(`cycle ${cycle}, retired key removed`)).toEqual([next, next]);
      await until(async () => (await storedKids()).join() === next, 30_000, `cycle ${cycle}: the retired key deleted from the store`);
      current = next;
      activeFrom = switchAt;
    }
    // Exactly one instance created each key: three keys, three creation lines in all.
    expect(creations()).toHaveLength(3);
  }, 120_000);
});

describe.each<StoreKind>(['redis', 'folder'])('automatic key rotation: entries written into the %s store without the passphrase', (kind) => {
  const prefix = `rotation-forgery-${kind}-test:`;
  const logs = new LogCapture();
  let redis: RedisServer | undefined;
  let folder: string | undefined;
  let issuer: { app: INestApplication; jwt: JwtService; url: string } | undefined;

  const env = (): Record<string, string> => (kind === 'redis' ? issuerEnv('redis', { url: redis!.url, prefix }) : issuerEnv(folder!));
  /** Writes an entry straight into the store, as anyone who can write to Redis or the folder could. */
  const write = async (seq: number, entry: object | undefined): Promise<void> => {
    if (kind === 'folder') {
      const path = join(folder!, `key-${seq}.json`);
      if (entry) writeFileSync(path, JSON.stringify(entry));
      else unlinkSync(path);
      return;
    }
    const client = new Redis(redis!.url);
    try {
      if (entry) await client.hset(`${prefix}rotation:keys`, String(seq), JSON.stringify(entry));
      else await client.hdel(`${prefix}rotation:keys`, String(seq));
    } finally {
      client.disconnect();
    }
  };
  const read = async (seq: number): Promise<{ kid: string; activeFrom: number; createdAt: number; privateKey: string }> => {
    if (kind === 'folder') return JSON.parse(readFileSync(join(folder!, `key-${seq}.json`), 'utf8'));
    const client = new Redis(redis!.url);
    try {
      return JSON.parse((await client.hget(`${prefix}rotation:keys`, String(seq)))!);
    } finally {
      client.disconnect();
    }
  };

  beforeAll(async () => {
    if (kind === 'redis') redis = await startRedis();
    else folder = join(mkdtempSync(join(tmpdir(), 'rs256-auth-rotation-')), 'keys');
    clockAt(Date.now());
    const { app, jwt } = await createApp({ env: env(), logger: logs });
    issuer = { app, jwt, url: await listen(app) };
  }, SETUP_TIMEOUT);
  afterAll(async () => {
    jest.useRealTimers();
    await issuer?.app.close();
    await redis?.stop();
    if (folder) rmSync(join(folder, '..'), { recursive: true, force: true });
  });

  it('never publishes or signs with an unencrypted key, nor trusts changed metadata; a new instance refuses to start', async () => {
    const genuine = await read(0);
    const { app, jwt, url } = issuer!;
    // An attacker's key, unencrypted, named by its own thumbprint, signing from now on.
    const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const forgedKid = rsaThumbprint(attacker.publicKey);
    const pem = attacker.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    await write(1, { seq: 1, kid: forgedKid, createdAt: Date.now() - LEAD_MS, activeFrom: Date.now() - 1000, privateKey: pem });
    expect(await app.get(KeyReloader).reload()).toBe(false);
    expect(await jwksKids(url)).toEqual([genuine.kid]);
    expect(kidOf(jwt.sign({ sub: 'forgery' }))).toBe(genuine.kid);
    expect(logs.matching(new RegExp(`refused.*kid ${forgedKid} \\(key 1\\)`))).toHaveLength(1);
    const connections = kind === 'redis' ? await clientCount(redis!.url) : 0;
    const refusal = await startupError('forRoot', { env: env() }, logs);
    expect(refusal.code).toBe('RS256_PASSPHRASE_INVALID');
    expect(refusal.message).not.toContain(PASSPHRASE);
    // A refused start-up leaves no connection behind (Nest closes nothing it built): the key source, which refused,
    // is opened before the session store connects, and closes its own.
    if (kind === 'redis')
      await until(async () => (await clientCount(redis!.url)) === connections, 10_000, 'the refused instance closing its connections');

    // The genuine entry with an earlier activeFrom (its sealed key untouched): refused as well.
    await write(1, undefined);
    await write(0, { ...genuine, seq: 0, activeFrom: genuine.activeFrom - INTERVAL_MS });
    expect(await app.get(KeyReloader).reload()).toBe(false);
    expect(logs.matching(new RegExp(`refused.*kid ${genuine.kid} \\(key 0\\)`))).toHaveLength(1);
    expect(kidOf(jwt.sign({ sub: 'forgery' }))).toBe(genuine.kid);
    expect(await jwksKids(url)).toEqual([genuine.kid]);
    expect((await startupError('forRoot', { env: env() }, logs)).code).toBe('RS256_PASSPHRASE_INVALID');
    expect(logs.lines.join('\n')).not.toContain(PASSPHRASE);
  }, 60_000);

  it('refuses to sign a token that would outlive its key: a per-call expiresIn beyond JWT_EXPIRES_IN', async () => {
    const { jwt } = issuer!;
    const now = Math.floor(Date.now() / 1000);
    const refusal = { code: 'RS256_TOKEN_LIFETIME_TOO_LONG', message: expect.stringContaining('JWT_EXPIRES_IN (900 s)') };
    expect(() => jwt.sign({ sub: 'long' }, { expiresIn: EXPIRES_IN_S + 3600 })).toThrow(expect.objectContaining(refusal));
    await expect(jwt.signAsync({ sub: 'long' }, { expiresIn: '30d' })).rejects.toMatchObject(refusal);
    expect(expOf(jwt.sign({ sub: 'short' }, { expiresIn: 60 }))).toBe((now + 60) * 1000);
  });
});

describe('automatic key rotation: a store that fails or forgets', () => {
  const prefix = 'rotation-outage-test:';
  const logs = new LogCapture();
  let redis: RedisServer;
  let issuer: { app: INestApplication; jwt: JwtService; url: string } | undefined;

  const stored = async (): Promise<{ seq: number; kid: string; activeFrom: number }[]> => {
    const client = new Redis(redis.url);
    try {
      return Object.values(await client.hgetall(`${prefix}rotation:keys`))
        .map((text) => JSON.parse(text) as { seq: number; kid: string; activeFrom: number })
        .sort((a, b) => a.seq - b.seq);
    } finally {
      client.disconnect();
    }
  };
  const signedKid = (): string => kidOf(issuer!.jwt.sign({ sub: 'outage' }));

  beforeAll(async () => {
    redis = await startRedis();
  }, SETUP_TIMEOUT);
  afterAll(async () => {
    jest.useRealTimers();
    redis.resume();
    await issuer?.app.close();
    await redis.stop();
  });

  it('keeps signing with the current key while the store is down, then keeps the rule; writes back keys the store lost', async () => {
    const t0 = Date.now();
    clockAt(t0);
    const { app, jwt } = await createApp({
      env: issuerEnv('redis', { url: redis.url, prefix }),
      logger: logs,
    });
    issuer = { app, jwt, url: await listen(app) };
    const [first] = await stored();

    // The next key falls due while Redis answers nothing: the failure is logged, the current key goes on signing,
    // also past the time the next key would have switched.
    clockAt(t0 + INTERVAL_MS - LEAD_MS);
    redis.pause();
    expect(await jwksKids(issuer.url)).toEqual([first.kid]);
    await until(async () => logs.matching(/could not be read or updated/).length > 0, 30_000, 'the failure logged');
    clockAt(t0 + INTERVAL_MS + 1000);
    expect(signedKid()).toBe(first.kid);
    expect((await request(issuer.url, '/profile', { token: jwt.sign({ sub: 'outage' }) })).status).toBe(200);

    // Back: the key is created now, and signs one JWK Set cache lifetime plus the margin later, not at once.
    redis.resume();
    await until(async () => (await stored()).length === 2, 30_000, 'the next key created once Redis answers');
    const [, second] = await stored();
    expect(second.activeFrom).toBe(t0 + INTERVAL_MS + 1000 + LEAD_MS);
    expect(await jwksKids(issuer.url)).toEqual([first.kid, second.kid].sort());
    clockAt(second.activeFrom - 1);
    expect(signedKid()).toBe(first.kid);
    clockAt(second.activeFrom);
    expect(signedKid()).toBe(second.kid);

    // The store goes back (restored from a copy older than the second key, or its entry deleted by someone without the
    // passphrase): the older set is not taken, which would bring the first key back to signing; the newer key is
    // written back.
    const rollback = new Redis(redis.url);
    await rollback.hdel(`${prefix}rotation:keys`, '1');
    rollback.disconnect();
    expect(await app.get(KeyReloader).reload()).toBe(false);
    expect(signedKid()).toBe(second.kid);
    expect(await jwksKids(issuer.url)).toEqual([first.kid, second.kid].sort());
    expect((await stored()).map(({ kid }) => kid)).toEqual([first.kid, second.kid]);
    expect(logs.matching(/had lost its newest key\(s\), from number 1/)).toHaveLength(1);

    // Redis forgets everything (no persistence, a restart): at the next visit the instance writes back what it holds,
    // and the schedule goes on where it was instead of starting over with a key that would sign at once.
    const client = new Redis(redis.url);
    await client.flushall();
    client.disconnect();
    // SIGHUP's path reads the store again: nothing changes here, and the store gets its keys back.
    expect(await app.get(KeyReloader).reload()).toBe(false);
    expect((await stored()).map(({ seq }) => seq)).toEqual([0, 1]);
    clockAt(second.activeFrom + INTERVAL_MS - LEAD_MS);
    expect(signedKid()).toBe(second.kid);
    await until(async () => (await stored()).some(({ seq }) => seq === 2), 30_000, 'the keys written back and the next one created');
    const third = (await stored()).find(({ seq }) => seq === 2)!;
    expect(third.activeFrom).toBe(second.activeFrom + INTERVAL_MS);
    expect((await stored()).map(({ seq }) => seq)).toEqual([1, 2]);
    expect(signedKid()).toBe(second.kid);
    expect(logs.matching(/had lost its keys/)).toHaveLength(1);
  }, 120_000);
});

describe('automatic key rotation: start-up refusals', () => {
  const base = { JWT_KEY_ROTATION: '30d', JWT_KEY_ROTATION_PASSPHRASE: PASSPHRASE, JWT_KEY_ROTATION_STORE: '/tmp/unused', JWT_JWKS_ENABLED: 'true' };
  it.each<[string, Record<string, string>, RegExp]>([
    ['without the JWK Set endpoint', { ...base, JWT_JWKS_ENABLED: 'false' }, /JWT_KEY_ROTATION is set, but the JWK Set endpoint is off/],
    [
      'an interval shorter than the JWK Set cache lifetime plus the margin',
      { ...base, JWT_KEY_ROTATION: '5m' },
      /JWT_KEY_ROTATION is 300 s, not more than JWT_JWKS_MAX_AGE/,
    ],
    ['a short passphrase', { ...base, JWT_KEY_ROTATION_PASSPHRASE: 'short' }, /JWT_KEY_ROTATION_PASSPHRASE is too short/],
    ['no store', { ...base, JWT_KEY_ROTATION_STORE: '' }, /JWT_KEY_ROTATION_STORE is not/],
    [
      'redis without sessions in Redis',
      { ...base, JWT_KEY_ROTATION_STORE: 'redis' },
      /JWT_KEY_ROTATION_STORE is "redis", the session store's Redis, but sessions are not stored in Redis/,
    ],
    ['a key file as well', { ...base, JWT_PRIVATE_KEY_PATH: '/tmp/private.pem' }, /JWT_KEY_ROTATION is set together with JWT_PRIVATE_KEY_PATH/],
    ['a store without an interval', { JWT_KEY_ROTATION_STORE: 'redis' }, /JWT_KEY_ROTATION_STORE is set but JWT_KEY_ROTATION is not/],
  ])('refuses %s', async (_name, env, message) => {
    const error = await startupError('forRoot', { env });
    expect(error.code).toBe('RS256_CONFIG_INVALID');
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain(PASSPHRASE);
  });

  it('refuses a passphrase that does not decrypt the stored keys, without quoting it', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'rs256-auth-rotation-'));
    const env = { ...base, JWT_KEY_ROTATION_STORE: folder };
    try {
      const { app } = await createApp({ env });
      await app.close();
      const error = await startupError('forRoot', { env: { ...env, JWT_KEY_ROTATION_PASSPHRASE: 'another passphrase, long enough' } });
      expect(error.code).toBe('RS256_PASSPHRASE_INVALID');
      expect(error.message).toContain('JWT_KEY_ROTATION_PASSPHRASE does not decrypt kid');
      expect(error.message).not.toContain('another passphrase');
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
