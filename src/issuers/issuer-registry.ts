import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Rs256AuthConfig, TrustedIssuer } from '../config/rs256-auth.config.js';
import { type Rs256AuthErrorCode, messageOf } from '../errors/rs256-auth.error.js';
import { KeySet } from '../keys/key-set.js';
import { KeyStore } from '../keys/key-store.js';
import { LocalKeySource } from '../keys/local-key-source.js';
import { RS256_AUTH_CONFIG } from '../rs256-auth.constants.js';
import { RemoteKeySource } from './remote-key-source.js';

/** One trusted issuer at run time: what its tokens must carry, and its own keys. */
export interface IssuerContext {
  readonly issuer: TrustedIssuer;
  readonly keyStore: KeyStore;
  /** Fetches its keys; `undefined` for an issuer with local keys. */
  readonly source?: RemoteKeySource;
  /** Re-reads its key files; `undefined` for an issuer whose keys are fetched, or given inline. */
  readonly files?: LocalKeySource;
}

/** Background refreshes are looked for at most this often, whatever the request rate. */
const STALE_SWEEP_MS = 1000;

/**
 * The trusted issuers of a multi-issuer resource server (`trustedIssuers`, `JWT_TRUSTED_ISSUERS`,
 * `issuerResolver`), each with its own key store: a token's `iss` picks the issuer, and its `kid` is then looked up
 * among that issuer's keys only, so a key of issuer A never verifies a token that claims issuer B.
 *
 * An `iss` that is not configured costs nothing but a map lookup: no request leaves the process, unless an
 * `issuerResolver` is configured, which is asked once per issuer (yes and no alike are remembered, for a bounded
 * number of issuers, least recently used out first).
 *
 * With `watchKeyFiles`, the key files of issuers with local keys are watched as the module's own are (see
 * LocalKeySource), a resolver-given issuer's from when it is resolved until it leaves the cache.
 */
