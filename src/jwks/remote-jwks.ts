import { Inject, Injectable, Logger, type OnApplicationBootstrap } from '@nestjs/common';
import { createPublicKey, type JsonWebKey } from 'node:crypto';
import type { RemoteJWKSet } from 'jose' with { 'resolution-mode': 'import' };
import type { Rs256AuthConfig } from '../config/rs256-auth.config.js';
import { rsaKeyProblem, rsaThumbprint } from '../keys/key-loader.js';
import { KeySet, verificationKey, type VerificationKey } from '../keys/key-set.js';
import { loadJose } from './jose.loader.js';
import { RS256_AUTH_CONFIG } from '../rs256-auth.constants.js';

/** Why a JWKS entry cannot verify RS256 tokens, or `null` if it can. */
function unusable(jwk: Record<string, unknown>): string | null {
  if (jwk.kty !== 'RSA') return `kty is ${String(jwk.kty)}, not RSA`;
  if (jwk.alg !== undefined && jwk.alg !== 'RS256') return `alg is ${String(jwk.alg)}, not RS256`;
  if (jwk.use !== undefined && jwk.use !== 'sig') return `use is ${String(jwk.use)}, not sig`;
  if (Array.isArray(jwk.key_ops) && !jwk.key_ops.includes('verify')) return 'key_ops does not include verify';
  if (jwk.kid !== undefined && typeof jwk.kid !== 'string') return 'kid is not a string';
  return null;
}

/**
 * Resource-server mode: verification keys come from an issuer's JWK Set (`JWT_JWKS_URI`) instead of local files.
 * jose's remote JWK Set does the HTTP (fetch, timeout, JSON checks, one request at a time); this class turns the
 * set into the key set and decides when to fetch:
 *
 * - at start-up, without holding the application back if the issuer is down (it is logged);
 * - in the background once the set is older than its max age, while the cached keys keep serving;
 * - when a token names an unknown `kid`, at most once per cooldown window whatever the outcome, so a flood of
 *   random `kid`s, or an issuer that is down, never turns into a flood of requests at the issuer.
 *
 * A failed fetch keeps the cached keys in use; unusable entries (not RSA, not RS256, malformed, too small, a weak exponent) are
 * skipped with a warning.
 */
@Injectable()
export class RemoteJwks implements OnApplicationBootstrap {
  private readonly logger = new Logger('Rs256Auth');
  /** Set at start-up in resource-server mode (jose is loaded only then, see loadJose). */
  private remote?: RemoteJWKSet;
  private lastAttempt = Number.NEGATIVE_INFINITY;
  private inFlight?: Promise<boolean>;

  constructor(@Inject(RS256_AUTH_CONFIG) private readonly config: Rs256AuthConfig) {}

  /** True in resource-server mode. */
  get enabled(): boolean {
    return this.config.remoteJwks !== undefined;
  }

  async onApplicationBootstrap(): Promise<void> {
    const settings = this.config.remoteJwks;
    if (settings) {
      const { createRemoteJWKSet } = await loadJose();
      this.remote = createRemoteJWKSet(settings.uri, {
        timeoutDuration: settings.timeoutMs,
        cacheMaxAge: settings.cacheMaxAgeMs,
        // Fetches go through refresh(), which applies its own cooldown to failed attempts too.
        cooldownDuration: 0,
      });
      await this.refresh();
    }
  }

  /** Per request, and cheap: starts a background fetch once the cached set is older than its max age. */
  refreshIfStale(): void {
    if (this.remote && !this.remote.fresh) {
      void this.refresh();
    }
  }

  /**
   * Fetches the set unless a fetch started within the cooldown window; concurrent callers share one fetch.
   * Resolves to whether the key set changed.
   */
  refresh(): Promise<boolean> {
    if (!this.remote) return Promise.resolve(false);
    if (this.inFlight) return this.inFlight;
    const now = Date.now();
    if (now - this.lastAttempt < this.config.remoteJwks!.cooldownMs) return Promise.resolve(false);
    this.lastAttempt = now;
    this.inFlight = this.fetch(this.remote).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetch(remote: RemoteJWKSet): Promise<boolean> {
    const uri = this.config.remoteJwks!.uri.href;
    try {
      await remote.reload();
    } catch (error) {
      const cached = this.config.keyStore.keys.verificationKeys.length;
      this.logger.warn(`Fetching the JWK Set from ${uri} failed (${error instanceof Error ? error.message : String(error)}); ${cached} cached key(s) stay in use.`);
      return false;
    }
    const keys = this.toVerificationKeys(remote.jwks()?.keys ?? [], uri);
    const current = this.config.keyStore.keys.verificationKeys;
    const fingerprint = (list: readonly VerificationKey[]): string => list.map((key) => `${key.kid}:${rsaThumbprint(key.key)}`).join(',');
    // An unchanged set keeps its identity, so the verified-token cache survives routine refreshes.
    if (fingerprint(keys) === fingerprint(current)) {
      return false;
    }
    this.config.keyStore.replace(new KeySet(keys));
    this.logger.log(`JWK Set from ${uri}: verification kids [${keys.map((key) => key.kid).join(', ')}].`);
    return true;
  }

  private toVerificationKeys(entries: unknown[], uri: string): VerificationKey[] {
    const keys: VerificationKey[] = [];
    for (const entry of entries) {
      const jwk = (typeof entry === 'object' && entry !== null ? entry : {}) as Record<string, unknown>;
      const label = typeof jwk.kid === 'string' ? `"${jwk.kid}"` : '(no kid)';
      let reason = unusable(jwk);
      if (!reason) {
        try {
          // Only the public members: a set that wrongly publishes private ones still yields just the public key.
          const key = createPublicKey({ key: { kty: 'RSA', n: jwk.n, e: jwk.e } as JsonWebKey, format: 'jwk' });
          reason = rsaKeyProblem(key)?.reason ?? null;
          if (!reason) {
            keys.push(verificationKey((jwk.kid as string | undefined) ?? rsaThumbprint(key), key));
          }
        } catch {
          reason = 'n or e is malformed';
        }
      }
      if (reason) {
        this.logger.warn(`Skipping JWK Set entry ${label} from ${uri}: ${reason}.`);
      }
    }
    return keys;
  }
}
