import { Inject, Injectable, Logger, Optional, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Rs256AuthConfig, TrustedIssuer } from '../options/rs256-auth-config.js';
import { type Rs256AuthErrorCode, messageOf } from '../errors/rs256-auth.error.js';
import { quotedUrl, redactedText } from '../observability/redacted-url.js';
import { KeySet } from '../keys/key-set.js';
import { KeyStore } from '../keys/key-store.js';
import { LocalKeySource } from '../keys/local-key-source.js';
import { RS256_AUTH_CONFIG } from '../rs256-auth.constants.js';
import { RemoteKeySource } from './remote-key-source.js';
import { issuerIdentifierProblem } from './issuer-identifier.js';
import { NewIssuerBudget } from './new-issuer-budget.js';
import { SETTINGS } from '../options/settings.js';
import { AuditTrail } from '../observability/audit-events.js';
import { KeyTelemetry } from '../observability/key-telemetry.js';

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
 * How long the resolver's "no" for an issuer is remembered: a tenant refused today may be created tomorrow, and an
 * answer kept for good would need a restart to change.
 */
const RESOLVER_NO_LIFETIME_MS = 10 * 60_000;

/**
 * The trusted issuers of a multi-issuer resource server (`trustedIssuers`, `JWT_TRUSTED_ISSUERS`,
 * `issuerResolver`), each with its own key store: a token's `iss` picks the issuer, and its `kid` is then looked up
 * among that issuer's keys only, so a key of issuer A never verifies a token that claims issuer B.
 *
 * An `iss` that is not configured costs nothing but a map lookup: no request leaves the process, unless an
 * `issuerResolver` is configured. Since anyone can write any `iss` into a token with a junk signature, what such
 * tokens can make the resolver do is bounded:
 *
 * - an `iss` that is not a plain issuer identifier (see issuerIdentifierProblem) never reaches the resolver;
 * - at most `newIssuersPerMinute` issuers not seen before are put to it (and their keys fetched) in any minute;
 * - its answers are remembered: a no for RESOLVER_NO_LIFETIME_MS (10 minutes), a resolver that threw or did not
 *   answer within the JWK Set timeout (`jwksTimeout`), or an issuer whose keys could not be fetched, until the JWK
 *   Set cooldown (`jwksCooldown`) has passed, all in a bounded list of their own (oldest first out); a yes first on
 *   probation;
 * - an issuer on probation joins the cache of active issuers only once one of its tokens has passed verification,
 *   signature included. Only then can it push an active issuer out (least recently used first), and only that
 *   empties the verified-token cache; a flood of tokens naming made-up issuers churns the probation list alone.
 *
 * With `watchKeyFiles`, the key files of issuers with local keys are watched as the module's own are (see
 * LocalKeySource), a resolver-given issuer's from when it is resolved until it leaves the cache.
 */
