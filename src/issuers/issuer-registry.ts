import { Logger } from '@nestjs/common';
import type { TrustedIssuer, TrustedIssuers } from '../options/rs256-auth-config.js';
import { Rs256AuthError, type Rs256AuthErrorCode, messageOf } from '../errors/rs256-auth.error.js';
import { quotedUrl, redactedText, redactedUrl } from '../observability/redacted-url.js';
import { KeySet } from '../keys/key-set.js';
import { KeyStore } from '../keys/key-store.js';
import type { ChosenKey, KeySource, ReloadTrigger, UncheckedToken } from '../keys/key-source.js';
import { LocalKeySource } from '../keys/local-key-source.js';
import { StoredKeySource } from '../keys/stored-key-source.js';
import { loadIssuerKeys, trustedIssuer } from '../options/resolve-issuers.js';
import { RemoteKeySource } from './remote-key-source.js';
import { issuerIdentifierProblem } from './issuer-identifier.js';
import { NewIssuerBudget } from './new-issuer-budget.js';
import { evictOldest } from '../evict-oldest.js';
import { withinTimeout } from '../within-timeout.js';
import { SETTINGS } from '../options/settings.js';
import type { AuditTrail } from '../observability/audit-events.js';
import type { IssuerResolver } from '../options/key-source-options.interface.js';
import type { KeyTelemetry } from '../observability/key-telemetry.js';

/** One trusted issuer at run time: what its tokens must carry, and its own key source. */
interface IssuerContext {
  readonly issuer: TrustedIssuer;
  /** Fetched (RemoteKeySource), read from files (LocalKeySource), or given inline (nothing to read again). */
  readonly source: StoredKeySource;
}

/** Background refreshes are looked for at most this often, whatever the request rate. */
const STALE_SWEEP_MS = 1000;

/**
 * How long the resolver's "no" for an issuer is remembered: a tenant refused today may be created tomorrow, and an
 * answer kept for good would need a restart to change.
 */
const RESOLVER_NO_LIFETIME_MS = 10 * 60_000;

/**
 * The key source of a multi-issuer resource server: the trusted issuers (`trustedIssuers`, `JWT_TRUSTED_ISSUERS`,
 * `issuerResolver`), each with its own key source: a token's `iss` picks the issuer, and its `kid` is then looked up
 * among that issuer's keys only, so a key of issuer A never verifies a token that claims issuer B.
 *
 * An `iss` that is not configured costs nothing but a map lookup: no request leaves the process, unless an
 * `issuerResolver` is configured. Since anyone can write any `iss` into a token with a junk signature, what such
 * tokens can make the resolver do is bounded:
 *
 * - an `iss` that is not a plain issuer identifier (see issuerIdentifierProblem) never reaches the resolver;
 * - at most `newIssuersPerMinute` issuers not seen before are put to it (and their keys fetched) in any minute;
 * - its answers are remembered: a no for RESOLVER_NO_LIFETIME_MS (10 minutes), a resolver that threw or did not
 *   answer within the JWK Set timeout (`keys.remote.timeout`), or an issuer whose keys could not be fetched, until the JWK
 *   Set cooldown (`keys.remote.cooldown`) has passed, all in a bounded list of their own (oldest first out); a yes first on
 *   probation;
 * - an issuer on probation joins the cache of active issuers only once one of its tokens has passed verification,
 *   signature included. Only then can it push an active issuer out (least recently used first), and only that
 *   empties the verified-token cache; a flood of tokens naming made-up issuers churns the probation list alone.
 *
 * With `watchKeyFiles`, the key files of issuers with local keys are watched as the module's own are (see
 * LocalKeySource), a resolver-given issuer's from when it is resolved until it leaves the cache.
 */
export class IssuerRegistry implements KeySource {
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
  /** With an `issuerResolver`: it, and the minute's budget of new issuers put to it. */
  private readonly dynamic?: { readonly resolver: IssuerResolver; readonly budget: NewIssuerBudget };
  private lastBudgetWarning = Number.NEGATIVE_INFINITY;
  private readonly resolving = new Map<string, Promise<boolean>>();
  private lastSweep = 0;
  /** Bumped whenever any issuer's key set changes, so the verified-token cache knows to start over. */
  private generation = 0;
  /** Whether key files are watched now: from module init until destroy, and only with `watchKeyFiles`. */
  private watching = false;

  constructor(
    private readonly config: TrustedIssuers,
    /** The local key sets of configured issuers, read while the configuration was resolved. */
    loaded: ReadonlyMap<string, KeySet>,
    private readonly telemetry?: KeyTelemetry,
    private readonly audit?: AuditTrail,
  ) {
    for (const issuer of config.list) {
      const context = this.context(issuer, loaded.get(issuer.issuer));
      this.configured.set(issuer.issuer, context);
      if ('remote' in issuer.keys) telemetry?.track(context.source.keyStore, issuer.keys.remote.maxStaleMs);
    }
    if (config.resolver) {
      this.dynamic = { resolver: config.resolver, budget: new NewIssuerBudget(config.newPerMinute) };
    }
  }

