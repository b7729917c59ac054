import { Logger } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { randomUUID } from 'node:crypto';
import type { SessionsConfig } from '../options/rs256-auth-config.js';
import { Rs256AuthError, messageOf } from '../errors/rs256-auth.error.js';
import { redactedText } from '../observability/redacted-url.js';
import { openRedis, processHold, type RedisClient, type RedisConnections } from './redis-clients.js';
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
local function merge(hash, index, field, untilMs, before, now)
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
 * was not issued for this session (whoever knows a `sid` from an access token cannot end its session). Past the
 * session's absolute lifetime (by the lifetime asked for now, which may be shorter than the one its key's expiry was
 * set with) nothing is handed out. On reuse the session is deleted and its `sid` revoked and published in the same
 * step: its access tokens are refused everywhere even if the instance never hears back.
 * KEYS: the session, the cut-offs hash, the revocations hash and its expiry index. ARGV: presented hash, family
 * hash, successor hash, nonce, idle ms, max ms, grace ms, channel, sid, access ms and refresh ms of a revocation.
 */
const ROTATE_SCRIPT = `${PRELUDE}
local s = redis.call('HMGET', KEYS[1], 'sub', 'c', 'f', 'born', 'at', 'cur', 'prev', 'r')
if not s[1] or s[3] ~= ARGV[2] then return {'unknown'} end
local now = clock()
local born, at = tonumber(s[4]), tonumber(s[5])
if now >= born + tonumber(ARGV[6]) then
  redis.call('DEL', KEYS[1])
  return {'unknown'}
end
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
local untilMs = now + math.max(tonumber(ARGV[10]), tonumber(ARGV[11]))
merge(KEYS[3], KEYS[4], 'sid:' .. ARGV[9], untilMs, -1, now)
local entry = {kind = 'sid', value = ARGV[9]}
entry['until'] = untilMs
local message = cjson.encode({entry})
redis.call('PUBLISH', ARGV[8], message)
return {'reused', s[1], message}
`;

/**
 * Records revocations with their times fixed by the server's clock, merged with what is known (the later `until`,
 * the later `before`); for the refresh side deletes revoked sessions and records cut-offs; sweeps expired entries;
 * publishes the batch as recorded to every instance (unless the channel is empty: a re-seed, which the other
 * instances load once instead), all in one atomic step. Values are `until|before` strings.
 * KEYS: revocations hash and its expiry index (sorted set), cut-offs hash and its expiry index, then the session key
 * of each `sid` revocation with `refreshMs`, in order. ARGV: channel or '', JSON array of revocation requests.
 */
const REVOKE_SCRIPT = `${PRELUDE}
local now = clock()
local recorded = {}
local session = 5
for _, r in ipairs(cjson.decode(ARGV[2])) do
  local field = r.kind .. ':' .. r.value
  -- A session or subject revocation is kept as long as the refresh tokens it covers: instances hold it, and give it
  -- back (refresh side included) to a server that lost it.
  local untilMs = r['until'] or (now + math.max(r.accessMs, r.refreshMs or 0))
  local before = -1
  if r.kind == 'sub' or r.kind == 'all' then before = math.min(r.before or now, now) end
  merge(KEYS[1], KEYS[2], field, untilMs, before, now)
  if r.refreshMs and r.kind == 'sid' then
    redis.call('DEL', KEYS[session])
    session = session + 1
  elseif r.refreshMs and before >= 0 then
    merge(KEYS[3], KEYS[4], field, now + r.refreshMs, before, now)
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
if ARGV[1] ~= '' then redis.call('PUBLISH', ARGV[1], message) end
return message
`;

/**
 * Ends a re-seed: records which server incarnation now holds what the instances know, and frees the lock if this
 * instance still holds it. KEYS: epoch, lock. ARGV: incarnation, this instance's id.
 */
const RESEEDED_SCRIPT = `
redis.call('SET', KEYS[1], ARGV[1])
if redis.call('GET', KEYS[2]) == ARGV[2] then redis.call('DEL', KEYS[2]) end
return 1
`;

