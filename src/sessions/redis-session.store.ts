import { Logger } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { SessionsConfig } from '../options/rs256-auth-config.js';
import { Rs256AuthError, messageOf } from '../errors/rs256-auth.error.js';
import { redactedText } from '../observability/redacted-url.js';
import { openRedis, processHold, whenReady, type RedisClient, type RedisConnections } from './redis-clients.js';
import { withinTimeout } from '../within-timeout.js';
import { EvictionWatch, incarnationOf, serverInfos } from './redis-server-info.js';
import { defineScripts, type ScriptCommands } from './redis-scripts.js';
import { parseMessage, parseRevocations } from './redis-messages.js';
import { loadState, reseed, RESEED_LOCK_MS, type ReseedTarget } from './redis-list-sync.js';
import { redisStoreKeys, type RedisStoreKeys } from './redis-keys.js';
import type {
  NewSession,
  Revocation,
  RevocationRequest,
  RotateResult,
  RotationRequest,
  SessionLifetimes,
  SessionStore,
  SharedStateSink,
} from './session-store.interface.js';

type RedisSettings = NonNullable<SessionsConfig['redis']>;

/** Contact is confirmed this often, at most; more often under a small staleness bound. */
const MAX_HEARTBEAT_MS = 1000;
const MIN_HEARTBEAT_MS = 25;
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
 * refresh side included, without publishing it; every instance then loads the list once, in pages. Until then no
 * refresh reaches the server (503): the sessions it restored may be older than what instances know of them. An
 * instance that never loaded cannot tell what the server lost: the serving key (the incarnation instances have
 * served refreshes from) tells it whether the server restarted or was failed over to since, and if so it waits for
 * the instances that know more to give it back, for a bounded time (see `mayServe`).
 *
 * Every rotation leaves a mark, `<prefix>rotations` (the stamp of the session's latest rotation, kept as long as
 * the token it spent could live), published to every instance like a revocation and given back like one: a
 * session record restored from before its latest rotation is known as such, and its spent tokens stay refused.
 */
export class RedisSessionStore implements SessionStore {
  readonly shared = true;
  private readonly logger = new Logger('Rs256Auth');
  private readonly keys: RedisStoreKeys;
  private readonly id = randomUUID();
  private readonly scripts: ScriptCommands;
  private sink?: SharedStateSink;
  private heartbeat?: NodeJS.Timeout;
  private synced = false;
  /**
   * The server answering holds what instances know (the incarnation this view was loaded from, or one given back
   * to): rotations may go to it. False from a disconnection until the next sync says so.
   */
  private refreshable = false;
  /** The view was complete once: while another instance re-seeds, it is no less current than the server's. */
  private loadedOnce = false;
  /** The server incarnation the view was last loaded from. */
  private incarnation?: string;
  /** Since when this instance, never loaded, has waited for the server answering to be given back what it lost. */
  private waiting?: { readonly incarnation: string; readonly since: number };
  /** Another instance re-seeded the server: load the list again, once. */
  private reloadWanted = false;
  private lastConfirmed = 0;
  private busy = false;
  private reportedDown = false;
  private readonly eviction = new EvictionWatch(this.logger);
  private closed = false;
  /** Whether the application has started: until then the store's connections do not keep the process alive. */
  private holdsProcess = false;
  private readonly holds: { apply(): void }[];

