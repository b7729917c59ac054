import { Logger } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { SessionsConfig } from '../options/rs256-auth-config.js';
import { Rs256AuthError, messageOf } from '../errors/rs256-auth.error.js';
import { redactedText } from '../observability/redacted-url.js';
import type {
  NewSession,
  Revocation,
  RevocationRequest,
  RevocationSink,
  RotateResult,
  RotationRequest,
  SessionLifetimes,
  SessionStore,
} from './session-store.interface.js';

type RedisSettings = NonNullable<SessionsConfig['redis']>;

/** Lua helpers every script starts with: the server's clock in ms, and ms formatted whole (%.0f, as Lua's default rounds). */
const PRELUDE = `
local function ms(x) return string.format('%.0f', x) end
local function clock()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function cutOff(key, sub, now)
  local latest = -1
  for _, v in ipairs(redis.call('HMGET', key, 'sub:' .. sub, 'all:')) do
    if v then
      local sep = string.find(v, '|', 1, true)
      if tonumber(string.sub(v, 1, sep - 1)) > now then latest = math.max(latest, tonumber(string.sub(v, sep + 1))) end
    end
  end
  return latest
end
`;

/**
 * Starts a session, stamped by the server's clock after every cut-off in force for its subject (a sign-in in the
 * same millisecond as a "sign out everywhere", but after it, is not covered by it).
 * KEYS: the session, the cut-offs hash. ARGV: sub, claims (JSON), family hash, first token's hash, idle ms, max ms.
 */
const CREATE_SCRIPT = `${PRELUDE}
local now = clock()
local stamp = math.max(now, cutOff(KEYS[2], ARGV[1], now) + 1)
redis.call('HSET', KEYS[1], 'sub', ARGV[1], 'c', ARGV[2], 'f', ARGV[3], 'cur', ARGV[4], 'born', ms(stamp), 'at', ms(stamp))
redis.call('PEXPIREAT', KEYS[1], ms(stamp + math.min(tonumber(ARGV[5]), tonumber(ARGV[6]))))
return ms(stamp)
`;

/**
 * Rotates a session's refresh token, or tells why not (see `RotateResult`). A token whose family hash differs
 * was not issued for this session (whoever knows a `sid` from an access token cannot end its session).
 * KEYS: the session, the cut-offs hash. ARGV: presented hash, family hash, successor hash, nonce, idle ms, max ms,
 * grace ms.
 */
const ROTATE_SCRIPT = `${PRELUDE}
local s = redis.call('HMGET', KEYS[1], 'sub', 'c', 'f', 'born', 'at', 'cur', 'prev', 'r')
if not s[1] or s[3] ~= ARGV[2] then return {'unknown'} end
local now = clock()
local born, at = tonumber(s[4]), tonumber(s[5])
local cut = cutOff(KEYS[2], s[1], now)
if at <= cut then
  redis.call('DEL', KEYS[1])
  return {'revoked'}
end
if ARGV[1] == s[6] then
  local stamp = math.max(now, at, cut + 1)
  redis.call('HSET', KEYS[1], 'prev', s[6], 'cur', ARGV[3], 'at', ms(stamp), 'r', ARGV[4])
  redis.call('PEXPIREAT', KEYS[1], ms(math.min(stamp + tonumber(ARGV[5]), born + tonumber(ARGV[6]))))
  return {'rotated', s[1], s[2], s[4], ms(stamp), ARGV[4]}
end
if now - at < tonumber(ARGV[7]) then
  if ARGV[1] == s[7] then return {'replayed', s[1], s[2], s[4], s[5], s[8] or ''} end
  return {'superseded'}
end
redis.call('DEL', KEYS[1])
return {'reused', s[1]}
`;

/**
 * Records revocations with their times fixed by the server's clock, merged with what is known (the later `until`,
 * the later `before`); for the refresh side deletes revoked sessions and records cut-offs; sweeps expired entries;
 * publishes the batch as recorded to every instance, all in one atomic step. Values are `until|before` strings.
 * KEYS: revocations hash and its expiry index (sorted set), cut-offs hash and its expiry index, then the session key
 * of each `sid` revocation with `refreshMs`, in order. ARGV: channel, JSON array of revocation requests.
 */
