import { Logger } from '@nestjs/common';
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import type { RemoteKeySettings } from '../options/rs256-auth-config.js';
import { rsaKeyProblem, rsaThumbprint } from '../keys/key-loader.js';
import { KeySet, verificationKey, type VerificationKey } from '../keys/key-set.js';
import type { KeyStore } from '../keys/key-store.js';
import type { ReloadTrigger } from '../keys/key-source.js';
import { StoredKeySource } from '../keys/stored-key-source.js';
import type { Rs256AuthErrorCode } from '../errors/rs256-auth.error.js';
import { fetchJwkSet, type JwkSetDocument } from './bounded-fetch.js';
import { redactedText, redactedUrl } from '../observability/redacted-url.js';
import { discoverJwksUri } from './issuer-discovery.js';
import { messageOf } from '../errors/rs256-auth.error.js';
import { SETTINGS } from '../options/settings.js';
import type { KeyObserver } from '../observability/key-telemetry.js';

/** Skipped entries named in the one warning a fetch logs; the rest are only counted. */
const REASONS_SHOWN = 5;
/** Values from the issuer (kids, kty, alg) are cut to this length in logs, so a document cannot flood them. */
const SHOWN_LENGTH = 64;

/** An issuer-supplied value, quoted and cut short, safe for one log line. */
function shown(value: unknown): string {
  const text = String(value);
  return JSON.stringify(text.length > SHOWN_LENGTH ? `${text.slice(0, SHOWN_LENGTH)}…` : text);
}

/** Why a JWKS entry cannot verify RS256 tokens, or `null` if it can. */
function unusable(jwk: Record<string, unknown>): string | null {
  if (jwk.kty !== 'RSA') return `kty is ${shown(jwk.kty)}, not RSA`;
  if (jwk.alg !== undefined && jwk.alg !== 'RS256') return `alg is ${shown(jwk.alg)}, not RS256`;
  if (jwk.use !== undefined && jwk.use !== 'sig') return `use is ${shown(jwk.use)}, not sig`;
  if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify')) return 'key_ops does not include verify';
  if (jwk.kid !== undefined && typeof jwk.kid !== 'string') return 'kid is not a string';
  return null;
}

/** The set a fetch yielded, with what was left out of it. */
interface Conversion {
  keys: VerificationKey[];
  skipped: string[];
  ambiguous: string[];
}

/** What one fetch did to the key set. */
type FetchOutcome = 'changed' | 'unchanged' | 'failed';

/**
 * The keys of one issuer, fetched from its JWK Set into a key store: given as a URI (`JWT_JWKS_URI`), or found
 * through the issuer's metadata (`JWT_ISSUER_URL`, each trusted issuer). Discovery happens once, with the first
 * fetch, under the same cooldown: an issuer that is down at start-up is asked again no sooner than a key fetch would be.
 * A fetch is bounded (see fetchJwkSet): it times out after `keys.remote.timeout`, reads at most `keys.remote.maxBytes` of the
 * response (aborting the download past that) and keeps at most `keys.remote.maxKeys` entries, so one fetch costs one JSON
 * parse of a bounded document and a bounded number of key imports (Node's `crypto`, `createPublicKey` of the JWK),
 * and never holds up request handling for long. One fetch runs at a time. This class turns the set into the key
 * set and decides when to fetch:
 *
 * - at start-up, without holding the application back if the issuer is down (it is logged);
 * - in the background once the set is older than its max age, while the cached keys keep serving;
 * - when a token names an unknown `kid`, at most once per cooldown window whatever the outcome, so a flood of
 *   random `kid`s, or an issuer that is down, never turns into a flood of requests at the issuer;
 * - at once when the operator asks ({@link refreshNow}, which `SIGHUP` calls), whatever the cooldown.
 *
 * A failed fetch keeps the cached keys in use. Unusable entries (not RSA, not RS256, malformed, too small, a weak
 * exponent) are skipped, and a `kid` that names two different keys is dropped, since neither key can be trusted to
 * be the one meant; each fetch sums these up in one warning.
 */