  /** With `watchKeyFiles`: the key files of issuers with local keys, a resolved issuer's from when it is resolved. */
  watch(): void {
    this.watching = true;
    for (const context of this.configured.values()) context.source.watch();
  }

  stop(): void {
    this.watching = false;
    for (const context of this.contexts()) context.source.stop();
  }

  /** Changes whenever the keys of any active issuer change, or an active issuer leaves. */
  get version(): number {
    return this.generation;
  }

  describe(): string {
    const resolver = this.config.resolver ? ', and those the issuerResolver accepts' : '';
    const listed = this.config.list.map((trusted) => redactedUrl(trusted.issuer)).join(', ');
    return `Several issuers: verifies RS256 tokens of ${listed || 'no listed issuer'}${resolver}, each with its own keys`;
  }

  /**
   * An operator's `SIGHUP`: fetches every known issuer's keys now, whatever their cooldowns, and re-reads the key
   * files of those with local keys, as the module's own key files are re-read with one issuer (see LocalKeySource:
   * a file that fails a check keeps that issuer's current keys and logs one error naming it). Resolves to whether
   * any key set changed.
   */
  async reload(trigger: ReloadTrigger): Promise<boolean> {
    const changed = await Promise.all([...this.contexts()].map((context) => context.source.reload(trigger)));
    return changed.includes(true);
  }

  /** Fetches every configured issuer's keys, once; an issuer that is down is logged and asked again later. */
  async start(): Promise<void> {
    await Promise.all([...this.configured.values()].map((context) => context.source.start()));
  }

  /**
   * The payload's `iss`, read before the signature is checked and only to choose, picks the issuer whose keys and
   * claim policy apply. An `iss` that is not trusted is refused here, before any key lookup.
   */
  keyFor(token: UncheckedToken): ChosenKey {
    const payload = token.payload();
    const context = this.select(Object.hasOwn(payload, 'iss') ? payload.iss : undefined);
    if (!context) {
      throw new Rs256AuthError('RS256_TOKEN_ISSUER', 'issuer not accepted');
    }
    const keys = context.source.keys;
    return { key: keys.select(token.kid), keys, policy: context.issuer };
  }

