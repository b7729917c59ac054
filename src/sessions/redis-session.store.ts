import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { SessionsConfig } from '../config/rs256-auth.config.js';
import { Rs256AuthError, messageOf } from '../errors/rs256-auth.error.js';
import { redactedText } from '../observability/redacted-url.js';
import type { ConsumeResult, RefreshRecord, Revocation, RevocationSink, SessionStore } from './session-store.interface.js';

type RedisSettings = NonNullable<SessionsConfig['redis']>;

/**
 * Records revocations (merged with what is known: the later `until`, the later `before`), sweeps expired ones, and
 * publishes the batch to every instance, all in one atomic step. Values are `until|before` strings, written with
 * %.0f: Lua's default number formatting would round millisecond timestamps.
 * KEYS: revocations hash, expiry index (sorted set). ARGV: now (ms), key prefix, channel, JSON array of revocations.
 */
const REVOKE_SCRIPT = `
local now = tonumber(ARGV[1])
local function ms(x) return string.format('%.0f', x) end
for _, r in ipairs(cjson.decode(ARGV[4])) do
  local field = r.kind .. ':' .. r.value
  local untilMs = r['until']
  local before = r.before or -1
  local known = redis.call('HGET', KEYS[1], field)
  if known then
    local sep = string.find(known, '|', 1, true)
    untilMs = math.max(untilMs, tonumber(string.sub(known, 1, sep - 1)))
    before = math.max(before, tonumber(string.sub(known, sep + 1)))
  end
  if untilMs > now then
    redis.call('HSET', KEYS[1], field, ms(untilMs) .. '|' .. ms(before))
    redis.call('ZADD', KEYS[2], ms(untilMs), field)
  end
  if r.refreshUntil and r.refreshUntil > now then
    local key = ARGV[2] .. r.kind .. ':' .. r.value
    local ttl = math.max(r.refreshUntil - now, redis.call('PTTL', key))
    local value = before
    local previous = redis.call('GET', key)
    if previous then value = math.max(value, tonumber(previous)) end
    redis.call('SET', key, ms(value), 'PX', ms(ttl))
  end
end
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1], 'LIMIT', 0, 1000)
for _, field in ipairs(expired) do
  redis.call('HDEL', KEYS[1], field)
  redis.call('ZREM', KEYS[2], field)
end
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1
`;

/**
 * Consumes a refresh token atomically: of concurrent calls with one token, exactly one finds it unused.
 * KEYS: the token's key. ARGV: key prefix.
 */
const CONSUME_SCRIPT = `
local fields = redis.call('HMGET', KEYS[1], 'record', 'used')
if not fields[1] then return {'unknown'} end
if fields[2] == '1' then return {'reused', fields[1]} end
local r = cjson.decode(fields[1])
if redis.call('EXISTS', ARGV[1] .. 'sid:' .. r.sid) == 1 then return {'revoked'} end
local before = redis.call('GET', ARGV[1] .. 'sub:' .. r.sub)
if before and r.iat <= tonumber(before) then return {'revoked'} end
redis.call('HSET', KEYS[1], 'used', '1')
return {'used', fields[1]}
`;

/** Contact is confirmed this often, at most; more often under a small staleness bound. */
const MAX_HEARTBEAT_MS = 1000;
const MIN_HEARTBEAT_MS = 25;
/** Revocations given back to the server per script call (and message) after a reconnection. */
const RESEED_BATCH = 1000;

function parseRevocations(json: string): Revocation[] {
  const value: unknown = JSON.parse(json);
  return Array.isArray(value) ? (value as Revocation[]) : [];
}

/**
 * Refresh tokens and revocations in one Redis server (or a primary; Redis Cluster is not supported: the scripts
 * address keys by prefix). Two connections: one for commands, which never queues while disconnected and gives up
 * after `timeoutMs`, so a request never waits on an unreachable server; one subscribed to the revocation channel,
 * which also confirms contact with a PING every heartbeat. After every (re)connection the subscriber gives this
 * instance's revocations back to the server (which may have restarted empty), then loads all of them.
 */
export class RedisSessionStore implements SessionStore {
  readonly shared = true;
  private readonly logger = new Logger('Rs256Auth');
  private readonly commands: Redis;
  private readonly subscriber: Redis;
  private readonly channel: string;
  private readonly revocationsKey: string;
  private readonly expiryKey: string;
  private sink?: RevocationSink & { entries(): Revocation[] };
  private heartbeat?: NodeJS.Timeout;
  private synced = false;
  private busy = false;
  private reportedDown = false;

  private constructor(
    private readonly settings: RedisSettings,
    private readonly heartbeatMs: number,
  ) {
    const options = {
      connectTimeout: settings.timeoutMs,
      commandTimeout: settings.timeoutMs,
      // Fail at once while disconnected rather than queue: a request must not wait for a reconnection.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      // A consume whose reply was lost must not run twice: the second run would see the token as reused.
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false,
      retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
    };
    this.commands = new Redis(settings.url, options);
    this.subscriber = new Redis(settings.url, options);
    this.channel = `${settings.keyPrefix}revocations`;
    this.revocationsKey = `${settings.keyPrefix}revocations`;
    this.expiryKey = `${settings.keyPrefix}revocations:expiry`;
    for (const client of [this.commands, this.subscriber]) {
      client.on('error', (error: Error) => this.reportDown(error));
    }
    this.subscriber.on('close', () => {
      this.synced = false;
    });
    this.subscriber.on('ready', () => void this.beat());
    this.subscriber.on('message', (_channel: string, message: string) => {
      try {
        this.sink?.apply(parseRevocations(message));
      } catch {
        this.logger.warn('Ignored a malformed message on the revocation channel.');
      }
    });
  }

