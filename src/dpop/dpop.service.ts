import { Inject, Injectable, type ExecutionContext, type Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { hash } from 'node:crypto';
import type { BlockList } from 'node:net';
import { Rs256AuthError, type Rs256AuthErrorCode } from '../errors/rs256-auth.error.js';
import type { JwtClaims } from '../interfaces/jwt-claims.interface.js';
import type { Rs256AuthConfig } from '../options/rs256-auth-config.js';
import { DPOP_MODE_KEY, RS256_AUTH_CONFIG, SESSION_STORE } from '../rs256-auth.constants.js';
import { fromAuthHeader } from '../transports/token-extractors.js';
import type { DpopAlgorithm, DpopMode } from '../options/dpop-config.js';
import { checkedProxyList, fromProxy } from '../options/proxy-addresses.js';
import { DpopNonces } from './dpop-nonces.js';
import { checkProof, normalisedHtu, type CheckedProof } from './dpop-proof.js';
import { ReplayMarks, replayMarkLifetime } from './replay-marks.js';

/** The parts of an HTTP request (Express, Fastify, or GraphQL's over HTTP) a proof is checked against. */
interface HttpRequestLike {
  method?: unknown;
  url?: unknown;
  originalUrl?: unknown;
  headers?: Record<string, string | string[] | undefined>;
  socket?: { encrypted?: boolean; remoteAddress?: string };
}

/**
 * The part of the session store DPoP uses: the Redis store's `markOnce` (see `SessionStore`), typed here by its
 * shape so that this folder does not depend on sessions/, which depends on it.
 */
interface ReplayStore {
  markOnce?(name: string, ttlMs: number): Promise<boolean>;
}

/**
 * What authenticating came to, as far as DPoP is concerned: claims to confirm, a refusal to pass on, or anything
 * else gone wrong (not the client's fault), as `Rs256Strategy`'s `AuthOutcome` has them.
 */
type Outcome =
  | { claims: JwtClaims; refused?: undefined; error?: undefined }
  | { refused: Rs256AuthError; claims?: undefined; error?: undefined }
  | { error: unknown; claims?: undefined; refused?: undefined };

/** Sets a header on the response to the request being authenticated (`DPoP-Nonce`); absent where there is none to set. */
export type ResponseHeaderSetter = (name: string, value: string) => void;

/** A refusal when the library refused, the error as it is otherwise. */
const failed = (error: unknown): Outcome => (error instanceof Rs256AuthError ? { refused: error } : { error });

/** The outcome once the replay cache has answered: as it was for a proof seen the first time, a refusal otherwise. */
function settled<T extends Outcome>(once: boolean, outcome: T): T | Outcome {
  return once ? outcome : { refused: new Rs256AuthError('RS256_DPOP_PROOF_REPLAYED', 'DPoP proof already used') };
}

const RESPONSE = 1;
const QUESTION_MARK = 0x3f;
const NUMBER_SIGN = 0x23;

/**
 * `host[:port]` as RFC 9110 §7.2 has the `Host` header (an RFC 3986 authority without userinfo): a name or IPv4
 * address, or an IPv6 address in brackets. Anything else is refused before the origin is parsed as a URL: Node's
 * HTTP server lets `Host: api.example.com/public#` through, which glued before the path would name `/public`, so a
 * proof for one path would pass for every other.
 */
const HOST = String.raw`(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~-]+)(?::[0-9]{0,5})?`;
const AUTHORITY = new RegExp(`^${HOST}$`);
/** What a trusted proxy's origin header may hold: `scheme://host[:port]`, no userinfo, path, query or fragment. */
const ORIGIN = new RegExp(`^https?://${HOST}$`, 'i');
const dpopToken = fromAuthHeader('DPoP');
const reflector = new Reflector();

function refusal(code: Rs256AuthErrorCode, message: string): Rs256AuthError {
  return new Rs256AuthError(code, message);
}

/** The path of a request target: what comes before its query or fragment (a scan, where a split would build an array). */
function pathOf(target: string): string {
  for (let i = 0; i < target.length; i++) {
    const code = target.charCodeAt(i);
    if (code === QUESTION_MARK || code === NUMBER_SIGN) {
      return target.slice(0, i);
    }
  }
  return target;
}

/** The request when `carrier` is an HTTP request (GraphQL's over HTTP included, not a subscription's context). */
function httpRequestOf(carrier: unknown): HttpRequestLike | undefined {
  const request = carrier as HttpRequestLike | undefined;
  return typeof request?.method === 'string' && typeof request.headers === 'object' && !('connectionParams' in request) ? request : undefined;
}

/**
 * DPoP (RFC 9449) for the guard and the session service: which mode a route is in, the token under the `DPoP`
 * scheme, the proof's checks (§4.3), the replay cache (in the Redis session store when there is one, so a proof is
 * accepted once across instances, in this process otherwise), server nonces (§8) and the challenges (§7).
 */
@Injectable()
export class DpopService {
  private readonly algorithms: ReadonlySet<DpopAlgorithm>;
  /** The accepted algorithms as a challenge's `algs` announces them (RFC 9449 §7.1). */
  readonly algs: string;
  private readonly nonces: DpopNonces | undefined;
  private readonly marks = new ReplayMarks();
  private readonly modes = new WeakMap<object, DpopMode>();
  /** The proxies whose origin header is believed (JWT_DPOP_ORIGIN_HEADER, JWT_DPOP_TRUSTED_PROXIES), if any. */
  private readonly proxies: { readonly header: string; readonly list: BlockList } | undefined;

  constructor(
    @Inject(RS256_AUTH_CONFIG) private readonly config: Rs256AuthConfig,
    @Inject(SESSION_STORE) private readonly store: ReplayStore | null,
  ) {
    this.algorithms = new Set(config.dpop.algorithms);
    this.algs = config.dpop.algorithms.join(' ');
    this.nonces = config.dpop.nonce && new DpopNonces(config.dpop.nonce.secret, config.dpop.nonce.lifetime * 1000);
    const { origin } = config.dpop;
    // Start-up has checked every address, so the list builds.
    this.proxies = origin && { header: origin.header, list: checkedProxyList(origin.trustedProxies) };
  }

  /** The route's mode: its `@Dpop()` (the method's over the class's), else `JWT_DPOP`. Read once per route. */
  modeFor(context: ExecutionContext): DpopMode {
    const handler = context.getHandler();
    let mode = this.modes.get(handler);
    if (mode === undefined) {
      mode = reflector.getAllAndOverride<DpopMode | undefined>(DPOP_MODE_KEY, [handler, context.getClass() as Type]) ?? this.config.dpop.mode;
      this.modes.set(handler, mode);
    }
    return mode;
  }

  /** The access token of an `Authorization: DPoP <token>` header; `undefined` for any other request. */
  tokenOf(carrier: unknown): string | undefined {
    const request = httpRequestOf(carrier);
    return (request && dpopToken(request)) || undefined;
  }

  /**
   * Confirms an accepted token's binding (RFC 9449 §7): under `DPoP` it must be bound (`cnf.jkt`) to the key of a
   * valid proof for this request, seen for the first time; under any other scheme (and on transports without
   * proofs) it must not be bound, and the route must not require DPoP. Anything else is turned into a refusal.
   * It is the one DPoP check of every path a token comes in by: `JwtAuthGuard` (with the route's mode), the
   * passport strategy and connection handshakes (with the module's).
   * @param token the token under the `DPoP` scheme; `undefined` when it came another way
   * @param setHeader where a `DPoP-Nonce` goes (RFC 9449 §8); `undefined` where the response cannot be reached
   */
  confirm<T extends Outcome>(
    carrier: unknown,
    token: string | undefined,
    outcome: T,
    mode: DpopMode,
    setHeader: ResponseHeaderSetter | undefined,
  ): T | Outcome | Promise<T | Outcome> {
    if (!outcome.claims) {
      return outcome;
    }
    const jkt = (outcome.claims.cnf as { jkt?: unknown } | undefined)?.jkt;
    try {
      if (token === undefined) {
        if (mode === 'required') {
          throw refusal('RS256_DPOP_REQUIRED', 'DPoP-bound token and proof required');
        }
        if (jkt !== undefined) {
          throw refusal('RS256_DPOP_TOKEN_BOUND', 'DPoP-bound token presented without its proof');
        }
        return outcome;
      }
      // A token under the DPoP scheme was read from an HTTP request (tokenOf): where there is none, no proof either.
      const request = httpRequestOf(carrier);
      if (!request) throw refusal('RS256_DPOP_PROOF_MISSING', 'DPoP proof missing');
      const proof = this.check(request, token);
      if (typeof jkt !== 'string') {
        throw refusal('RS256_DPOP_TOKEN_UNBOUND', 'token is not DPoP-bound (no cnf.jkt)');
      }
      if (jkt !== proof.jkt) {
        throw refusal('RS256_DPOP_KEY_MISMATCH', 'DPoP proof key does not match the token binding (cnf.jkt)');
      }
      this.checkNonce(proof, setHeader);
      const first = this.markOnce(proof);
      // The in-process replay cache answers at once: no closure for it; the shared store's promise gets one.
      return typeof first === 'boolean' ? settled(first, outcome) : first.then((once) => settled(once, outcome), failed);
    } catch (error) {
      if (error instanceof Rs256AuthError && error.code === 'RS256_DPOP_NONCE_REQUIRED') {
        if (this.nonces) setHeader?.('DPoP-Nonce', this.nonces.current());
      }
      return failed(error);
    }
  }

  /**
   * The key a token request proves (RFC 9449 §5), for binding the tokens it gets: the RFC 7638 thumbprint of a
   * valid proof's key, checked against `request` (no `ath`: there is no access token yet), its `jti` marked used and
   * its nonce checked when nonces are on; `undefined` when the request carries no `DPoP` header, or when JWT_DPOP is
   * `off` (the tokens are then bearer tokens).
   * @param request the HTTP request (Express or Fastify) of the sign-in or refresh route
   * @throws Rs256AuthError with an `RS256_DPOP_*` code (a 400 `invalid_dpop_proof` or `use_dpop_nonce` through
   * `SessionErrorFilter`), `RS256_SESSION_STORE_UNAVAILABLE`
   */
  async proofKey(request: object): Promise<string | undefined> {
    const http = httpRequestOf(request);
    // With JWT_DPOP off no bound token would be accepted anywhere (`refuseUnproven`): none is issued.
    if (this.config.dpop.mode === 'off' || !http || http.headers?.dpop === undefined) {
      return undefined;
    }
    const proof = this.check(http, undefined);
    if (this.nonces && this.nonces.check(proof.nonce) === 'invalid') {
      throw refusal('RS256_DPOP_NONCE_REQUIRED', 'DPoP proof must carry a current server nonce');
    }
    if (!(await this.markOnce(proof))) {
      throw refusal('RS256_DPOP_PROOF_REPLAYED', 'DPoP proof already used');
    }
    return proof.jkt;
  }

  /** The nonce clients should use now (`DPoP-Nonce`); `undefined` when nonces are off. */
  currentNonce(): string | undefined {
    return this.nonces?.current();
  }

  /** The stateless part of RFC 9449 §4.3: one proof, valid for this request (and this token, with `ath`). */
  private check(request: HttpRequestLike, token: string | undefined): CheckedProof {
    const proof = request.headers?.dpop;
    if (proof === undefined) {
      throw refusal('RS256_DPOP_PROOF_MISSING', 'DPoP proof missing');
    }
    // Node joins repeated unknown headers with ", ", and a JWT has no comma: either way, not exactly one proof.
    if (typeof proof !== 'string' || proof.includes(',')) {
      throw refusal('RS256_DPOP_PROOF_INVALID', 'more than one DPoP proof');
    }
    const { proofMaxAge } = this.config.dpop;
    return checkProof(proof, {
      method: request.method as string,
      url: this.targetUri(request),
      accessToken: token,
      algorithms: this.algorithms,
      maxAge: proofMaxAge,
      leeway: this.config.clockTolerance,
      now: Math.floor(Date.now() / 1000),
    });
  }

  /**
   * The URI the client addressed, as `htu` must name it: the origin (from the trusted proxy's header on a connection
   * from one of its addresses, else `Host` and the connection's TLS) and the path, without query or fragment. The
   * path is appended to the origin, never resolved against it, so a path starting with `//` cannot name another host.
   */
  private targetUri(request: HttpRequestLike): string {
    let origin: string | undefined;
    if (this.proxies && fromProxy(this.proxies.list, request.socket?.remoteAddress)) {
      const value = request.headers?.[this.proxies.header];
      origin = typeof value === 'string' ? value.trim() : undefined;
      if (origin !== undefined && !ORIGIN.test(origin)) {
        throw refusal('RS256_DPOP_PROOF_URL', `request origin invalid: the ${this.proxies.header} header is not scheme://host[:port]`);
      }
    } else {
      const host = request.headers?.host;
      if (typeof host === 'string' && !AUTHORITY.test(host)) {
        throw refusal('RS256_DPOP_PROOF_URL', 'request origin invalid: the Host header is not host[:port]');
      }
      origin = typeof host === 'string' ? `${request.socket?.encrypted ? 'https' : 'http'}://${host}` : undefined;
    }
    const path = pathOf(String(request.originalUrl ?? request.url ?? '/'));
    // Normalised as `htu` is (and remembered alike): the two then compare as strings.
    const url = origin === undefined ? undefined : normalisedHtu(`${origin}${path.startsWith('/') ? path : `/${path}`}`);
    if (url === undefined) {
      throw refusal('RS256_DPOP_PROOF_URL', 'request URL unknown: no valid origin to check the DPoP proof htu against');
    }
    return url;
  }

  private checkNonce(proof: CheckedProof, setHeader: ResponseHeaderSetter | undefined): void {
    if (!this.nonces) {
      return;
    }
    const state = this.nonces.check(proof.nonce);
    if (state === 'invalid') {
      throw refusal('RS256_DPOP_NONCE_REQUIRED', 'DPoP proof must carry a current server nonce');
    }
    if (state === 'previous') {
      // RFC 9449 §8.2: a fresh nonce on a successful response, before the one in use stops being accepted.
      setHeader?.('DPoP-Nonce', this.nonces.current());
    }
  }

  /**
   * Marks the proof used until it would be refused as stale anyway: in the shared store when there is one (a
   * replay to another instance is refused there too), in this process otherwise. The key is a hash of the key and
   * `jti`, so one client cannot use up another's `jti`s and the key's length does not depend on the client.
   */
  private markOnce(proof: CheckedProof): boolean | Promise<boolean> {
    const name = hash('sha256', `${proof.jkt}.${proof.jti}`, 'base64url');
    const ttlMs = replayMarkLifetime(this.config.dpop.proofMaxAge, this.config.clockTolerance);
    return this.store?.markOnce ? this.store.markOnce(`dpop:${name}`, ttlMs) : this.marks.markOnce(name, ttlMs);
  }

  /** Where the guard's `DPoP-Nonce` goes: the HTTP response (Express's or Fastify's `header`); none elsewhere. */
  headerSetter(context: ExecutionContext): ResponseHeaderSetter | undefined {
    if (context.getType() !== 'http') {
      return undefined;
    }
    const response = context.getArgByIndex<{ header?: (name: string, value: string) => unknown } | undefined>(RESPONSE);
    const header = response?.header;
    return header && ((name, value) => header.call(response, name, value));
  }
}