@Injectable()
export class IssuerRegistry implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Rs256Auth');
  private readonly configured = new Map<string, IssuerContext>();
  /** Issuers the resolver accepted. Map order is recency of use. */
  private readonly resolved = new Map<string, IssuerContext>();
  /**
   * Issuers the resolver refused, kept apart and bounded on their own: a flood of tokens naming made-up issuers must
   * never push an accepted issuer out (which would empty the verified-token cache and fetch its keys again).
   */
  private readonly refused = new Set<string>();
  private readonly resolving = new Map<string, Promise<boolean>>();
  private lastSweep = 0;
  /** Bumped whenever any issuer's key set changes, so the verified-token cache knows to start over. */
  private generation = 0;
  /** Whether key files are watched now: from module init until destroy, and only with `watchKeyFiles`. */
  private watching = false;

  constructor(@Inject(RS256_AUTH_CONFIG) private readonly config: Rs256AuthConfig) {
    for (const issuer of config.trustedIssuers?.list ?? []) {
      this.configured.set(issuer.issuer, this.context(issuer));
    }
  }

  onModuleInit(): void {
    this.watching = this.config.watchKeyFiles;
    if (this.watching) {
      for (const context of this.configured.values()) context.files?.watch();
    }
  }

  onModuleDestroy(): void {
    this.watching = false;
    for (const context of this.contexts()) context.files?.unwatch();
  }

  /** True when several issuers (or a resolver) are configured. */
  get enabled(): boolean {
    return this.config.trustedIssuers !== undefined;
  }

  /** Changes whenever the keys of any issuer change. */
  get version(): number {
    return this.generation;
  }

  /**
   * An operator's `SIGHUP` (see RemoteJwks): fetches every known issuer's keys now, whatever their cooldowns, and
   * re-reads the key files of those with local keys, as the module's own key files are re-read with one issuer
   * (see LocalKeySource: a file that fails a check keeps that issuer's current keys and logs one error naming it).
   * Resolves to whether any key set changed.
   */
  async refreshNow(): Promise<boolean> {
    const changed = await Promise.all([...this.contexts()].map((context) => context.source?.refreshNow() ?? context.files?.reload() ?? false));
    return changed.includes(true);
  }

  /** Fetches every configured issuer's keys, once; an issuer that is down is logged and asked again later. */
  async initialFetch(): Promise<void> {
    await Promise.all([...this.configured.values()].map((context) => context.source?.initialFetch()));
  }

  /** The issuer a token's `iss` names, if it is trusted (and already resolved); never fetches anything. */
  select(iss: unknown): IssuerContext | undefined {
    if (typeof iss !== 'string') return undefined;
    const configured = this.configured.get(iss);
    if (configured) return configured;
    const resolved = this.resolved.get(iss);
    if (resolved) {
      // Most recently used goes last, so eviction takes the least recently used.
      this.resolved.delete(iss);
      this.resolved.set(iss, resolved);
    }
    return resolved;
  }

  /** Per request, and cheap: starts background fetches of sets older than their max age, looked for once a second. */
  refreshIfStale(): void {
    const now = Date.now();
    if (!this.enabled || now - this.lastSweep < STALE_SWEEP_MS) return;
    this.lastSweep = now;
    for (const context of this.contexts()) context.source?.refreshIfStale();
  }

  /**
   * After a token was refused, whether trying it again may succeed: an `iss` the resolver has not been asked
   * about is resolved (and its keys fetched), and an unknown `kid` fetches the issuer's set (within its cooldown).
   * Never fetches for an `iss` that is not trusted.
   */
  recover(iss: unknown, code: Rs256AuthErrorCode): Promise<boolean> | undefined {
    if (typeof iss !== 'string') return undefined;
    if (code === 'RS256_TOKEN_ISSUER' && this.config.trustedIssuers?.resolver && !this.configured.has(iss) && !this.resolved.has(iss) && !this.refused.has(iss)) {
      let pending = this.resolving.get(iss);
      if (!pending) {
        pending = this.resolve(iss).finally(() => this.resolving.delete(iss));
        this.resolving.set(iss, pending);
      }
      return pending;
    }
    const source = code === 'RS256_TOKEN_KID_UNKNOWN' || code === 'RS256_TOKEN_KEYS_STALE' ? this.select(iss)?.source : undefined;
    return source?.refresh();
  }

  private async resolve(iss: string): Promise<boolean> {
    const { resolver, resolve, cacheSize } = this.config.trustedIssuers!;
    let context: IssuerContext | null = null;
    try {
      const options = await resolver!(iss);
      if (options !== undefined) {
        if (options.issuer !== iss) {
          throw new Error(`it answered for issuer "${String(options.issuer).slice(0, 200)}"`);
        }
        context = this.context(await resolve(options, 'issuerResolver option'));
      }
    } catch (error) {
      // Refused, and remembered as refused: a resolver that fails must not be called again for every token.
      this.logger.warn(`issuerResolver could not resolve an issuer (${messageOf(error)}); its tokens are refused.`);
    }
    if (context) {
      this.resolved.set(iss, context);
      if (this.watching) context.files?.watch();
      if (this.resolved.size > cacheSize) {
        const [evicted, { files }] = this.resolved.entries().next().value!;
        this.resolved.delete(evicted);
        files?.unwatch();
        // Its tokens must not outlive it in the verified-token cache: they are to be resolved again.
        this.generation++;
      }
    } else {
      this.refused.add(iss);
      if (this.refused.size > cacheSize) {
        this.refused.delete(this.refused.values().next().value!);
      }
    }
    try {
      await context?.source?.initialFetch();
    } catch (error) {
      this.logger.warn(`The keys of a resolved issuer cannot be fetched (${messageOf(error)}).`);
    }
    return context !== null;
  }

  private context(issuer: TrustedIssuer): IssuerContext {
    const bump = (): void => {
      this.generation++;
    };
    if ('local' in issuer.keys) {
      const keyStore = new KeyStore(issuer.keys.local, bump);
      const files = new LocalKeySource(issuer.keys.sources, keyStore, issuer.issuer);
      // An inline key has nothing to read again; replacing its set would only empty the verified-token cache.
      return { issuer, keyStore, files: files.hasFiles ? files : undefined };
    }
    const keyStore = new KeyStore(new KeySet([]), bump);
    return { issuer, keyStore, source: new RemoteKeySource(issuer.keys.remote, keyStore) };
  }

  private *contexts(): Iterable<IssuerContext> {
    yield* this.configured.values();
    yield* this.resolved.values();
  }
}
