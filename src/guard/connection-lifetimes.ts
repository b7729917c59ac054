import { Inject, Injectable, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import type { Rs256AuthConfig } from '../options/rs256-auth-config.js';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import type { JwtClaims } from '../interfaces/jwt-claims.interface.js';
import { RS256_AUTH_CONFIG } from '../rs256-auth.constants.js';
import { RevocationList } from '../sessions/revocation-list.js';
import type { Revocation } from '../sessions/session-store.interface.js';

// setTimeout's longest delay; a token that outlives it is left to the per-message check.
const MAX_TIMER_DELAY = 2_147_483_647;

/** The kinds of revocation that name the tokens they cover by one claim, and so can be looked up. */
const INDEXED_KINDS = ['jti', 'sid', 'sub'] as const;
const INDEXED: ReadonlySet<string> = new Set(INDEXED_KINDS);

/** One open connection and how to end it. */
interface Lifetime {
  readonly claims: JwtClaims;
  readonly end: (reason: string) => void;
  readonly keys: readonly string[];
  timer?: NodeJS.Timeout;
}

/**
 * Ends open connections (WebSocket gateways, `graphql-ws` subscriptions) when their token does: at its `exp` (plus
 * the clock tolerance the guard grants), with one timer per connection, and as soon as a revocation that covers it
 * reaches this instance's revocation list, whichever store carried it. Connections are indexed by `jti`, `sid` and
 * `sub`, so a revocation looks at the connections it may concern, not at all of them.
 */
@Injectable()
export class ConnectionLifetimes implements OnModuleInit, OnModuleDestroy {
  private readonly byKey = new Map<string, Set<Lifetime>>();
  private readonly open = new Set<Lifetime>();
  private stopListening?: () => void;

  constructor(
    private readonly revocations: RevocationList,
    @Inject(RS256_AUTH_CONFIG) private readonly config: Rs256AuthConfig,
  ) {}

  onModuleInit(): void {
    this.stopListening = this.revocations.onApply((batch) => this.revoked(batch));
  }

  onModuleDestroy(): void {
    this.stopListening?.();
    for (const lifetime of this.open) clearTimeout(lifetime.timer);
    this.open.clear();
    this.byKey.clear();
  }

  /**
   * Ends a connection, through `end` and with the reason (`token expired`, `session revoked`, …), when the token
   * whose verified claims it was opened with stops passing. Returns the function to call when the connection
   * closes, which forgets it and clears its timer.
   */
  track(claims: JwtClaims, end: (reason: string) => void): () => void {
    const keys = INDEXED_KINDS.filter((kind) => typeof claims[kind] === 'string').map((kind) => `${kind}:${String(claims[kind])}`);
    const lifetime: Lifetime = { claims, end, keys };
    this.open.add(lifetime);
    for (const key of keys) {
      let set = this.byKey.get(key);
      if (!set) {
        set = new Set();
        this.byKey.set(key, set);
      }
      set.add(lifetime);
    }
    const delay = typeof claims.exp === 'number' ? (claims.exp + this.config.clockTolerance) * 1000 - Date.now() : MAX_TIMER_DELAY;
    if (delay < MAX_TIMER_DELAY) {
      lifetime.timer = setTimeout(() => this.finish(lifetime, 'token expired'), Math.max(0, delay));
      // An open connection must not keep the process alive.
      lifetime.timer.unref();
    }
    return () => this.forget(lifetime);
  }

  private revoked(batch: readonly Revocation[]): void {
    const candidates = new Set<Lifetime>();
    for (const { kind, value } of batch) {
      // A kind this class does not know (a cut-off for every subject, say) may cover any connection.
      const concerned = INDEXED.has(kind) ? this.byKey.get(`${kind}:${value}`) : this.open;
      concerned?.forEach((lifetime) => candidates.add(lifetime));
    }
    if (candidates.size === 0) {
      return;
    }
    // Checked once the list is done with the batch: after a reconnection the store applies the whole list and only
    // then confirms it current, and until then every check would answer "stale" instead.
    queueMicrotask(() => {
      for (const lifetime of candidates) {
        if (!this.open.has(lifetime)) continue;
        try {
          this.revocations.check(lifetime.claims);
        } catch (error) {
          if (error instanceof Rs256AuthError && error.code === 'RS256_TOKEN_REVOKED') {
            this.finish(lifetime, error.message);
          }
          // Stale: the guard refuses the connection's messages until the list is current again; it is checked then.
        }
      }
    });
  }

  private finish(lifetime: Lifetime, reason: string): void {
    if (this.forget(lifetime)) {
      lifetime.end(reason);
    }
  }

  /** Forgets a connection; false if it was forgotten already. */
  private forget(lifetime: Lifetime): boolean {
    if (!this.open.delete(lifetime)) {
      return false;
    }
    clearTimeout(lifetime.timer);
    for (const key of lifetime.keys) {
      const set = this.byKey.get(key);
      set?.delete(lifetime);
      if (set?.size === 0) this.byKey.delete(key);
    }
    return true;
  }
}
