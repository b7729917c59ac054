import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { Socket } from 'node:net';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import type { RedisAuth, RedisTopology } from '../options/redis-topology.js';

export type RedisClient = Redis | Cluster;

/** The store's two connections: one for commands, one subscribed to the revocation channel. */
export interface RedisConnections {
  readonly commands: RedisClient;
  readonly subscriber: RedisClient;
  /** False when the commands client came from the `sessions.redis.client` factory: the store never closes it. */
  readonly ownsCommands: boolean;
}

/**
 * Options of every connection the store opens. A request never waits for a reconnection (no offline queue, no
 * retry); a connection that stops answering is ended (`socketTimeout`) and opened again, so a path that went
 * silent with the TCP connection still open recovers as soon as Redis answers on a new one.
 */
function connectionOptions(timeoutMs: number): RedisOptions {
  return {
    connectTimeout: timeoutMs,
    commandTimeout: timeoutMs,
    socketTimeout: timeoutMs,
    // Closing does not wait longer than a command would for a server that no longer answers.
    disconnectTimeout: timeoutMs,
    // TCP keep-alive probes start after this much silence, for a peer that vanished while nothing was sent.
    keepAlive: Math.max(1000, timeoutMs),
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    // A rotation whose reply was lost is not sent again by the client library: the application decides (a retry
    // within the grace period gets the same pair).
    autoResendUnfulfilledCommands: false,
    autoResubscribe: false,
    retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
  };
}

function authOptions({ username, password, tls }: RedisAuth): RedisOptions {
  return { username, password, tls: tls ? {} : undefined };
}

function open(topology: Exclude<RedisTopology, { kind: 'client' }>, timeoutMs: number): RedisClient {
  const options = connectionOptions(timeoutMs);
  switch (topology.kind) {
    case 'url':
      return new Redis(topology.url, options);
    case 'sentinel':
      return new Redis({
        ...options,
        ...authOptions(topology.auth),
        db: topology.db,
        name: topology.master,
        sentinels: topology.sentinels.map(({ host, port }) => ({ host, port })),
        sentinelUsername: topology.sentinelAuth.username,
        sentinelPassword: topology.sentinelAuth.password,
        enableTLSForSentinelMode: topology.sentinelAuth.tls,
        sentinelTLS: topology.sentinelAuth.tls ? {} : undefined,
        sentinelCommandTimeout: timeoutMs,
        sentinelRetryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
        // No failover detector: its disconnection, arriving while a reconnection asks the sentinels, ends the client
        // for good. The old primary's connections close when it dies or is demoted, and every connection checks the
        // role of the server it reached.
        failoverDetector: false,
      });
    case 'cluster': {
      const { retryStrategy: _, enableOfflineQueue, ...nodeOptions } = options;
      return new Cluster(
        topology.nodes.map(({ host, port }) => ({ host, port })),
        {
          redisOptions: { ...nodeOptions, ...authOptions(topology.auth) },
          enableOfflineQueue,
          slotsRefreshTimeout: timeoutMs,
          clusterRetryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
          retryDelayOnFailover: 100,
        },
      );
    }
  }
}

function isClient(value: unknown): value is RedisClient {
  const client = value as Partial<Record<'duplicate' | 'defineCommand' | 'hscan', unknown>> | null;
  return (
    typeof client === 'object' &&
    client !== null &&
    [client.duplicate, client.defineCommand, client.hscan].every((method) => typeof method === 'function')
  );
}

/** Opens (or, with the `sessions.redis.client` factory, takes) the store's connections. */
export async function openRedis(topology: RedisTopology, timeoutMs: number): Promise<RedisConnections> {
  const { client: given } = await openCommandClient(topology, timeoutMs);
  if (topology.kind !== 'client') {
    return { commands: given, subscriber: open(topology, timeoutMs), ownsCommands: true };
  }
  // A subscribed connection can send nothing else: the store subscribes on a copy of its own, with the store's
  // timeouts over the application's options (a Cluster's copy keeps the application's: its node options are one
  // object, which would be replaced whole).
  const subscriber = given.isCluster ? (given as Cluster).duplicate() : (given as Redis).duplicate(connectionOptions(timeoutMs));
  return { commands: given, subscriber, ownsCommands: false };
}

/**
 * One connection for commands (key rotation's): opened with the store's options, or the `sessions.redis.client` factory's
 * client, which its owner closes.
 */
export async function openCommandClient(topology: RedisTopology, timeoutMs: number): Promise<{ client: RedisClient; owned: boolean }> {
  if (topology.kind !== 'client') {
    return { client: open(topology, timeoutMs), owned: true };
  }
  const given: unknown = await topology.factory();
  if (!isClient(given)) {
    throw new Rs256AuthError('RS256_CONFIG_INVALID', 'sessions.redis.client option returned something other than an ioredis Redis or Cluster.');
  }
  return { client: given, owned: false };
}

/**
 * Makes the sockets of `client` (every node's, on a Cluster; reconnections included) keep the process alive, or
 * not, as `holds()` says when each connects; `apply` re-applies it to the sockets open now.
 */
export function processHold(client: RedisClient, holds: () => boolean): { apply(): void } {
  const nodes = new Set<Redis>();
  const set = (node: Redis): void => {
    const stream = (node as unknown as { stream?: Socket }).stream;
    if (holds()) stream?.ref();
    else stream?.unref();
  };
  const watch = (node: Redis): void => {
    if (nodes.has(node)) return;
    nodes.add(node);
    node.on('connect', () => set(node));
    node.on('end', () => nodes.delete(node));
    set(node);
  };
  if (client instanceof Cluster) {
    client.on('+node', watch);
    for (const node of client.nodes()) watch(node);
  } else {
    watch(client);
  }
  return { apply: () => nodes.forEach(set) };
}

/** Resolves once `client` is ready, or once `timeoutMs` has passed (a server down at start-up does not stop it). */
export function whenReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  return new Promise((done) => {
    const finish = (): void => {
      clearTimeout(timer);
      client.off('ready', finish);
      done();
    };
    const timer = setTimeout(finish, timeoutMs);
    client.once('ready', finish);
  });
}