/** Contact is confirmed this often, at most; more often under a small staleness bound. */
const MAX_HEARTBEAT_MS = 1000;
const MIN_HEARTBEAT_MS = 25;
/** Revocations given back to the server per script call after it lost them. */
const RESEED_BATCH = 1000;
/** Re-seed script calls sent at once: the server works while the next ones travel. */
const RESEED_IN_FLIGHT = 4;
/** Entries asked for per page when loading the list: each page is a short command, however long the list. */
const LOAD_PAGE = 10_000;
/** A page that timed out is asked for again, smaller, down to this. */
const MIN_LOAD_PAGE = 250;
/**
 * A load (or a re-seed) has this long of its own, whatever the command timeout: a million entries take seconds,
 * and a slow load is not an unreachable server. Past it, it starts again at the next heartbeat.
 */
const LOAD_BUDGET_MS = 120_000;
/** The re-seed lock outlives a crashed holder by this much at most; it is extended at every batch. */
const RESEED_LOCK_MS = 15_000;
/** Eviction policies that may evict the revocation list, which has no expiry: a silent fail-open. */
const EVICTS_LIST = /^allkeys-/;

/** The script commands, defined once per client (`defineCommand`: `EVALSHA`, the script text only when not cached). */
interface ScriptCommands {
  rs256AuthCreate(...args: (string | number)[]): Promise<string>;
  rs256AuthRotate(...args: (string | number)[]): Promise<string[]>;
  rs256AuthRevoke(keyCount: number, ...args: (string | number)[]): Promise<string>;
  rs256AuthReseeded(...args: string[]): Promise<number>;
}

function parseRevocations(json: string): Revocation[] {
  const value: unknown = JSON.parse(json);
  return Array.isArray(value) ? (value as Revocation[]) : [];
}

/** `field:value` lines of an `INFO` reply. */
function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

/**
 * Sessions and revocations in Redis: one server (`JWT_REDIS_URL`), a primary found through Sentinel, a Cluster, or
 * a client the application made. One hash per session, `<prefix>session:{<sid>}`, rewritten in place at every
 * refresh and expiring with it; revocations and cut-offs in one hash each, with a sorted set of expiry times; every
 * key a script touches is passed in KEYS, and on a Cluster every key carries the prefix as its hash tag, so a
 * script's keys (and the one clock every time is read from) share a slot. Every time a script records is the
 * server's (`TIME`): instances' clocks never order a revocation against an issue. Scripts are defined once and
 * sent by digest.
 *
 * Two connections: one for commands, which never queues while disconnected and gives up after `timeoutMs`, so a
 * request never waits on an unreachable server; one subscribed to the revocation channel, which confirms contact
 * every heartbeat. A connection that stops answering is ended and opened again.
 *
 * After every (re)connection the store asks the server which incarnation it is (`run_id`, of every primary on a
 * Cluster). An incarnation not yet marked in the epoch key has restarted (empty, or from an older snapshot) or
 * been failed over to (perhaps a lagging replica): one instance, under a lock, gives it back what it knows, the
 * refresh side included, without publishing it; every instance then loads the list once, in pages.
 */
export class RedisSessionStore implements SessionStore {
  readonly shared = true;
  private readonly logger = new Logger('Rs256Auth');
  private readonly channel: string;
  /** Revocations, cut-offs and their expiry indexes, as the revoke script takes them in KEYS. */
  private readonly listKeys: readonly [string, string, string, string];
  /** The cut-offs hash, which creating and rotating a session read. */
  private readonly cutOffsKey: string;
  /** Which server incarnation has been given back what instances know, and who is doing it. */
  private readonly epochKey: string;
  private readonly lockKey: string;
  /** Prefix of every key: on a Cluster, with the hash tag that keeps them in one slot. */
  private readonly keyBase: string;
  private readonly id = randomUUID();
  private sink?: RevocationSink & { entries(): Revocation[] };
  private heartbeat?: NodeJS.Timeout;
  private synced = false;
  /** The view was complete once: while another instance re-seeds, it is no less current than the server's. */
  private loadedOnce = false;
  /** The server incarnation the view was last loaded from. */
  private incarnation?: string;
  /** Another instance re-seeded the server: load the list again, once. */
  private reloadWanted = false;
  private lastConfirmed = 0;
  private busy = false;
  private reportedDown = false;
  private evictionReported?: string;
  private closed = false;
  /** Whether the application has started: until then the store's connections do not keep the process alive. */
  private holdsProcess = false;
  private readonly holds: { apply(): void }[];