const REVOKE_SCRIPT = `${PRELUDE}
local now = clock()
local function merge(hash, index, field, untilMs, before)
  local known = redis.call('HGET', hash, field)
  if known then
    local sep = string.find(known, '|', 1, true)
    untilMs = math.max(untilMs, tonumber(string.sub(known, 1, sep - 1)))
    before = math.max(before, tonumber(string.sub(known, sep + 1)))
  end
  if untilMs > now then
    redis.call('HSET', hash, field, ms(untilMs) .. '|' .. ms(before))
    redis.call('ZADD', index, ms(untilMs), field)
  end
end
local recorded = {}
local session = 5
for _, r in ipairs(cjson.decode(ARGV[2])) do
  local field = r.kind .. ':' .. r.value
  local untilMs = r['until'] or (now + r.accessMs)
  local before = -1
  if r.kind == 'sub' or r.kind == 'all' then before = math.min(r.before or now, now) end
  merge(KEYS[1], KEYS[2], field, untilMs, before)
  if r.refreshMs and r.kind == 'sid' then
    redis.call('DEL', KEYS[session])
    session = session + 1
  elseif r.refreshMs and before >= 0 then
    merge(KEYS[3], KEYS[4], field, now + r.refreshMs, before)
  end
  local entry = {kind = r.kind, value = r.value}
  entry['until'] = untilMs
  if before >= 0 then entry.before = before end
  recorded[#recorded + 1] = entry
end
for _, keys in ipairs({{KEYS[1], KEYS[2]}, {KEYS[3], KEYS[4]}}) do
  for _, field in ipairs(redis.call('ZRANGEBYSCORE', keys[2], '-inf', ms(now), 'LIMIT', 0, 1000)) do
    redis.call('HDEL', keys[1], field)
    redis.call('ZREM', keys[2], field)
  end
end
if #recorded == 0 then return '[]' end
local message = cjson.encode(recorded)
redis.call('PUBLISH', ARGV[1], message)
return message
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
 * Sessions and revocations in one Redis server (or a primary; Redis Cluster is not supported yet: a script reads a
 * session and the cut-offs, which lie in different slots). One hash per session, `<prefix>session:{<sid>}`,
 * rewritten in place at every refresh and expiring with it; revocations and cut-offs in one hash each, with a sorted
 * set of expiry times; every key a script touches is passed in KEYS. Every time a script records is the server's
 * (`TIME`): instances' clocks never order a revocation against an issue. Two connections: one for commands, which
 * never queues while disconnected and gives up after `timeoutMs`, so a request never waits on an unreachable server; one subscribed to the revocation channel,
 * which also confirms contact with a PING every heartbeat. After every (re)connection the subscriber gives this
 * instance's revocations back to the server (which may have restarted empty), then loads all of them.
 */
export class RedisSessionStore implements SessionStore {
  readonly shared = true;
  private readonly logger = new Logger('Rs256Auth');
  private readonly commands: Redis;
  private readonly subscriber: Redis;
  private readonly channel: string;
  /** Revocations, cut-offs and their expiry indexes, as the revoke script takes them in KEYS. */
  private readonly listKeys: readonly [string, string, string, string];
  /** The cut-offs hash, which creating and rotating a session read. */
  private readonly cutOffsKey: string;
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
      // A rotation whose reply was lost is not sent again by the client library: the application decides (a retry
      // within the grace period gets the same pair).
      autoResendUnfulfilledCommands: false,
      autoResubscribe: false,
      retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
    };
    this.commands = new Redis(settings.url, options);
    this.subscriber = new Redis(settings.url, options);
    this.channel = `${settings.keyPrefix}revocations`;
    const prefix = settings.keyPrefix;
    this.cutOffsKey = `${prefix}cutoffs`;
    this.listKeys = [`${prefix}revocations`, `${prefix}revocations:expiry`, this.cutOffsKey, `${prefix}cutoffs:expiry`];
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

  async createSession(session: NewSession, lifetimes: SessionLifetimes): Promise<number> {
    const { sid, sub, claims, family, current } = session;
    const stamp = await this.run(() =>
      this.commands.eval(CREATE_SCRIPT, 2, this.sessionKey(sid), this.cutOffsKey, sub, JSON.stringify(claims), family, current, lifetimes.idleMs, lifetimes.maxMs),
    );
    return Number(stamp);
  }

  async rotate(request: RotationRequest, { idleMs, maxMs, graceMs }: SessionLifetimes): Promise<RotateResult> {
    const { sid, presented, family, next, nonce } = request;
    const reply = (await this.run(() =>
      this.commands.eval(ROTATE_SCRIPT, 2, this.sessionKey(sid), this.cutOffsKey, presented, family, next, nonce, idleMs, maxMs, graceMs),
    )) as string[];
    const [status, sub, claims, bornAt, stamp, rotationNonce] = reply;
    if (status === 'rotated' || status === 'replayed') {
      const state = { sub, claims: JSON.parse(claims) as Record<string, unknown>, bornAt: Number(bornAt), stamp: Number(stamp), nonce: rotationNonce };
      return { status, state };
    }
    if (status === 'reused') {
      return { status, sub };
    }
    return { status: status === 'revoked' || status === 'superseded' ? status : 'unknown' };
  }

  async revoke(requests: readonly RevocationRequest[]): Promise<Revocation[]> {
    return this.run(() => this.writeRevocations(requests));
  }

  async close(): Promise<void> {
    clearInterval(this.heartbeat);
    this.sink = undefined;
    this.commands.disconnect();
    this.subscriber.disconnect();
  }

  private async writeRevocations(requests: readonly RevocationRequest[]): Promise<Revocation[]> {
    const sessionKeys = requests.filter(({ kind, refreshMs }) => kind === 'sid' && refreshMs !== undefined).map(({ value }) => this.sessionKey(value));
    const keys = [...this.listKeys, ...sessionKeys];
    const recorded = await this.commands.eval(REVOKE_SCRIPT, keys.length, ...keys, this.channel, JSON.stringify(requests));
    return parseRevocations(String(recorded));
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
        const all = await this.commands.hgetall(this.listKeys[0]);
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
    if (kind !== 'sub' && kind !== 'all') {
      return { kind, value: field.slice(colon + 1), until };
    }
    // Written by a version that kept subjects' cut-offs in seconds: the end of that second, in ms.
    return { kind, value: field.slice(colon + 1), until, before: before < 1e11 ? before * 1000 + 999 : before };
  }

  /** One hash per session; the hash tag keeps whatever else a session may need in its slot. */
  private sessionKey(sid: string): string {
    return `${this.settings.keyPrefix}session:{${sid}}`;
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