  /**
   * Connects, waiting at most the timeout: a server that is down at start-up does not stop the application, whose
   * verification then refuses tokens (fail closed) until the first snapshot is loaded.
   */
  static async connect(settings: RedisSettings, maxStalenessMs: number): Promise<RedisSessionStore> {
    const heartbeatMs = Math.max(MIN_HEARTBEAT_MS, Math.min(MAX_HEARTBEAT_MS, Math.floor(maxStalenessMs / 4)));
    const store = new RedisSessionStore(settings, heartbeatMs);
    await Promise.all([store.commands, store.subscriber].map((client) => store.ready(client)));
    return store;
  }

  async watch(sink: RevocationSink & { entries(): Revocation[] }): Promise<void> {
    this.sink = sink;
    this.heartbeat = setInterval(() => void this.beat(), this.heartbeatMs).unref();
    await this.beat();
  }

  async saveRefreshToken(hash: string, record: RefreshRecord): Promise<void> {
    const key = this.refreshKey(hash);
    await this.run(async () => {
      const results = await this.commands.multi().hset(key, { record: JSON.stringify(record), used: '0' }).pexpireat(key, record.expiresAt).exec();
      const failed = results?.find(([error]) => error);
      if (!results || failed) throw failed?.[0] ?? new Error('transaction discarded');
    });
  }

  async consumeRefreshToken(hash: string): Promise<ConsumeResult> {
    const reply = (await this.run(() => this.commands.eval(CONSUME_SCRIPT, 1, this.refreshKey(hash), this.settings.keyPrefix))) as string[];
    const [status, record] = reply;
    if (status === 'used' || status === 'reused') {
      return { status, record: JSON.parse(record) as RefreshRecord };
    }
    return { status: status === 'revoked' ? 'revoked' : 'unknown' };
  }

  async revoke(revocations: readonly Revocation[]): Promise<void> {
    await this.run(() => this.writeRevocations(revocations));
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.sink = undefined;
    this.commands.disconnect();
    this.subscriber.disconnect();
  }

  private writeRevocations(revocations: readonly Revocation[]): Promise<unknown> {
    return this.commands.eval(
      REVOKE_SCRIPT,
      2,
      this.revocationsKey,
      this.expiryKey,
      String(Date.now()),
      this.settings.keyPrefix,
      this.channel,
      JSON.stringify(revocations),
    );
  }

  /** Confirms contact (or, after a reconnection, rebuilds the view); a failure leaves the view to age. */
  private async beat(): Promise<void> {
    if (this.busy || !this.sink || this.subscriber.status !== 'ready') return;
    this.busy = true;
    const sink = this.sink;
    try {
      const sent = Date.now();
      if (this.synced) {
        await this.subscriber.ping();
      } else {
        // Subscribed first: a revocation published from here on arrives as a message; one made before is in the hash.
        await this.subscriber.subscribe(this.channel);
        // Published too: an instance that synced with the emptied server before this one must learn them as well.
        const own = sink.entries();
        for (let start = 0; start < own.length; start += RESEED_BATCH) {
          await this.writeRevocations(own.slice(start, start + RESEED_BATCH));
        }
        const all = await this.commands.hgetall(this.revocationsKey);
        sink.apply(Object.entries(all).map(([field, value]) => RedisSessionStore.parseEntry(field, value)));
        this.synced = true;
      }
      sink.confirm(sent);
      if (this.reportedDown) {
        this.reportedDown = false;
        this.logger.log('Redis session store reachable again; revocation list rebuilt.');
      }
    } catch (error) {
      this.reportDown(error);
    } finally {
      this.busy = false;
    }
  }

  private static parseEntry(field: string, value: string): Revocation {
    const colon = field.indexOf(':');
    const [until, before] = value.split('|').map(Number);
    const kind = field.slice(0, colon) as Revocation['kind'];
    return { kind, value: field.slice(colon + 1), until, ...(kind === 'sub' && { before }) };
  }

  private refreshKey(hash: string): string {
    return `${this.settings.keyPrefix}rt:${hash}`;
  }

  /** Runs a command, turning any failure (unreachable, timed out) into the one error callers map to 503. */
  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      this.reportDown(error);
      throw new Rs256AuthError('RS256_SESSION_STORE_UNAVAILABLE', 'session store unavailable; try again later', { cause: error });
    }
  }

  private reportDown(error: unknown): void {
    if (!this.reportedDown) {
      this.reportedDown = true;
      // ioredis messages name the host and port, but what they quote is shown by the one rule for URLs.
      this.logger.warn(`Redis session store unreachable (${redactedText(messageOf(error))}); retrying.`);
    }
  }

  private ready(client: Redis): Promise<void> {
    if (client.status === 'ready') return Promise.resolve();
    return new Promise((done) => {
      const finish = (): void => {
        clearTimeout(timer);
        client.off('ready', finish);
        done();
      };
      const timer = setTimeout(finish, this.settings.timeoutMs);
      client.once('ready', finish);
    });
  }
}