  /** The issuer a token's `iss` names, if it is trusted (and already resolved); never fetches anything. */
  private select(iss: unknown): IssuerContext | undefined {
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
   * @returns whether the token may be cached: its issuer is active (false for one that left the probation list
   *   while its token was being verified) and the key set that verified it still in force (an issuer on probation
   *   changes no version when its keys change)
   */
  admit(chosen: ChosenKey): boolean {
    // Every key this registry chooses carries its issuer's policy (see keyFor).
    const iss = chosen.policy?.issuer;
    if (iss === undefined) return false;
    const waiting = this.probation.get(iss);
    let context: IssuerContext | undefined;
    if (waiting !== undefined && waiting.issuer === chosen.policy) {
      context = waiting;
      this.probation.delete(iss);
      this.resolved.set(iss, waiting);
      if (this.resolved.size > this.config.cacheSize) {
        evictOldest(this.resolved)?.source.stop();
        // Its tokens must not outlive it in the verified-token cache: they are to be resolved again.
        this.generation++;
      }
    } else {
      context = [this.configured.get(iss), this.resolved.get(iss)].find((active) => active?.issuer === chosen.policy);
    }
    return context !== undefined && context.source.keys === chosen.keys;
  }

  /** Per request, and cheap: starts background fetches of sets older than their max age, looked for once a second. */
  refreshIfStale(): void {
    const now = Date.now();
    if (now - this.lastSweep < STALE_SWEEP_MS) return;
    this.lastSweep = now;
    for (const context of this.contexts()) context.source.refreshIfStale();
  }

  /**
   * After a token was refused, whether trying it again may succeed: an `iss` the resolver has not been asked
   * about is resolved (and its keys fetched), and an unknown `kid` fetches the issuer's set (within its cooldown).
   * Never fetches for an `iss` that is not trusted.
   */
  recover(code: Rs256AuthErrorCode, issuer: () => unknown): Promise<boolean> | undefined {
    const iss = issuer();
    if (typeof iss !== 'string') return undefined;
    const dynamic = this.dynamic;
    if (code === 'RS256_TOKEN_ISSUER' && dynamic && !this.known(iss)) {
      let pending = this.resolving.get(iss);
      if (!pending) {
        if (!this.mayResolve(iss, dynamic.budget)) return undefined;
        pending = this.resolve(iss, dynamic.resolver).finally(() => this.resolving.delete(iss));
        this.resolving.set(iss, pending);
      }
      return pending;
    }
    return this.select(iss)?.source.recover(code, issuer);
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
  private mayResolve(iss: string, budget: NewIssuerBudget): boolean {
    const { allowHttp, newPerMinute } = this.config;
    if (issuerIdentifierProblem(iss, allowHttp) !== undefined) {
      return false;
    }
    if (budget.take()) {
      return true;
    }
    // One warning a minute at most, however many tokens the flood brings.
    const now = Date.now();
    if (now - this.lastBudgetWarning >= 60_000) {
      this.lastBudgetWarning = now;
      this.audit?.emit({ type: 'issuer_resolution_refused', newIssuersPerMinute: newPerMinute });
      this.logger.warn(
        `More than ${newPerMinute} issuers not seen before in a minute (${SETTINGS.newIssuersPerMinute.option}, ${SETTINGS.newIssuersPerMinute.env}): ` +
          `tokens of further new issuers are refused without asking the issuerResolver for the next ${Math.ceil(budget.waitMs() / 1000)} s; known issuers are not affected.`,
      );
    }
    return false;
  }

  private async resolve(iss: string, resolver: IssuerResolver): Promise<boolean> {
    const { defaults, resolverBounds } = this.config;
    const { cooldownMs, timeoutMs } = resolverBounds;
    let context: IssuerContext | null = null;
    let failed = false;
    try {
      // Every request naming this iss waits for the answer: a resolver that never settles must not hold them all.
      const options = await withinTimeout(() => resolver(iss), timeoutMs, `it did not answer within ${timeoutMs / 1000} s (keys.remote.timeout)`);
      if (options !== undefined) {
        if (options.issuer !== iss) {
          throw new Error(`it answered for issuer ${quotedUrl(String(options.issuer).slice(0, 200))}`);
        }
        const trusted = trustedIssuer(options, 'keys.issuerResolver option', defaults);
        context = this.context(trusted, await loadIssuerKeys(trusted));
      }
    } catch (error) {
      // Refused for the cooldown: a resolver that fails must not be called again for every token, nor refuse a
      // tenant for good over one failure (a database that was down a moment).
      failed = true;
      this.logger.warn(
        `issuerResolver could not resolve an issuer (${redactedText(messageOf(error))}); its tokens are refused for ${Math.ceil(cooldownMs / 1000)} s (keys.remote.cooldown), then it is asked again.`,
      );
    }
    if (!context) {
      this.refuse(iss, Date.now() + (failed ? cooldownMs : RESOLVER_NO_LIFETIME_MS));
      return false;
    }
    try {
      await context.source.start();
    } catch (error) {
      this.logger.warn(`The keys of a resolved issuer cannot be fetched (${redactedText(messageOf(error))}).`);
    }
    if (context.source.keys.verificationKeys.length === 0) {
      // No key, no token of it can verify: refused like a no, but asked again once a fetch would be allowed again.
      this.refuse(iss, Date.now() + ('remote' in context.issuer.keys ? context.issuer.keys.remote.cooldownMs : 0));
      return false;
    }
    this.probation.set(iss, context);
    if (this.watching) context.source.watch();
    if (this.probation.size > this.config.cacheSize) {
      // None of its tokens has verified, so none is in the verified-token cache: nothing else to undo.
      evictOldest(this.probation)?.source.stop();
    }
    return true;
  }

  private refuse(iss: string, until: number): void {
    this.refused.set(iss, until);
    if (this.refused.size > this.config.cacheSize) {
      evictOldest(this.refused);
    }
  }

  /** Configured, or active: an issuer whose tokens may be in the verified-token cache. */
  private isActive(context: IssuerContext): boolean {
    const iss = context.issuer.issuer;
    return this.configured.get(iss) === context || this.resolved.get(iss) === context;
  }

  /** An issuer with its key source; `local` is its local key set, read already. */
  private context(issuer: TrustedIssuer, local: KeySet | undefined): IssuerContext {
    // A key change matters to the verified-token cache only for an issuer that may have tokens in it.
    const bump = (): void => {
      if (this.isActive(context)) this.generation++;
    };
    const keyStore = new KeyStore(local ?? new KeySet([]), bump);
    let source: StoredKeySource;
    if ('sources' in issuer.keys) {
      const files = new LocalKeySource(issuer.keys.sources, keyStore, issuer.issuer, this.telemetry);
      // An inline key has nothing to read again; replacing its set would only empty the verified-token cache.
      source = files.hasFiles ? files : new StoredKeySource(keyStore);
    } else {
      source = new RemoteKeySource(issuer.keys.remote, keyStore, this.telemetry);
    }
    const context: IssuerContext = { issuer, source };
    return context;
  }

  private *contexts(): Iterable<IssuerContext> {
    yield* this.configured.values();
    yield* this.resolved.values();
    yield* this.probation.values();
  }
}
