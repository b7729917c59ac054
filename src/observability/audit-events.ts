import { Inject, Injectable, Logger, Optional, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { messageOf } from '../errors/rs256-auth.error.js';
import { RS256_AUTH_MODULE_OPTIONS } from '../rs256-auth.constants.js';
import { redactedText } from './redacted-url.js';

/**
 * The events a security team wants in its SIEM, delivered to the `observability.onAuditEvent` option. Each carries its `type` and
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
  | {
      readonly type: 'keys_reloaded';
      readonly at: Date;
      readonly source: 'local' | 'remote';
      readonly kids: readonly string[];
      readonly issuer?: string;
      readonly jwksUri?: string;
    }
  /** Fetching a JWK Set, or the issuer metadata that points at it, failed; the cached keys stay in use. */
  | { readonly type: 'jwks_fetch_failed'; readonly at: Date; readonly document: 'jwks' | 'discovery'; readonly uri: string; readonly reason: string }
  /**
   * Tokens of an issuer not seen before were refused without asking the `issuerResolver`: more new issuers in a
   * minute than `keys.newIssuersPerMinute` allows. Sent at most once a minute, as the warning it goes with.
   */
  | { readonly type: 'issuer_resolution_refused'; readonly at: Date; readonly newIssuersPerMinute: number };

/** An event as a sender describes it; the time is added on sending. */
export type AuditEventInput = Rs256AuthAuditEvent extends infer E ? (E extends { at: Date } ? Omit<E, 'at'> : never) : never;

/** What is used of `@nestjs/event-emitter`'s `EventEmitter2`. */
interface EventEmitter {
  emitAsync(event: string, ...values: unknown[]): Promise<unknown[]>;
}

/**
 * Sends audit events to the application's `observability.onAuditEvent` subscriber and, when the application has set up
 * `@nestjs/event-emitter` (`EventEmitterModule.forRoot()`), as `rs256auth.<type>` events (`@OnEvent('rs256auth.*')`
 * with a wildcard emitter, or `@OnEvent('rs256auth.refresh_token_reused')`). Off the request path: the calls are made on
 * a later turn of the event loop, a promise they return is not awaited, and what they throw (or reject with) is
 * caught and logged, once, so a slow or failing subscriber never delays or fails a request.
 */
@Injectable()
export class AuditTrail implements OnModuleInit {
  private readonly logger = new Logger('Rs256Auth');
  private readonly subscriber?: (event: Rs256AuthAuditEvent) => unknown;
  private emitter?: EventEmitter;
  private failureLogged = false;
  private readonly fail = (error: unknown): void => {
    if (!this.failureLogged) {
      this.failureLogged = true;
      this.logger.error(`An audit event subscriber failed (${redactedText(messageOf(error))}); further failures are not logged.`);
    }
  };

  /** @param options the module's options, of which only `observability.onAuditEvent` is read here */
  constructor(
    @Optional() @Inject(RS256_AUTH_MODULE_OPTIONS) options?: { observability?: { onAuditEvent?: (event: Rs256AuthAuditEvent) => unknown } },
    @Optional() private readonly moduleRef?: ModuleRef,
  ) {
    this.subscriber = options?.observability?.onAuditEvent;
  }

  /** Finds the application's `EventEmitter2`, if `@nestjs/event-emitter` is installed and set up; loads nothing otherwise. */
  async onModuleInit(): Promise<void> {
    try {
      const { EventEmitter2 } = await import('@nestjs/event-emitter');
      this.emitter = this.moduleRef?.get(EventEmitter2, { strict: false });
    } catch {
      // Not installed, or EventEmitterModule not imported: the option alone receives events.
    }
  }

  emit(input: AuditEventInput): void {
    const { subscriber, emitter } = this;
    if (subscriber === undefined && emitter === undefined) return;
    const event = { ...input, at: new Date() } as Rs256AuthAuditEvent;
    setImmediate(() => {
      this.deliver(() => subscriber?.(event));
      this.deliver(() => emitter?.emitAsync(`rs256auth.${event.type}`, event));
    });
  }

  private deliver(send: () => unknown): void {
    try {
      const result = send();
      if (result instanceof Promise) result.catch(this.fail);
    } catch (error) {
      this.fail(error);
    }
  }
}
