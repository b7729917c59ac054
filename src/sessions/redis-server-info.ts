import type { LoggerService } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import type { RedisClient } from './redis-clients.js';

/** Eviction policies that may evict the revocation list, which has no expiry: a silent fail-open. */
const EVICTS_LIST = /^allkeys-/;

/** What an eviction policy means for the store: `refuse` stops start-up (and is an error later), `warn` is logged. */
interface EvictionRisk {
  readonly level: 'refuse' | 'error' | 'warn';
  readonly message: string;
}

/** `field:value` lines of an `INFO` reply. */
function infoField(info: string, field: string): string | undefined {
  return new RegExp(`^${field}:(.*)$`, 'm').exec(info)?.[1]?.trim();
}

/** `INFO` of the server, or of every primary of a Cluster. */
export async function serverInfos(client: RedisClient): Promise<string[]> {
  const nodes = client.isCluster ? (client as Cluster).nodes('master') : [client as Redis];
  return Promise.all(nodes.map((node) => node.info()));
}

/** Which server incarnation answers: the `run_id` of the server, or of every primary of a Cluster. */
export function incarnationOf(infos: string[]): string {
  return infos
    .map((info) => infoField(info, 'run_id') ?? '')
    .sort()
    .join(',');
}

/** The eviction policies in force, as one string (one per primary of a Cluster). */
function evictionPolicies(infos: string[]): string {
  return [...new Set(infos.map((info) => infoField(info, 'maxmemory_policy') ?? 'unknown'))].join(', ');
}

/**
 * An eviction policy that may evict the revocation list (which has no expiry) is a silent fail-open: refused at
 * start-up, an error after a reconnection. One that may evict sessions (which expire) signs users out early: a warning.
 */
function evictionRisk(infos: string[], starting: boolean): EvictionRisk | undefined {
  const policies = evictionPolicies(infos);
  const limited = infos.some((info) => Number(infoField(info, 'maxmemory') ?? 0) > 0);
  const advice =
    'set maxmemory-policy to noeviction (or a volatile-* policy) on the Redis server, as the README\'s "Running several instances" section says';
  if (EVICTS_LIST.test(policies) && limited) {
    return {
      level: starting ? 'refuse' : 'error',
      message: `Redis maxmemory-policy is ${policies}: under memory pressure Redis evicts the revocation list and logged-out tokens pass again; ${advice}.`,
    };
  }
  if (EVICTS_LIST.test(policies)) {
    return {
      level: 'warn',
      message: `Redis maxmemory-policy is ${policies}: once a maxmemory is set, Redis may evict the revocation list and logged-out tokens pass again; ${advice}.`,
    };
  }
  if (/^volatile-/.test(policies)) {
    return {
      level: 'warn',
      message: `Redis maxmemory-policy is ${policies}: under memory pressure Redis may evict sessions (their users must sign in again); noeviction avoids it.`,
    };
  }
  return undefined;
}

/** Refuses at start-up, or logs, an eviction policy that may evict the store's keys; each policy reported once. */
export class EvictionWatch {
  private reported?: string;

  constructor(private readonly logger: LoggerService) {}

  check(infos: string[], starting: boolean): void {
    const policies = evictionPolicies(infos);
    if (policies === this.reported) return;
    this.reported = policies;
    const risk = evictionRisk(infos, starting);
    if (risk?.level === 'refuse') throw new Rs256AuthError('RS256_CONFIG_INVALID', risk.message);
    if (risk?.level === 'error') this.logger.error(risk.message);
    else if (risk) this.logger.warn(risk.message);
  }
}