  private constructor(
    private readonly settings: RedisSettings,
    private readonly heartbeatMs: number,
    private readonly connections: RedisConnections,
  ) {
    const prefix = settings.keyPrefix;
    this.keyBase = this.commands.isCluster ? `{${prefix}}` : prefix;
    this.channel = `${prefix}revocations`;
    this.cutOffsKey = `${this.keyBase}cutoffs`;
    this.listKeys = [`${this.keyBase}revocations`, `${this.keyBase}revocations:expiry`, this.cutOffsKey, `${this.keyBase}cutoffs:expiry`];
    this.epochKey = `${this.keyBase}epoch`;
    this.lockKey = `${this.keyBase}reseeding`;
    this.commands.defineCommand('rs256AuthCreate', { lua: CREATE_SCRIPT, numberOfKeys: 2 });
    this.commands.defineCommand('rs256AuthRotate', { lua: ROTATE_SCRIPT, numberOfKeys: 4 });
    this.commands.defineCommand('rs256AuthRevoke', { lua: REVOKE_SCRIPT });
    this.commands.defineCommand('rs256AuthReseeded', { lua: RESEEDED_SCRIPT, numberOfKeys: 2 });
    // Only the connections the store opened: a client from the `redisClient` factory is the application's.
    this.holds = (connections.ownsCommands ? [this.commands, this.subscriber] : [this.subscriber]).map((client) =>
      processHold(client, () => this.holdsProcess),
    );
    this.commands.on('error', this.onError);
    this.subscriber.on('error', this.onError);
    this.subscriber.on('close', () => {
      this.synced = false;
    });
    // A connection of the store's that ioredis gave up on (it does, when closed while it resolves an address) is
    // opened again: only `close` ends them.
    for (const client of connections.ownsCommands ? [this.commands, this.subscriber] : [this.subscriber]) {
      client.on('end', () => {
        if (!this.closed) setTimeout(() => void client.connect().catch(() => undefined), MAX_HEARTBEAT_MS).unref();
      });
    }
    this.subscriber.on('ready', () => void this.beat());
    this.subscriber.on('message', (_channel: string, message: string) => {
      try {
        const reload = RedisSessionStore.reloadOf(message);
        if (reload !== undefined) {
          this.reloadWanted ||= reload !== this.id;
          return;
        }
        this.sink?.apply(parseRevocations(message));
      } catch {
        this.logger.warn('Ignored a malformed message on the revocation channel.');
      }
    });
  }

  /**
   * Connects, waiting at most the timeout: a server that is down at start-up does not stop the application, whose
   * verification then refuses tokens (fail closed) until the first snapshot is loaded. A server reached at
   * start-up whose eviction policy can evict the revocation list stops it.
   */
  static async connect(settings: RedisSettings, maxStalenessMs: number): Promise<RedisSessionStore> {
    const heartbeatMs = Math.max(MIN_HEARTBEAT_MS, Math.min(MAX_HEARTBEAT_MS, Math.floor(maxStalenessMs / 4)));
    const store = new RedisSessionStore(settings, heartbeatMs, await openRedis(settings.topology, settings.timeoutMs));
    await Promise.all([store.commands, store.subscriber].map((client) => store.ready(client)));
    if (store.commands.status === 'ready') {
      try {
        await store.checkEviction(await store.infos(), true);
      } catch (error) {
        await store.close();
        throw error;
      }
    }
    return store;
  }

  async watch(sink: RevocationSink & { entries(): Revocation[] }): Promise<void> {
    this.sink = sink;
    this.heartbeat = setInterval(() => void this.beat(), this.heartbeatMs).unref();
    await this.beat();
  }

  async markOnce(name: string, ttlMs: number): Promise<boolean> {
    // Under the key base, so with Cluster the mark lives in the store's one slot like every other key.
    return (await this.run(() => this.commands.set(`${this.keyBase}once:${name}`, '1', 'PX', ttlMs, 'NX'))) === 'OK';
  }

  async createSession(session: NewSession, lifetimes: SessionLifetimes): Promise<number> {
    const { sid, sub, claims, family, current } = session;
    const stamp = await this.run(() =>
      this.scripts.rs256AuthCreate(
        this.sessionKey(sid),
        this.cutOffsKey,
        sub,
        JSON.stringify(claims),
        family,
        current,
        lifetimes.idleMs,
        lifetimes.maxMs,
      ),
    );
    return Number(stamp);
  }

