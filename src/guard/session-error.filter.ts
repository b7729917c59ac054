import { Catch, Inject, Injectable, Optional, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { throwError, type Observable } from 'rxjs';
import type { Rs256AuthConfig } from '../options/rs256-auth-config.js';
import { Rs256AuthError, type Rs256AuthErrorCode } from '../errors/rs256-auth.error.js';
import { wwwAuthenticate } from './www-authenticate.js';
import { RS256_AUTH_CONFIG } from '../rs256-auth.constants.js';
import { DpopService } from '../dpop/dpop.service.js';
import { DPOP_TOKEN_REQUEST_CODES, dpopTokenError } from '../errors/dpop-codes.js';
import { RETRY_AFTER_SECONDS, refusalBody, type AuthRefusal } from '../transports/auth-refusal.js';
import { GraphqlAuthError } from '../transports/graphql.transport.js';
import { sendException, type GatewayClient } from '../transports/ws.transport.js';

/** The session failures a client is told about, with their HTTP status: its refresh token, or a store that is down. */
const STATUS: ReadonlyMap<Rs256AuthErrorCode, 400 | 401 | 503> = new Map<Rs256AuthErrorCode, 400 | 401 | 503>([
  ...DPOP_TOKEN_REQUEST_CODES.map((code) => [code, 400] as const),
  ['RS256_REFRESH_TOKEN_INVALID', 401],
  ['RS256_REFRESH_TOKEN_REUSED', 401],
  ['RS256_SESSION_STORE_UNAVAILABLE', 503],
  // `JwtService.verify` in an application's handler while the revocation list cannot be trusted.
  ['RS256_TOKEN_REVOCATION_STALE', 503],
]);

/**
 * What `SessionErrorFilter` catches: an `Rs256AuthError` with one of the codes above (`@Catch` matches with
 * `instanceof`). Every other error, the library's own included, goes on to the application's filters or Nest's as
 * if this filter did not exist.
 */
// eslint-disable-next-line @typescript-eslint/no-extraneous-class -- a class only so that `@Catch` can match with instanceof.
export abstract class SessionFailure {
  static [Symbol.hasInstance](value: unknown): boolean {
    return value instanceof Rs256AuthError && STATUS.has(value.code);
  }
}

/**
 * Answers `SessionService` failures for the application, registered by `Rs256AuthModule` as a global filter, so
 * that `sessions.refresh(token)` in any handler needs no try/catch: a refused refresh token (`RS256_REFRESH_TOKEN_INVALID`,
 * `RS256_REFRESH_TOKEN_REUSED`) is a 401 whose body carries the `code`, and a session store that is unreachable
 * (`RS256_SESSION_STORE_UNAVAILABLE`) a 503 with `Retry-After`. Over GraphQL the same refusal is an error with
 * `extensions.code` `UNAUTHENTICATED` or `SERVICE_UNAVAILABLE`; in a gateway an `exception` event, in a
 * microservice an error, both `{ status: 'error', code, message }`. A filter of the application's own for these
 * errors, on a handler or controller, takes precedence. Nest applies no global filter to WebSocket gateways: there,
 * `@UseFilters(SessionErrorFilter)` on the gateway or handler.
 */
@Catch(SessionFailure)
@Injectable()
export class SessionErrorFilter implements ExceptionFilter<Rs256AuthError> {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(RS256_AUTH_CONFIG) private readonly config: Rs256AuthConfig,
    @Optional() private readonly dpop?: DpopService,
  ) {}

  // eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- Nest's ExceptionFilter returns an Observable or nothing.
  catch(error: Rs256AuthError, host: ArgumentsHost): Observable<never> | void {
    const status = STATUS.get(error.code) ?? 503;
    const refusal: AuthRefusal =
      status === 503
        ? { code: 'SERVICE_UNAVAILABLE', message: error.message, reason: error.code, retryAfter: RETRY_AFTER_SECONDS }
        : { code: 'UNAUTHENTICATED', message: error.message, reason: error.code };
    switch (host.getType<string>()) {
      case 'graphql':
        throw GraphqlAuthError.from(refusal);
      case 'ws':
        sendException(host.switchToWs().getClient<GatewayClient>(), refusalBody(refusal));
        return;
      case 'rpc':
        // What Nest's own RPC filter answers for an RpcException with this body.
        return throwError(() => refusalBody(refusal));
      default:
        this.reply(host, status, error);
    }
  }

  private reply(host: ArgumentsHost, status: 400 | 401 | 503, error: Rs256AuthError): void {
    const adapter = this.adapterHost.httpAdapter;
    const response: unknown = host.switchToHttp().getResponse();
    if (status === 400) {
      // A token request's DPoP proof refused: RFC 9449 §5 and §8's error response, with a nonce when one is asked for.
      const nonce = error.code === 'RS256_DPOP_NONCE_REQUIRED' ? this.dpop?.currentNonce() : undefined;
      if (nonce !== undefined) adapter.setHeader(response, 'DPoP-Nonce', nonce);
      adapter.reply(response, { statusCode: 400, ...dpopTokenError(error), message: error.message, code: error.code }, 400);
      return;
    }
    if (status === 503) {
      adapter.setHeader(response, 'Retry-After', String(RETRY_AFTER_SECONDS));
    } else {
      // A 401 names its scheme (RFC 9110 §15.5.2); the reason is the body's `code`: the request carried no bad access token.
      adapter.setHeader(response, 'WWW-Authenticate', wwwAuthenticate(this.config, { reason: 'missing_token' }));
    }
    const title = status === 503 ? 'Service Unavailable' : 'Unauthorized';
    adapter.reply(response, { statusCode: status, error: title, message: error.message, code: error.code }, status);
  }
}