export class RemoteKeySource extends StoredKeySource {
  private readonly logger = new Logger('Rs256Auth');
  /** The JWK Set's URI once configured or discovered, and as logs show it (see redactedUrl). */
  private jwks?: { readonly url: URL; readonly shown: string };
  private lastAttempt = Number.NEGATIVE_INFINITY;
  private inFlight?: Promise<FetchOutcome>;
  private initial?: Promise<void>;
  /** When a fetch last succeeded (changed or not); `undefined` before the first. */
  private lastSuccess?: number;

  constructor(
    private readonly settings: RemoteKeySettings,
    /** Where the fetched keys go; replaced whole when they change. */
    keyStore: KeyStore,
    /** Told of every fetch and key change (metrics, audit events, health). */
    private readonly observer?: KeyObserver,
  ) {
    super(keyStore);
  }

  /**
   * The first fetch, made once whoever asks first (start-up, or an issuer resolved while requests are served).
   * Resolves when it has succeeded or failed; a failure is logged, never thrown.
   */
  override start(): Promise<void> {
    this.initial ??= this.refresh().then(() => undefined);
    return this.initial;
  }

  /** An unknown `kid` may be a key the issuer has just published, and stale keys may be fresh again: fetch (within the cooldown). */
  override recover(code: Rs256AuthErrorCode): Promise<boolean> | undefined {
    return code === 'RS256_TOKEN_KID_UNKNOWN' || code === 'RS256_TOKEN_KEYS_STALE' ? this.refresh() : undefined;
  }

  /** `SIGHUP`, or an operator's call: fetches now, whatever the cooldown. */
  override reload(_trigger: ReloadTrigger): Promise<boolean> {
    return this.refreshNow();
  }

  override describe(): string {
    const { settings } = this;
    const kids = this.keys.verificationKeys.map((key) => key.kid);
    const source = settings.uri !== undefined ? redactedUrl(settings.uri) : `issuer ${redactedUrl(settings.discover)} (by discovery)`;
    return `Resource-server mode: verifies RS256 tokens with the JWK Set of ${source}, kids ${kids.length > 0 ? `[${kids.join(', ')}]` : '[] (none fetched yet)'}`;
  }

  /**
   * Per request, and cheap: starts a background fetch once the cached set is older than its max age, and past
   * `keys.remote.maxStale` without a successful fetch stops trusting the keys.
   */
  override refreshIfStale(): void {
    if (this.jwks && !this.fresh()) {
      this.expireIfStale();
      void this.refresh();
    }
  }

  /** Whether the last successful fetch is younger than the set's max age (`keys.remote.cacheMaxAge`). */
  private fresh(): boolean {
    return this.lastSuccess !== undefined && Date.now() < this.lastSuccess + this.settings.cacheMaxAgeMs;
  }

  /**
   * Past `keys.remote.maxStale` since the last successful fetch, replaces the set with the same keys marked stale, which
   * refuses every token (and, as any replacement does, empties the verified-token cache); logged once, as the
   * change of state it is, not once per refused token.
   */
  private expireIfStale(): void {
    const current = this.keyStore.keys;
    if (this.lastSuccess === undefined || current.stale || Date.now() - this.lastSuccess <= this.settings.maxStaleMs) {
      return;
    }
    this.keyStore.replace(new KeySet(current.verificationKeys, undefined, true));
    const seconds = Math.round((Date.now() - this.lastSuccess) / 1000);
    this.logger.error(
      `The JWK Set from ${this.jwks?.shown} could not be refreshed for ${seconds} s, past ${SETTINGS.jwksMaxStale.option} (${SETTINGS.jwksMaxStale.env}, ${this.settings.maxStaleMs / 1000} s): ` +
        'its keys are stale and every token is refused until a fetch succeeds.',
    );
  }