  async rotate(request: RotationRequest, { idleMs, maxMs, graceMs }: SessionLifetimes): Promise<RotateResult> {
    const { sid, presented, family, next, nonce, reuse } = request;
    const [revocations, expiry] = this.listKeys;
    const reply = await this.run(() =>
      this.scripts.rs256AuthRotate(
        this.sessionKey(sid),
        this.cutOffsKey,
        revocations,
        expiry,
        presented,
        family,
        next,
        nonce,
        idleMs,
        maxMs,
        graceMs,
        this.channel,
        sid,
        reuse.accessMs,
        reuse.refreshMs,
      ),
    );
    const [status, sub, claims, bornAt, stamp, rotationNonce] = reply;
    if (status === 'rotated' || status === 'replayed') {
      const state = {
        sub,
        claims: JSON.parse(claims) as Record<string, unknown>,
        bornAt: Number(bornAt),
        stamp: Number(stamp),
        nonce: rotationNonce,
      };
      return { status, state };
    }
    if (status === 'reused') {
      return { status, sub, revoked: parseRevocations(reply[2]) };
    }
    return { status: status === 'revoked' || status === 'superseded' ? status : 'unknown' };
  }

  async revoke(requests: readonly RevocationRequest[]): Promise<Revocation[]> {
    return this.run(() => this.writeRevocations(requests, this.channel));
  }

  started(): void {
    this.holdsProcess = true;
    for (const hold of this.holds) hold.apply();
  }

