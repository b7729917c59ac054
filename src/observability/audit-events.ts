import { Inject, Injectable, Logger, Optional } from '@nestjs/common';
import { messageOf } from '../errors/rs256-auth.error.js';
import { RS256_AUTH_MODULE_OPTIONS } from '../rs256-auth.constants.js';
import { redactedText } from './redacted-url.js';

/**
 * The events a security team wants in its SIEM, delivered to the `onAuditEvent` option. Each carries its `type` and
 * the time it happened; identifiers are the library's own (session ids, subjects), never a token or key material,
 * and URLs are redacted as log lines are.
 */
export type Rs256AuthAuditEvent =
  /** A spent refresh token was presented again after the reuse grace period: its session is now revoked. */
  | { readonly type: 'refresh_token_reused'; readonly at: Date; readonly sessionId: string; readonly subject: string }
  /** `SessionService.revokeSubject`: every token of the subject issued until now is revoked. */
  | { readonly type: 'signed_out_everywhere'; readonly at: Date; readonly subject: string }
  /** `SessionService.revokeIssuedBefore`: every token issued until `before` (now, when not given) is revoked. */
  | { readonly type: 'bulk_cut_off'; readonly at: Date; readonly before?: Date }
  /** The keys in use changed: key files re-read, or a fetched JWK Set that differs (the first one included). */
  | { readonly type: 'keys_reloaded'; readonly at: Date; readonly source: 'local' | 'remote'; readonly kids: readonly string[]; readonly issuer?: string; readonly jwksUri?: string }
  /** Fetching a JWK Set, or the issuer metadata that points at it, failed; the cached keys stay in use. */
  | { readonly type: 'jwks_fetch_failed'; readonly at: Date; readonly document: 'jwks' | 'discovery'; readonly uri: string; readonly reason: string }
  /**
   * Tokens of an issuer not seen before were refused without asking the `issuerResolver`: more new issuers in a
   * minute than `newIssuersPerMinute` allows. Sent at most once a minute, as the warning it goes with.
   */
  | { readonly type: 'issuer_resolution_refused'; readonly at: Date; readonly newIssuersPerMinute: number };

/** An event as a sender describes it; the time is added on sending. */
export type AuditEventInput = Rs256AuthAuditEvent extends infer E ? (E extends { at: Date } ? Omit<E, 'at'> : never) : never;

/**
 * Sends audit events to the application's `onAuditEvent` subscriber, off the request path: the call is made on a
 * later turn of the event loop, a promise it returns is not awaited, and what it throws (or rejects with) is caught
 * and logged, once, so a slow or failing subscriber never delays or fails a request.
 */
@Injectable()
export class AuditTrail {
  private readonly logger = new Logger('Rs256Auth');
  private readonly subscriber?: (event: Rs256AuthAuditEvent) => unknown;
  private failureLogged = false;
  private readonly fail = (error: unknown): void => {
    if (!this.failureLogged) {
      this.failureLogged = true;
      this.logger.error(`The onAuditEvent subscriber failed (${redactedText(messageOf(error))}); further failures are not logged.`);
    }
  };

  /** @param options the module's options, of which only `onAuditEvent` is read here */
  constructor(@Optional() @Inject(RS256_AUTH_MODULE_OPTIONS) options?: { onAuditEvent?: (event: Rs256AuthAuditEvent) => unknown }) {
    this.subscriber = options?.onAuditEvent;
  }

  emit(input: AuditEventInput): void {
    const subscriber = this.subscriber;
    if (subscriber === undefined) return;
    const event = { ...input, at: new Date() } as Rs256AuthAuditEvent;
    setImmediate(() => {
      try {
        const result = subscriber(event);
        if (result instanceof Promise) result.catch(this.fail);
      } catch (error) {
        this.fail(error);
      }
    });
  }
}