  /**
   * Fetches the set unless a fetch started within the cooldown window; concurrent callers share one fetch.
   * Resolves to whether the key set changed.
   */
  async refresh(): Promise<boolean> {
    if (!this.inFlight && Date.now() - this.lastAttempt < this.settings.cooldownMs) {
      return false;
    }
    return (await this.begin()) === 'changed';
  }

  /**
   * Fetches the set now, whatever the cooldown (an operator's request, not a token's), and logs the kids it got
   * even when nothing changed. A fetch already under way is joined rather than doubled. Resolves to whether the
   * key set changed.
   */
  async refreshNow(): Promise<boolean> {
    const outcome = await this.begin();
    if (outcome === 'unchanged') {
      const kids = this.keyStore.keys.verificationKeys.map((key) => shown(key.kid));
      this.logger.log(`JWK Set from ${this.jwks?.shown} fetched on request, unchanged: verification kids [${kids.join(', ')}].`);
    }
    return outcome === 'changed';
  }

  /** One fetch at a time: a caller arriving during a fetch shares it. */
  private begin(): Promise<FetchOutcome> {
    if (!this.inFlight) {
      this.lastAttempt = Date.now();
      this.inFlight = this.fetch().finally(() => {
        this.inFlight = undefined;
      });
    }
    return this.inFlight;
  }

  /** The JWK Set's URI, discovering it first if need be (once: the URI is kept once found); undefined if discovery failed. */
  private async located(): Promise<{ readonly url: URL; readonly shown: string } | undefined> {
    if (!this.jwks) {
      const { settings } = this;
      const url = settings.uri !== undefined ? new URL(settings.uri) : await this.discovered(settings.discover);
      if (!url) return undefined;
      this.jwks = { url, shown: redactedUrl(url) };
    }
    return this.jwks;
  }

  /** The `jwks_uri` of the issuer's metadata; a failure is reported and logged here. */
  private async discovered(issuer: string): Promise<URL | undefined> {
    const { timeoutMs, maxBytes, allowHttp } = this.settings;
    const began = performance.now();
    try {
      const uri = await discoverJwksUri(issuer, { timeoutMs, maxBytes, allowHttp });
      this.observer?.fetched(this.keyStore, 'discovery', 'succeeded', performance.now() - began, redactedUrl(issuer));
      this.logger.log(`Issuer ${redactedUrl(issuer)} publishes its keys at ${redactedUrl(uri)}.`);
      return uri;
    } catch (error) {
      this.observer?.fetched(this.keyStore, 'discovery', 'failed', performance.now() - began, redactedUrl(issuer), redactedText(messageOf(error)));
      this.logger.warn(
        `Discovering the keys of issuer ${redactedUrl(issuer)} failed (${redactedText(messageOf(error))}); ${this.keyStore.keys.verificationKeys.length} cached key(s) stay in use.`,
      );
      return undefined;
    }
  }

  private async fetch(): Promise<FetchOutcome> {
    const cached = (): number => this.keyStore.keys.verificationKeys.length;
    const located = await this.located();
    if (!located) return 'failed';
    const { url: remote, shown: uri } = located;
    const { timeoutMs, maxBytes, maxKeys } = this.settings;
    let document: JwkSetDocument;
    const began = performance.now();
    try {
      document = await fetchJwkSet(remote, timeoutMs, maxBytes, maxKeys);
    } catch (error) {
      this.observer?.fetched(this.keyStore, 'jwks', 'failed', performance.now() - began, uri, redactedText(messageOf(error)));
      this.expireIfStale();
      const state = this.keyStore.keys.stale ? `its ${cached()} key(s) are stale and refused` : `${cached()} cached key(s) stay in use`;
      this.logger.warn(`Fetching the JWK Set from ${uri} failed (${redactedText(messageOf(error))}); ${state}.`);
      return 'failed';
    }
    this.lastSuccess = Date.now();
    const wasStale = this.keyStore.keys.stale;
    const { keys, skipped, ambiguous } = this.toVerificationKeys(document.entries);
    this.warnAboutLeftOut(uri, document.received, skipped, ambiguous);
    const current = this.keyStore.keys.verificationKeys;
    const fingerprint = (list: readonly VerificationKey[]): string => list.map((key) => `${key.kid}:${rsaThumbprint(key.key)}`).join(',');
    // An unchanged set keeps its identity, so the verified-token cache survives routine refreshes.
    if (!wasStale && fingerprint(keys) === fingerprint(current)) {
      this.observer?.fetched(this.keyStore, 'jwks', 'unchanged', performance.now() - began, uri);
      return 'unchanged';
    }
    this.keyStore.replace(new KeySet(keys));
    this.observer?.fetched(this.keyStore, 'jwks', 'changed', performance.now() - began, uri);
    this.observer?.reloaded(
      'remote',
      keys.map((key) => key.kid),
      { jwksUri: uri },
    );
    const again = wasStale ? ' (fresh again: tokens are verified once more)' : '';
    this.logger.log(`JWK Set from ${uri}${again}: verification kids [${keys.map((key) => shown(key.kid)).join(', ')}].`);
    return 'changed';
  }