  /** Closes the connections this store opened; a client from the `redisClient` factory stays open. */
  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.heartbeat);
    this.sink = undefined;
    this.commands.off('error', this.onError);
    if (this.connections.ownsCommands) this.commands.disconnect();
    this.subscriber.disconnect();
  }

  private get commands(): RedisClient {
    return this.connections.commands;
  }

  private get subscriber(): RedisClient {
    return this.connections.subscriber;
  }

  private get scripts(): ScriptCommands {
    return this.commands as unknown as ScriptCommands;
  }

  private readonly onError = (error: Error): void => this.reportDown(error);

  private async writeRevocations(requests: readonly RevocationRequest[], channel: string): Promise<Revocation[]> {
    const sessionKeys = requests
      .filter(({ kind, refreshMs }) => kind === 'sid' && refreshMs !== undefined)
      .map(({ value }) => this.sessionKey(value));
    const keys = [...this.listKeys, ...sessionKeys];
    const recorded = await this.scripts.rs256AuthRevoke(keys.length, ...keys, channel, JSON.stringify(requests));
    return parseRevocations(String(recorded));
  }

  /** Confirms contact (or, after a reconnection, rebuilds the view); a failure leaves the view to age. */
  private async beat(): Promise<void> {
    if (this.busy || !this.sink || this.subscriber.status !== 'ready') return;
    this.busy = true;
    const sink = this.sink;
    try {
      let current = this.synced;
      if (this.synced && this.reloadWanted) {
        this.reloadWanted = false;
        await this.load(sink, true);
      } else if (!this.synced) {
        current = await this.sync(sink);
      }
      if (!current) return;
      // Confirmed once both connections answer: a message published before the ping arrives before its answer, and
      // whatever a load took, the view is as current as this ping.
      const sent = Date.now();
      await this.bounded(Promise.all([this.subscriber.ping(), this.commands.ping()]));
      sink.confirm(sent);
      this.lastConfirmed = sent;
      if (this.reportedDown) {
        this.reportedDown = false;
        this.logger.log('Redis session store reachable again; revocation list rebuilt.');
      }
    } catch (error) {
      this.reportDown(error);
      // Missed: a connection that stopped answering is ended and opened again, not waited on (a silent path can
      // leave a TCP connection open for many minutes).
      // A client from the `redisClient` factory is the application's: only the store's own connections are ended.
      const own = this.connections.ownsCommands ? [this.subscriber, this.commands] : [this.subscriber];
      for (const client of this.sink ? own : []) {
        if (client.status === 'ready') client.disconnect(true);
      }
    } finally {
      this.busy = false;
    }
  }

  /**
   * Rebuilds the view after a (re)connection. A view loaded from another incarnation of the server than the one
   * now answering may hold what the server lost: unless the epoch key says it was given back already, this instance
   * gives it back, under a lock; while another instance holds the lock, it waits (and, complete once and subscribed
   * again, confirms its view meanwhile), as does an instance that never loaded. False while it waits.
   */
  private async sync(sink: RevocationSink & { entries(): Revocation[] }): Promise<boolean> {
    // Subscribed first: a revocation published from here on arrives as a message; one made before is in the hash.
    await this.subscriber.subscribe(this.channel);
    const infos = await this.infos();
    await this.checkEviction(infos, false);
    const incarnation = infos
      .map((info) => infoField(info, 'run_id') ?? '')
      .sort()
      .join(',');
    const mayHoldMore = this.loadedOnce && this.incarnation !== incarnation;
    if (mayHoldMore && (await this.commands.get(this.epochKey)) !== incarnation) {
      if ((await this.commands.set(this.lockKey, this.id, 'PX', RESEED_LOCK_MS, 'NX')) !== 'OK') return true;
      await this.reseed(sink, sink.entries(), incarnation);
    } else if (!this.loadedOnce && (await this.commands.exists(this.lockKey)) === 1) {
      return false;
    }
    this.reloadWanted = false;
    // After a re-seed by this instance, its view was complete all along; after a mere reconnection, it may lack what
    // was revoked meanwhile until the load is done.
    await this.load(sink, mayHoldMore);
    this.incarnation = incarnation;
    this.synced = true;
    this.loadedOnce = true;
    return true;
  }

  /**
   * Gives a server that restarted (or was failed over to) what this instance knows, refresh side included, in
   * batches and without publishing them one by one (every instance would receive every batch): one message tells
   * the other instances to load the list once.
   */
  private async reseed(sink: RevocationSink, known: Revocation[], incarnation: string): Promise<void> {
    const started = Date.now();
    for (let start = 0; start < known.length; start += RESEED_BATCH * RESEED_IN_FLIGHT) {
      const now = Date.now();
      const batches: RevocationRequest[][] = [];
      for (let from = start; from < Math.min(known.length, start + RESEED_BATCH * RESEED_IN_FLIGHT); from += RESEED_BATCH) {
        batches.push(
          known.slice(from, from + RESEED_BATCH).map((entry) => ({ ...entry, refreshMs: entry.kind === 'jti' ? undefined : entry.until - now })),
        );
      }
      await Promise.all(batches.map((batch) => this.writeRevocations(batch, '')));
      await this.commands.pexpire(this.lockKey, RESEED_LOCK_MS);
      await this.stillCurrent(sink);
    }
    await this.scripts.rs256AuthReseeded(this.epochKey, this.lockKey, incarnation, this.id);
    await this.commands.publish(this.channel, JSON.stringify({ reload: this.id }));
    if (known.length > 0)
      this.logger.log(`Redis session store: gave ${known.length} revocations back to a restarted server in ${Date.now() - started} ms.`);
  }

  /**
   * Loads the whole list in pages; a page that times out is asked for again, smaller, within the load's own budget.
   * A view that is `current` meanwhile keeps being confirmed.
   */
  private async load(sink: RevocationSink, current: boolean): Promise<void> {
    const deadline = Date.now() + LOAD_BUDGET_MS;
    let cursor = '0';
    let count = LOAD_PAGE;
    do {
      let page: [string, string[]];
      try {
        page = await this.commands.hscan(this.listKeys[0], cursor, 'COUNT', count);
      } catch (error) {
        if (this.commands.status !== 'ready' || Date.now() > deadline) throw error;
        count = Math.max(MIN_LOAD_PAGE, Math.floor(count / 2));
        continue;
      }
      const [next, flat] = page;
      const entries: Revocation[] = [];
      for (let i = 0; i < flat.length; i += 2) entries.push(RedisSessionStore.parseEntry(flat[i], flat[i + 1]));
      sink.apply(entries);
      cursor = next;
      if (current) await this.stillCurrent(sink);
    } while (cursor !== '0');
  }

  /**
   * During a long re-seed or reload, a view that was complete confirms itself every heartbeat: subscribed, it
   * misses nothing new, and what the server lost it holds already.
   */
  private async stillCurrent(sink: RevocationSink): Promise<void> {
    if (Date.now() - this.lastConfirmed < this.heartbeatMs) return;
    const sent = Date.now();
    await this.bounded(this.subscriber.ping());
    sink.confirm(sent);
    this.lastConfirmed = sent;
  }

  /** `INFO` of the server, or of every primary of a Cluster. */
  private async infos(): Promise<string[]> {
    const nodes = this.commands.isCluster ? (this.commands as Cluster).nodes('master') : [this.commands as Redis];
    return Promise.all(nodes.map((node) => node.info()));
  }

  /**
   * An eviction policy that may evict the revocation list (which has no expiry) is a silent fail-open: refused at
   * start-up, logged as an error after a reconnection. One that may evict sessions (which expire) signs users out
   * early: a warning.
   */
  private async checkEviction(infos: string[], starting: boolean): Promise<void> {
    const policies = [...new Set(infos.map((info) => infoField(info, 'maxmemory_policy') ?? 'unknown'))].join(', ');
    const limited = infos.some((info) => Number(infoField(info, 'maxmemory') ?? 0) > 0);
    if (policies === this.evictionReported) return;
    this.evictionReported = policies;
    const advice =
      'set maxmemory-policy to noeviction (or a volatile-* policy) on the Redis server, as the README\'s "Running several instances" section says';
    if (EVICTS_LIST.test(policies) && limited) {
      const message = `Redis maxmemory-policy is ${policies}: under memory pressure Redis evicts the revocation list and logged-out tokens pass again; ${advice}.`;
      if (starting) throw new Rs256AuthError('RS256_CONFIG_INVALID', message);
      this.logger.error(message);
    } else if (EVICTS_LIST.test(policies)) {
      this.logger.warn(
        `Redis maxmemory-policy is ${policies}: once a maxmemory is set, Redis may evict the revocation list and logged-out tokens pass again; ${advice}.`,
      );
    } else if (/^volatile-/.test(policies)) {
      this.logger.warn(
        `Redis maxmemory-policy is ${policies}: under memory pressure Redis may evict sessions (their users must sign in again); noeviction avoids it.`,
      );
    }
  }

  /** The re-seeding instance's id when `message` asks for a reload, else `undefined`. */
  private static reloadOf(message: string): string | undefined {
    if (!message.startsWith('{')) return undefined;
    const { reload } = JSON.parse(message) as { reload?: unknown };
    return typeof reload === 'string' ? reload : undefined;
  }

  private static parseEntry(field: string, value: string): Revocation {
    const colon = field.indexOf(':');
    const sep = value.indexOf('|');
    const until = Number(value.slice(0, sep));
    const kind = field.slice(0, colon) as Revocation['kind'];
    if (kind !== 'sub' && kind !== 'all') {
      return { kind, value: field.slice(colon + 1), until };
    }
    const before = Number(value.slice(sep + 1));
    // Written by a version that kept subjects' cut-offs in seconds: the end of that second, in ms.
    return { kind, value: field.slice(colon + 1), until, before: before < 1e11 ? before * 1000 + 999 : before };
  }

  /** One hash per session; the hash tag keeps whatever else a session may need in its slot. */
  private sessionKey(sid: string): string {
    return `${this.keyBase}session:{${sid}}`;
  }

  /**
   * Runs a command, turning any failure (unreachable, timed out) into the one error callers map to 503. Bounded
   * here too: a client from the `redisClient` factory may queue commands while disconnected.
   */
  private async run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await this.bounded(command());
    } catch (error) {
      this.reportDown(error);
      throw new Rs256AuthError('RS256_SESSION_STORE_UNAVAILABLE', 'session store unavailable; try again later', { cause: error });
    }
  }

  /** `reply`, or a failure once the timeout has passed without it. */
  private async bounded<T>(reply: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, fail) => {
      timer = setTimeout(() => fail(new Error(`no reply within ${this.settings.timeoutMs} ms`)), this.settings.timeoutMs);
    });
    try {
      return await Promise.race([reply, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  private reportDown(error: unknown): void {
    if (!this.reportedDown) {
      this.reportedDown = true;
      // ioredis messages name the host and port, but what they quote is shown by the one rule for URLs.
      this.logger.warn(`Redis session store unreachable (${redactedText(messageOf(error))}); retrying.`);
    }
  }

  private ready(client: RedisClient): Promise<void> {
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