@Injectable()
export class IssuerRegistry implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger('Rs256Auth');
  private readonly configured = new Map<string, IssuerContext>();
  /** Issuers the resolver accepted and whose tokens have verified. Map order is recency of use. */
  private readonly resolved = new Map<string, IssuerContext>();
  /** Issuers the resolver accepted, with their keys, none of whose tokens has verified yet. Map order is arrival. */
  private readonly probation = new Map<string, IssuerContext>();
  /**
   * Issuers refused (by the resolver, or for want of keys), with when the refusal lapses; kept apart and bounded on
   * their own: a flood of tokens naming made-up issuers must never push an accepted issuer out.
   */
  private readonly refused = new Map<string, number>();
  private readonly budget?: NewIssuerBudget;
  private lastBudgetWarning = Number.NEGATIVE_INFINITY;
  private readonly resolving = new Map<string, Promise<boolean>>();
  private lastSweep = 0;
  /** Bumped whenever any issuer's key set changes, so the verified-token cache knows to start over. */
  private generation = 0;
  /** Whether key files are watched now: from module init until destroy, and only with `watchKeyFiles`. */
  private watching = false;

  constructor(
    @Inject(RS256_AUTH_CONFIG) private readonly config: Rs256AuthConfig,
    @Optional() private readonly telemetry?: KeyTelemetry,
    @Optional() private readonly audit?: AuditTrail,
  ) {
    for (const issuer of config.trustedIssuers?.list ?? []) {
      this.configured.set(issuer.issuer, this.context(issuer));
      if ('remote' in issuer.keys) telemetry?.track(this.configured.get(issuer.issuer)!.keyStore, issuer.keys.remote.maxStaleMs);
    }
    if (config.trustedIssuers?.resolver) {
      this.budget = new NewIssuerBudget(config.trustedIssuers.newPerMinute);
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
      return resolved;
    }
    return this.probation.get(iss);
  }

  /**
   * Told by the verifier that a token of this issuer passed every check: an issuer on probation becomes active,
   * which may push out the least recently used active one (and so empty the verified-token cache, which may hold
   * its tokens). Costs a map lookup or two.
   * @returns whether the issuer is active, so that its tokens may be cached: false for one that left the probation
   *   list while its token was being verified
   */
  admit(context: IssuerContext): boolean {
    const iss = context.issuer.issuer;
    if (this.probation.get(iss) !== context) return this.isActive(context);
    this.probation.delete(iss);
    this.resolved.set(iss, context);
    if (this.resolved.size > this.config.trustedIssuers!.cacheSize) {
      const [evicted, { files }] = this.resolved.entries().next().value!;
      this.resolved.delete(evicted);
      files?.unwatch();
      // Its tokens must not outlive it in the verified-token cache: they are to be resolved again.
      this.generation++;
    }
    return true;
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
    if (code === 'RS256_TOKEN_ISSUER' && this.config.trustedIssuers?.resolver && !this.known(iss)) {
      let pending = this.resolving.get(iss);
      if (!pending) {
        if (!this.mayResolve(iss)) return undefined;
        pending = this.resolve(iss).finally(() => this.resolving.delete(iss));
        this.resolving.set(iss, pending);
      }
      return pending;
    }
    const source = code === 'RS256_TOKEN_KID_UNKNOWN' || code === 'RS256_TOKEN_KEYS_STALE' ? this.select(iss)?.source : undefined;
    return source?.refresh();
  }

  /** Whether the answer for this `iss` is known: configured, resolved (active or on probation), or refused. */
  private known(iss: string): boolean {
    if (this.configured.has(iss) || this.resolved.has(iss) || this.probation.has(iss)) return true;
    const until = this.refused.get(iss);
    if (until === undefined) return false;
    if (Date.now() < until) return true;
    this.refused.delete(iss);
    return false;
  }

  /**
   * Whether an `iss` not seen before may be put to the resolver now: it must look like an issuer identifier, and the
   * minute's budget of new issuers must have room. A refusal here is not remembered: the token is refused, and the
   * same `iss` is looked at afresh next time.
   */
  private mayResolve(iss: string): boolean {
    const { allowHttp, newPerMinute } = this.config.trustedIssuers!;
    if (issuerIdentifierProblem(iss, allowHttp) !== undefined) {
      return false;
    }
    if (this.budget!.take()) {
      return true;
    }
    // One warning a minute at most, however many tokens the flood brings.
    const now = Date.now();
    if (now - this.lastBudgetWarning >= 60_000) {
      this.lastBudgetWarning = now;
      this.audit?.emit({ type: 'issuer_resolution_refused', newIssuersPerMinute: newPerMinute });
      this.logger.warn(
        `More than ${newPerMinute} issuers not seen before in a minute (${SETTINGS.newIssuersPerMinute.option}, ${SETTINGS.newIssuersPerMinute.env}): ` +
          `tokens of further new issuers are refused without asking the issuerResolver for the next ${Math.ceil(this.budget!.waitMs() / 1000)} s; known issuers are not affected.`,
      );
    }
    return false;
  }

  private async resolve(iss: string): Promise<boolean> {
    const { resolver, resolve, resolverBounds } = this.config.trustedIssuers!;
    const { cooldownMs, timeoutMs } = resolverBounds;
    let context: IssuerContext | null = null;
    let failed = false;
    try {
      // Every request naming this iss waits for the answer: a resolver that never settles must not hold them all.
      const options = await withinTimeout(() => resolver!(iss), timeoutMs);
      if (options !== undefined) {
        if (options.issuer !== iss) {
          throw new Error(`it answered for issuer ${quotedUrl(String(options.issuer).slice(0, 200))}`);
        }
        context = this.context(await resolve(options, 'issuerResolver option'));
      }
    } catch (error) {
      // Refused for the cooldown: a resolver that fails must not be called again for every token, nor refuse a
      // tenant for good over one failure (a database that was down a moment).
      failed = true;
      this.logger.warn(
        `issuerResolver could not resolve an issuer (${redactedText(messageOf(error))}); its tokens are refused for ${Math.ceil(cooldownMs / 1000)} s (jwksCooldown), then it is asked again.`,
      );
    }
    if (!context) {
      this.refuse(iss, Date.now() + (failed ? cooldownMs : RESOLVER_NO_LIFETIME_MS));
      return false;
    }
    try {
      await context.source?.initialFetch();
    } catch (error) {
      this.logger.warn(`The keys of a resolved issuer cannot be fetched (${redactedText(messageOf(error))}).`);
    }
    if (context.keyStore.keys.verificationKeys.length === 0) {
      // No key, no token of it can verify: refused like a no, but asked again once a fetch would be allowed again.
      this.refuse(iss, Date.now() + (context.source?.cooldownMs ?? 0));
      return false;
    }
    this.probation.set(iss, context);
    if (this.watching) context.files?.watch();
    if (this.probation.size > this.config.trustedIssuers!.cacheSize) {
      // None of its tokens has verified, so none is in the verified-token cache: nothing else to undo.
      const [evicted, { files }] = this.probation.entries().next().value!;
      this.probation.delete(evicted);
      files?.unwatch();
    }
    return true;
  }

  private refuse(iss: string, until: number): void {
    this.refused.set(iss, until);
    if (this.refused.size > this.config.trustedIssuers!.cacheSize) {
      this.refused.delete(this.refused.keys().next().value!);
    }
  }

  /** Configured, or active: an issuer whose tokens may be in the verified-token cache. */
  private isActive(context: IssuerContext): boolean {
    const iss = context.issuer.issuer;
    return this.configured.get(iss) === context || this.resolved.get(iss) === context;
  }

  private context(issuer: TrustedIssuer): IssuerContext {
    // A key change matters to the verified-token cache only for an issuer that may have tokens in it.
    const bump = (): void => {
      if (this.isActive(context)) this.generation++;
    };
    let context: IssuerContext;
    if ('local' in issuer.keys) {
      const keyStore = new KeyStore(issuer.keys.local, bump);
      const files = new LocalKeySource(issuer.keys.sources, keyStore, issuer.issuer, this.telemetry);
      // An inline key has nothing to read again; replacing its set would only empty the verified-token cache.
      context = { issuer, keyStore, files: files.hasFiles ? files : undefined };
    } else {
      const keyStore = new KeyStore(new KeySet([]), bump);
      context = { issuer, keyStore, source: new RemoteKeySource(issuer.keys.remote, keyStore, this.telemetry) };
    }
    return context;
  }

  private *contexts(): Iterable<IssuerContext> {
    yield* this.configured.values();
    yield* this.resolved.values();
    yield* this.probation.values();
  }
}

/** What `call` resolves to, or an error once `ms` have passed without an answer (or when it throws). */
async function withinTimeout<T>(call: () => T | Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`it did not answer within ${ms} ms (jwksTimeout)`)), ms);
  });
  try {
    return await Promise.race([Promise.resolve().then(call), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