  private constructor(
    private readonly settings: RedisSettings,
    private readonly heartbeatMs: number,
    private readonly connections: RedisConnections,
  ) {
    this.keys = redisStoreKeys(settings.keyPrefix, this.commands.isCluster);
    this.scripts = defineScripts(this.commands);
    // Only the connections the store opened: a client from the `sessions.redis.client` factory is the application's.
    this.holds = (connections.ownsCommands ? [this.commands, this.subscriber] : [this.subscriber]).map((client) =>
      processHold(client, () => this.holdsProcess),
    );
    this.commands.on('error', this.onError);
    this.subscriber.on('error', this.onError);
    this.subscriber.on('close', () => {
      this.synced = false;
      this.refreshable = false;
    });
    // A connection of the store's that ioredis gave up on (it does, when closed while it resolves an address) is
    // opened again: only `close` ends them.
    for (const client of connections.ownsCommands ? [this.commands, this.subscriber] : [this.subscriber]) {
      client.on('end', () => {
        if (!this.closed) setTimeout(() => void client.connect().catch(() => undefined), MAX_HEARTBEAT_MS).unref();
      });
    }
    this.subscriber.on('ready', () => void this.beat());
    this.subscriber.on('message', (_channel: string, text: string) => {
      const receivedAt = Date.now();
      try {
        const message = parseMessage(text);
        if (message?.type === 'reload') {
          this.reloadWanted ||= message.by !== this.id;
          // An instance waiting for that re-seed syncs now rather than at its next heartbeat.
          if (!this.synced) void this.beat();
        } else if (message?.type === 'rotated') this.sink?.rotated(message.marks);
        else if (message?.type === 'revocations') this.sink?.apply(message.revocations, receivedAt);
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
    await Promise.all([store.commands, store.subscriber].map((client) => whenReady(client, settings.timeoutMs)));
    if (store.commands.status === 'ready') {
      try {
        store.eviction.check(await serverInfos(store.commands), true);
      } catch (error) {
        await store.close();
        throw error;
      }
    }
    return store;
  }

  async watch(sink: SharedStateSink): Promise<void> {
    this.sink = sink;
    this.heartbeat = setInterval(() => void this.beat(), this.heartbeatMs).unref();
    await this.beat();
  }

  async markOnce(name: string, ttlMs: number): Promise<boolean> {
    // Under the key base, so with Cluster the mark lives in the store's one slot like every other key.
    return (await this.run(() => this.commands.set(`${this.keys.base}once:${name}`, '1', 'PX', ttlMs, 'NX'))) === 'OK';
  }

  async createSession(session: NewSession, { idleMs, maxMs }: SessionLifetimes): Promise<number> {
    const { sid, sub, claims, family, current } = session;
    const keys = [this.sessionKey(sid), this.keys.cutOffs];
    return Number(await this.run(() => this.scripts.rs256AuthCreate(...keys, sub, JSON.stringify(claims), family, current, idleMs, maxMs)));
  }

  async rotate(request: RotationRequest, { idleMs, maxMs, graceMs }: SessionLifetimes): Promise<RotateResult> {
    const { sid, presented, family, next, nonce, reuse } = request;
    if (!this.refreshable) {
      // A server out of reach is simply unavailable; one that answers but has not been given back what it lost, too.
      const reachable = this.commands.status === 'ready';
      throw new Rs256AuthError(
        'RS256_SESSION_STORE_UNAVAILABLE',
        reachable ? 'session store not yet given back what it lost; try again later' : 'session store unavailable; try again later',
      );
    }
    const keys = [this.sessionKey(sid), this.keys.cutOffs, this.keys.list[0], this.keys.list[1], ...this.keys.marks];
    const args = [presented, family, next, nonce, idleMs, maxMs, graceMs, this.keys.channel, sid, reuse.accessMs, reuse.refreshMs];
    const reply = await this.run(() => this.scripts.rs256AuthRotate(...keys, ...args));
    const [status, sub, claims, bornAt, stamp, rotationNonce] = reply;
    if (status === 'rotated' || status === 'replayed') {
      const state = {
        sub,
        claims: JSON.parse(claims) as Record<string, unknown>,
        bornAt: Number(bornAt),
        stamp: Number(stamp),
        nonce: rotationNonce,
      };
      // Known here at once, as on every instance through the channel.
      if (status === 'rotated') this.sink?.rotated([{ sid, at: state.stamp, until: Math.min(state.stamp + idleMs, state.bornAt + maxMs) }]);
      return { status, state };
    }
    if (status === 'reused') {
      return { status, sub, revoked: parseRevocations(reply[2]) };
    }
    return { status: status === 'revoked' || status === 'superseded' ? status : 'unknown' };
  }

  async revoke(requests: readonly RevocationRequest[]): Promise<Revocation[]> {
    return this.run(() => this.writeRevocations(requests, this.keys.channel));
  }

  started(): void {
    this.holdsProcess = true;
    for (const hold of this.holds) hold.apply();
  }

  /** Closes the connections this store opened; a client from the `sessions.redis.client` factory stays open. */
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

  private readonly onError = (error: Error): void => this.reportDown(error);

  private async writeRevocations(requests: readonly RevocationRequest[], channel: string): Promise<Revocation[]> {
    const sessionKeys = requests
      .filter(({ kind, refreshMs }) => kind === 'sid' && refreshMs !== undefined)
      .map(({ value }) => this.sessionKey(value));
    const keys = [...this.keys.list, ...sessionKeys];
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
      // A client from the `sessions.redis.client` factory is the application's: only the store's own connections are ended.
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
   * again, confirms its view meanwhile). An instance that never loaded waits as `mayServe` says. False while it waits.
   */
  private async sync(sink: SharedStateSink): Promise<boolean> {
    // Subscribed first: a revocation published from here on arrives as a message; one made before is in the hash.
    await this.subscriber.subscribe(this.keys.channel);
    const infos = await serverInfos(this.commands);
    this.eviction.check(infos, false);
    const incarnation = incarnationOf(infos);
    const mayHoldMore = this.loadedOnce && this.incarnation !== incarnation;
    if (mayHoldMore && (await this.commands.get(this.keys.epoch)) !== incarnation) {
      // Held already if this instance's own re-seed failed half-way: it starts again rather than wait for the lock.
      const locked =
        (await this.commands.set(this.keys.lock, this.id, 'PX', RESEED_LOCK_MS, 'NX')) === 'OK' ||
        (await this.commands.get(this.keys.lock)) === this.id;
      if (!locked) return true;
      await this.giveBack(sink, incarnation);
    } else if (!this.loadedOnce && !(await this.mayServe(incarnation))) {
      return false;
    }
    this.waiting = undefined;
    this.reloadWanted = false;
    this.refreshable = true;
    // After a re-seed by this instance, its view was complete all along; after a mere reconnection, it may lack what
    // was revoked meanwhile until the load is done.
    await this.load(sink, mayHoldMore);
    this.incarnation = incarnation;
    this.synced = true;
    this.loadedOnce = true;
    return true;
  }

  /**
   * Whether an instance that never loaded may load and serve refreshes from the server answering. Not while an
   * instance re-seeds it. At once if it is the incarnation instances have served from, or if none is recorded: a
   * server never used (or used only by versions that did not record it), or one that restarted empty, which holds no
   * session to bring back (what it lost is given back when the running instances reconnect, and loaded here then).
   * Another recorded incarnation means it restarted from a snapshot or was failed over to, and was not given back what
   * running instances know: their spent refresh tokens and logouts could pass. It waits for one of them to take the
   * lock, as long as a crashed holder's lock lasts; then (nobody knows more, or nobody came) it serves what the server
   * holds, and records the incarnation so that instances started later need not wait.
   */
  private async mayServe(incarnation: string): Promise<boolean> {
    if ((await this.commands.exists(this.keys.lock)) === 1) return false;
    const serving = await this.commands.get(this.keys.serving);
    if (serving === null) await this.commands.set(this.keys.serving, incarnation, 'NX');
    if (serving === null || serving === incarnation) return true;
    if (this.waiting?.incarnation !== incarnation) this.waiting = { incarnation, since: Date.now() };
    if (Date.now() - this.waiting.since < RESEED_LOCK_MS) return false;
    await this.commands.set(this.keys.serving, incarnation);
    this.logger.warn(
      `Redis session store: the server restarted or was failed over to, and no instance gave it back what it lost within ${RESEED_LOCK_MS / 1000} s; serving what it holds (refresh tokens spent, and sessions ended, after its data was taken may pass until an instance that knows them reconnects).`,
    );
    return true;
  }

  /**
   * Gives a server that restarted (or was failed over to) what this instance knows (see `reseed`), then marks the
   * incarnation as given back: one message tells the other instances to load the list once.
   */
  private async giveBack(sink: SharedStateSink, incarnation: string): Promise<void> {
    const started = Date.now();
    const [known, marks] = [sink.entries(), sink.marks()];
    const target: ReseedTarget = {
      commands: this.commands,
      scripts: this.scripts,
      lockKey: this.keys.lock,
      marksKeys: this.keys.marks,
      writeRevocations: (requests) => this.writeRevocations(requests, ''),
      keepCurrent: () => this.stillCurrent(sink),
    };
    await reseed(target, known, marks);
    await this.scripts.rs256AuthReseeded(this.keys.epoch, this.keys.lock, this.keys.serving, incarnation, this.id);
    await this.commands.publish(this.keys.channel, JSON.stringify({ reload: this.id }));
    if (known.length + marks.length > 0) {
      this.logger.log(
        `Redis session store: gave ${known.length} revocations back to a restarted server, with ${marks.length} sessions' rotation marks, in ${Date.now() - started} ms.`,
      );
    }
  }

  /** Loads the list and the marks in pages. A view that is `current` meanwhile keeps being confirmed. */
  private async load(sink: SharedStateSink, current: boolean): Promise<void> {
    await loadState(this.commands, this.keys.list[0], this.keys.marks[0], sink, () => (current ? this.stillCurrent(sink) : Promise.resolve()));
  }

  /**
   * During a long re-seed or reload, a view that was complete confirms itself every heartbeat: subscribed, it
   * misses nothing new, and what the server lost it holds already.
   */
  private async stillCurrent(sink: SharedStateSink): Promise<void> {
    if (Date.now() - this.lastConfirmed < this.heartbeatMs) return;
    const sent = Date.now();
    await this.bounded(this.subscriber.ping());
    sink.confirm(sent);
    this.lastConfirmed = sent;
  }

  /** One hash per session; the hash tag keeps whatever else a session may need in its slot. */
  private sessionKey(sid: string): string {
    return `${this.keys.base}session:{${sid}}`;
  }

  /**
   * Runs a command, turning any failure (unreachable, timed out) into the one error callers map to 503. Bounded
   * here too: a client from the `sessions.redis.client` factory may queue commands while disconnected.
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
  private bounded<T>(reply: Promise<T>): Promise<T> {
    return withinTimeout(() => reply, this.settings.timeoutMs);
  }

  private reportDown(error: unknown): void {
    if (!this.reportedDown) {
      this.reportedDown = true;
      // ioredis messages name the host and port, but what they quote is shown by the one rule for URLs.
      this.logger.warn(`Redis session store unreachable (${redactedText(messageOf(error))}); retrying.`);
    }
  }
}