  private toVerificationKeys(entries: readonly Record<string, unknown>[]): Conversion {
    const byKid = new Map<string, { key: VerificationKey; thumbprint: string }>();
    const ambiguous = new Set<string>();
    const skipped: string[] = [];
    for (const jwk of entries) {
      const label = typeof jwk.kid === 'string' ? shown(jwk.kid) : '(no kid)';
      let reason = unusable(jwk);
      if (!reason) {
        try {
          // Only the public members: a set that wrongly publishes private ones still yields just the public key.
          const key = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e } as JsonWebKey, format: 'jwk' });
          reason = rsaKeyProblem(key)?.reason ?? null;
          if (!reason) {
            const thumbprint = rsaThumbprint(key);
            const kid = (jwk.kid as string | undefined) ?? thumbprint;
            const existing = byKid.get(kid);
            // The same key listed twice is one key; two keys under one kid are neither.
            if (existing && existing.thumbprint !== thumbprint) {
              ambiguous.add(kid);
            } else if (!existing) {
              byKid.set(kid, { key: verificationKey(kid, key), thumbprint });
            }
          }
        } catch {
          reason = 'n or e is malformed';
        }
      }
      if (reason) {
        skipped.push(`${label}: ${reason}`);
      }
    }
    const keys = [...byKid].filter(([kid]) => !ambiguous.has(kid)).map(([, { key }]) => key);
    return { keys, skipped, ambiguous: [...ambiguous] };
  }

  /** One warning per fetch, however many entries were left out and why. */
  private warnAboutLeftOut(uri: string, received: number, skipped: string[], ambiguous: string[]): void {
    const { maxKeys } = this.settings;
    const unread = Math.max(0, received - maxKeys);
    const parts: string[] = [];
    if (unread > 0) {
      parts.push(`${received} entries, of which only the first ${maxKeys} were read (${SETTINGS.jwksMaxKeys.option}, ${SETTINGS.jwksMaxKeys.env})`);
    }
    if (skipped.length > 0) {
      const more = skipped.length > REASONS_SHOWN ? `; and ${skipped.length - REASONS_SHOWN} more` : '';
      parts.push(`${skipped.length} entr${skipped.length === 1 ? 'y' : 'ies'} skipped (${skipped.slice(0, REASONS_SHOWN).join('; ')}${more})`);
    }
    if (ambiguous.length > 0) {
      const named = ambiguous.slice(0, REASONS_SHOWN).map(shown).join(', ');
      const more = ambiguous.length > REASONS_SHOWN ? ` and ${ambiguous.length - REASONS_SHOWN} more` : '';
      parts.push(
        `kid${ambiguous.length === 1 ? '' : 's'} ${named}${more} name${ambiguous.length === 1 ? 's' : ''} two different keys, so tokens with ${ambiguous.length === 1 ? 'it' : 'them'} are refused`,
      );
    }
    if (parts.length > 0) {
      this.logger.warn(`JWK Set from ${uri}: ${parts.join('; ')}.`);
    }
  }
}
