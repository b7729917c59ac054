import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import type { RedisClientFactory } from './redis-client.interface.js';
import { redactedUrl } from '../observability/redacted-url.js';

export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

/** Credentials and TLS, as a `redis://` or `rediss://` URL gives them. */
export interface RedisAuth {
  readonly username?: string;
  readonly password?: string;
  readonly tls: boolean;
}

/** Which Redis the session store talks to: exactly one shape. */
export type RedisTopology =
  | { readonly kind: 'url'; readonly url: string }
  | {
      readonly kind: 'sentinel';
      readonly sentinels: readonly RedisNode[];
      /** The sentinels' own credentials and TLS. */
      readonly sentinelAuth: RedisAuth;
      readonly master: string;
      /** The primary's (and replicas') credentials, TLS and database. */
      readonly auth: RedisAuth;
      readonly db: number;
    }
  | { readonly kind: 'cluster'; readonly nodes: readonly RedisNode[]; readonly auth: RedisAuth }
  | { readonly kind: 'client'; readonly factory: RedisClientFactory };

/** The settings that name a Redis, each with the name a message quotes. */
export interface RedisTopologySettings {
  readonly url: { value?: string; setting: string };
  readonly sentinels: { value?: string[]; setting: string };
  readonly master: { value?: string; setting: string };
  readonly cluster: { value?: string[]; setting: string };
  readonly client: { value?: unknown; setting: string };
}

/** How many of the settings that name a Redis are given. */
export function redisTopologyGiven(settings: RedisTopologySettings): string[] {
  const { url, sentinels, master, cluster, client } = settings;
  return [url, sentinels, master, cluster, client].filter(({ value }) => value !== undefined).map(({ setting }) => setting);
}

/**
 * The one Redis shape the settings name (a URL, sentinels with a master name, cluster seed nodes, or a client
 * factory). Every address is parsed here, before ioredis sees it, and quoted without credentials.
 */
export function redisTopology(settings: RedisTopologySettings): RedisTopology {
  const { url, sentinels, master, cluster, client } = settings;
  const given = redisTopologyGiven(settings).filter((setting) => setting !== sentinels.setting && setting !== master.setting);
  if (sentinels.value !== undefined || master.value !== undefined) given.push(`${sentinels.setting} with ${master.setting}`);
  if (given.length !== 1) {
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `the Redis session store needs exactly one of ${url.setting}, ${sentinels.setting} with ${master.setting}, ${cluster.setting}, or the sessions.redis.client option; ` +
        (given.length === 0 ? 'none is set.' : `${given.join(' and ')} are set.`),
    );
  }
  if (client.value !== undefined) {
    if (typeof client.value !== 'function') {
      throw new Rs256AuthError(
        'RS256_CONFIG_INVALID',
        `${client.setting} is ${typeof client.value}; expected a function returning an ioredis client or cluster.`,
      );
    }
    return { kind: 'client', factory: client.value as RedisClientFactory };
  }
  if (url.value !== undefined) {
    parsedUrl(url.value, url.setting, 'a redis:// or rediss:// URL such as redis://:password@127.0.0.1:6379/0');
    return { kind: 'url', url: url.value };
  }
  if (cluster.value !== undefined) {
    const parsed = cluster.value.map((item) => node(item, cluster.setting));
    return {
      kind: 'cluster',
      nodes: parsed.map(({ node }) => node),
      auth: sameAuth(
        parsed.map(({ auth }) => auth),
        cluster.setting,
      ),
    };
  }
  if (sentinels.value === undefined || master.value === undefined) {
    const missing = sentinels.value === undefined ? sentinels : master;
    const present = sentinels.value === undefined ? master : sentinels;
    throw new Rs256AuthError(
      'RS256_CONFIG_INVALID',
      `${present.setting} is set but ${missing.setting} is not; Sentinel needs both (the sentinels' addresses and the master's name).`,
    );
  }
  const parsed = sentinels.value.map((item) => node(item, sentinels.setting));
  const name = master.value.includes('://')
    ? parsedUrl(master.value, master.setting, 'a master name, or a URL such as rediss://:password@mymaster/0')
    : undefined;
  const db = name ? Number(name.pathname.slice(1) || 0) : 0;
  if (name && (!name.hostname || !Number.isInteger(db) || name.port)) {
    throw invalidAddress(master.setting, master.value, 'a master name, or a URL such as rediss://:password@mymaster/0');
  }
  return {
    kind: 'sentinel',
    sentinels: parsed.map(({ node }) => node),
    sentinelAuth: sameAuth(
      parsed.map(({ auth }) => auth),
      sentinels.setting,
    ),
    master: name ? decodeURIComponent(name.hostname) : master.value,
    auth: name ? authOf(name) : { tls: false },
    db,
  };
}

function invalidAddress(setting: string, value: string, expected: string): Rs256AuthError {
  return new Rs256AuthError('RS256_CONFIG_INVALID', `${setting} is "${redactedUrl(value)}"; expected ${expected}.`);
}

/** `value` parsed as a `redis:` or `rediss:` URL; a message quotes `shown` (what the setting holds), redacted. */
function parsedUrl(value: string, setting: string, expected: string, shown = value): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidAddress(setting, shown, expected);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw invalidAddress(setting, shown, expected);
  }
  return url;
}

function authOf(url: URL): RedisAuth {
  return {
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    tls: url.protocol === 'rediss:',
  };
}

/** One `host:port` item, or a `redis://` / `rediss://` URL naming one node with its credentials. */
function node(item: string, setting: string): { node: RedisNode; auth: RedisAuth } {
  const expected = 'comma-separated host:port items (or redis:// / rediss:// URLs of one node each), such as 10.0.0.1:26379,10.0.0.2:26379';
  const url = parsedUrl(item.includes('://') ? item : `redis://${item}`, setting, expected, item);
  const port = Number(url.port);
  if (!url.hostname || !url.port || !Number.isInteger(port) || port < 1 || port > 65535 || (url.pathname !== '' && url.pathname !== '/')) {
    throw invalidAddress(setting, item, expected);
  }
  return { node: { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port }, auth: authOf(url) };
}

/** The nodes of one list share their credentials and TLS: ioredis takes one set for all of them. */
function sameAuth(auths: RedisAuth[], setting: string): RedisAuth {
  const [first] = auths;
  if (auths.some(({ username, password, tls }) => username !== first.username || password !== first.password || tls !== first.tls)) {
    throw new Rs256AuthError('RS256_CONFIG_INVALID', `${setting} names nodes with different credentials or TLS; give every node the same.`);
  }
  return first;
}
