import { HttpException, Inject, Injectable, Optional } from '@nestjs/common';
import {
  metrics,
  ValueType,
  type Attributes,
  type Counter,
  type Histogram,
  type Meter,
  type MeterProvider,
  type ObservableResult,
} from '@opentelemetry/api';
import { performance } from 'node:perf_hooks';
import { DPOP_CODES } from '../errors/dpop-codes.js';
import { Rs256AuthError, type Rs256AuthErrorCode } from '../errors/rs256-auth.error.js';
import { RS256_AUTH_MODULE_OPTIONS } from '../rs256-auth.constants.js';

/** The meter's name: the instrumentation scope every instrument of this library reports under. */
export const METER_NAME = 'nestjs-rs256-auth';

/** What became of one authenticated request (the `rs256auth.outcome` attribute). */
export type VerificationOutcome = 'accepted' | 'refused' | 'forbidden' | 'unavailable' | 'error';
/** The transports the guard knows (`ExecutionContext.getType()`); anything else is counted as `http`, as it is served. */
const TRANSPORTS = ['http', 'graphql', 'ws', 'rpc'] as const;
/** Refusal reasons a verification can end with: the `error.type` attribute, a closed set. */
const REASONS: readonly (Rs256AuthErrorCode | 'other')[] = [
  'RS256_TOKEN_MISSING',
  'RS256_TOKEN_TOO_LARGE',
  'RS256_TOKEN_MALFORMED',
  'RS256_TOKEN_ALGORITHM',
  'RS256_TOKEN_TYPE',
  'RS256_TOKEN_CRIT_UNSUPPORTED',
  'RS256_TOKEN_HEADER_KEY',
  'RS256_TOKEN_KID_UNKNOWN',
  'RS256_TOKEN_KEYS_STALE',
  'RS256_TOKEN_SIGNATURE',
  'RS256_TOKEN_EXPIRED',
  'RS256_TOKEN_NOT_YET_VALID',
  'RS256_TOKEN_ISSUER',
  'RS256_TOKEN_AUDIENCE',
  'RS256_TOKEN_CLAIM_MISSING',
  'RS256_TOKEN_CLAIM_INVALID',
  'RS256_TOKEN_REJECTED',
  'RS256_TOKEN_REVOKED',
  'RS256_TOKEN_REVOCATION_STALE',
  'RS256_INSUFFICIENT_CLAIMS',
  ...DPOP_CODES,
  // The Redis store unreachable for a DPoP proof's replay check: answered 503, like a stale revocation list.
  'RS256_SESSION_STORE_UNAVAILABLE',
  'other',
];
/** Statuses of a refusal whose code is not the library's (a subclass's own exception): counted with reason `other`. */
const REFUSAL_STATUSES: ReadonlySet<number> = new Set([401, 403, 503]);

/** Which document a fetch asked the issuer for. */
export type FetchedDocument = 'jwks' | 'discovery';
/** What a fetch came to: a new key set, the same one, issuer metadata found (discovery), or nothing usable. */
export type FetchOutcome = 'changed' | 'unchanged' | 'succeeded' | 'failed';
/** Session operations counted by `rs256auth.session.operations`. */
export type SessionOperation = 'issued' | 'refreshed' | 'reuse_detected' | 'revoked';

/**
 * Seconds buckets for authentication times: a cached token takes a microsecond or so, an RSA-2048 verification some
 * tens, an RSA-4096 one or an async `validate` up to milliseconds; the SDK's default buckets (from 5 s up) would put every one in the first.
 */
const VERIFICATION_BUCKETS = [0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1];
/** Seconds buckets for a revocation's way to the other instances: milliseconds on a healthy network, seconds when not. */
const PROPAGATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Verification times held between two collections before they are recorded anyway (9 KiB with their attributes). */
export const PENDING_CAPACITY = 1024;
/** Seconds buckets for fetches from an issuer, bounded by `keys.remote.timeout`. */
const FETCH_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Reads a current value for an observable instrument; `undefined` when there is nothing to report. */
export type Gauge = () => number | undefined;

/**
 * The library's OpenTelemetry instruments (listed with their units in docs/observability.md). Through
 * `@opentelemetry/api` alone they are no-ops; they report once the application registers an SDK's meter provider
 * before the module is built, or passes one as the `observability.meterProvider` option.
 *
 * Recording allocates nothing on the request path: every attribute set is built once, here, for each combination of
 * its closed values, and a verification picks one. No token, subject, key or issuer URL ever becomes an attribute.
 */
@Injectable()
export class AuthMetrics {
  private readonly meter: Meter;
  private readonly verificationDuration: Histogram;
  /**
   * Verifications counted here, by transport and reason, and handed to the SDK only when it collects (an observable
   * counter): a plain array increment per request, where an SDK record costs an attribute hash.
   */
  private readonly counts: number[];
  private readonly countAttributes: Attributes[] = [];
  /** Index of the first count of each transport, then offset of each reason (or `accepted`, `error`). */
  private readonly transportBase = new Map<string, number>();
  private readonly reasonOffset = new Map<string, number>();
  /** Where `reasonOf` found no listed code: `other` (every reason it returns is listed, so never used in practice). */
  private otherOffset = 0;
  private readonly fetches: Counter;
  private readonly fetchDuration: Histogram;
  private readonly sessionOperations: Counter;
  private readonly propagation: Histogram;
  /** Histogram attributes by outcome, each twice: not cached (even index), cached (odd). */
  private readonly durationAttributes: Attributes[] = [];
  private readonly durationOffset: Record<VerificationOutcome, number> = { accepted: 0, refused: 0, forbidden: 0, unavailable: 0, error: 0 };
  /**
   * Verification times not yet handed to the histogram, with the index of their attributes: recorded in one loop
   * when the SDK collects (the verifications counter's callback, which runs before the histogram is read), or when
   * the buffer is full. A request then costs two array stores where an SDK record costs an attribute hash.
   */
  private readonly pendingSeconds = new Float64Array(PENDING_CAPACITY);
  private readonly pendingAttributes = new Uint8Array(PENDING_CAPACITY);
  private pending = 0;
  private readonly fetchAttributes = new Map<string, Attributes>();
  private readonly sessionAttributes = new Map<SessionOperation, Attributes>();
  /** The start of the verification under way, and of the last one answered from the cache: see {@link start}. */
  private current = Number.NaN;
  private hitFor = Number.NaN;

  /** @param options the module's options, of which only `observability.meterProvider` is read here */
  constructor(@Optional() @Inject(RS256_AUTH_MODULE_OPTIONS) options?: { observability?: { meterProvider?: MeterProvider } }) {
    this.meter = (options?.observability?.meterProvider ?? metrics.getMeterProvider()).getMeter(METER_NAME);
    const meter = this.meter;
    this.verificationDuration = meter.createHistogram('rs256auth.token.verification.duration', {
      description: 'Time to authenticate a request: token extraction, verification, revocation check, validate and claim requirements.',
      unit: 's',
      advice: { explicitBucketBoundaries: VERIFICATION_BUCKETS },
    });
    const verifications = meter.createObservableCounter('rs256auth.token.verifications', {
      description: 'Authenticated requests, by outcome, transport and refusal reason (error.type).',
      unit: '{verification}',
      valueType: ValueType.INT,
    });
    this.fetches = meter.createCounter('rs256auth.issuer.fetches', {
      description: 'Fetches of a JWK Set or of issuer metadata (discovery), by document and outcome.',
      unit: '{fetch}',
      valueType: ValueType.INT,
    });
    this.fetchDuration = meter.createHistogram('rs256auth.issuer.fetch.duration', {
      description: 'Duration of fetches of a JWK Set or of issuer metadata, by document and outcome.',
      unit: 's',
      advice: { explicitBucketBoundaries: FETCH_BUCKETS },
    });
    this.sessionOperations = meter.createCounter('rs256auth.session.operations', {
      description: 'Sessions issued and refreshed, refresh-token reuse detected, and revocations recorded.',
      unit: '{operation}',
      valueType: ValueType.INT,
    });
    this.propagation = meter.createHistogram('rs256auth.revocation.propagation.duration', {
      description: "Time from a revocation's recording by the shared session store (its clock) to its arrival on this instance (this one's).",
      unit: 's',
      advice: { explicitBucketBoundaries: PROPAGATION_BUCKETS },
    });
    const reasons = ['accepted', 'error', ...REASONS];
    reasons.forEach((reason, offset) => this.reasonOffset.set(reason, offset));
    this.otherOffset = reasons.indexOf('other');
    for (const transport of TRANSPORTS) {
      this.transportBase.set(transport, this.countAttributes.length);
      for (const reason of reasons) {
        const outcome = outcomeOf(reason);
        this.countAttributes.push({
          'rs256auth.outcome': outcome,
          'rs256auth.transport': transport,
          ...(outcome !== 'accepted' && outcome !== 'error' && { 'error.type': reason }),
        });
      }
    }
    this.counts = this.countAttributes.map(() => 0);
    verifications.addCallback((result) => {
      this.flushDurations();
      this.counts.forEach((count, index) => count > 0 && result.observe(count, this.countAttributes[index]));
    });
    for (const outcome of ['accepted', 'refused', 'forbidden', 'unavailable', 'error'] as const) {
      this.durationOffset[outcome] = this.durationAttributes.length;
      this.durationAttributes.push(
        { 'rs256auth.outcome': outcome, 'rs256auth.cached': false },
        { 'rs256auth.outcome': outcome, 'rs256auth.cached': true },
      );
    }
    for (const [document, outcomes] of [
      ['jwks', ['changed', 'unchanged', 'failed']],
      ['discovery', ['succeeded', 'failed']],
    ] as const) {
      for (const outcome of outcomes) {
        this.fetchAttributes.set(`${document}:${outcome}`, { 'rs256auth.document': document, 'rs256auth.outcome': outcome });
      }
    }
    for (const operation of ['issued', 'refreshed', 'reuse_detected', 'revoked'] as const) {
      this.sessionAttributes.set(operation, { 'rs256auth.session.operation': operation });
    }
  }

  /**
   * The time a verification starts, to hand to {@link verified}. A cache hit during it is told apart by this
   * stamp, so with an async `validate` another request's hit in between never marks this one as cached.
   */
  start(): number {
    this.current = performance.now();
    return this.current;
  }

  /**
   * One authenticated request, settled: `refusal` is what the guard threw (an `HttpException` whose cause or body
   * names the `RS256_*` code), `undefined` when the request was let through.
   */
  verified(transport: string, started: number, refusal: unknown): void {
    const reason = refusal === undefined ? 'accepted' : reasonOf(refusal);
    const offset = this.reasonOffset.get(reason) ?? this.otherOffset;
    this.counts[(this.transportBase.get(transport) ?? 0) + offset]++;
    if (this.pending === PENDING_CAPACITY) this.flushDurations();
    this.pendingSeconds[this.pending] = (performance.now() - started) / 1000;
    this.pendingAttributes[this.pending++] = this.durationOffset[outcomeOf(reason)] + (this.hitFor === started ? 1 : 0);
  }

  /** Hands the pending verification times to the histogram, each with its own attributes. */
  private flushDurations(): void {
    for (let index = 0; index < this.pending; index++) {
      this.verificationDuration.record(this.pendingSeconds[index], this.durationAttributes[this.pendingAttributes[index]]);
    }
    this.pending = 0;
  }

  /** A verified-token cache hit: marks the verification under way as answered from the cache. */
  cacheHit(): void {
    this.hitFor = this.current;
  }

  /** One fetch from an issuer, with how long it took in milliseconds. */
  fetched(document: FetchedDocument, outcome: FetchOutcome, durationMs: number): void {
    const attributes = this.fetchAttributes.get(`${document}:${outcome}`);
    this.fetches.add(1, attributes);
    this.fetchDuration.record(durationMs / 1000, attributes);
  }

  session(operation: SessionOperation): void {
    this.sessionOperations.add(1, this.sessionAttributes.get(operation));
  }

  /** A revocation arrived from the shared store's channel this long (ms) after the store recorded it. */
  revocationPropagated(lagMs: number): void {
    this.propagation.record(lagMs / 1000);
  }

  /**
   * An observable gauge read at each collection (cache size, revocation list size and staleness, key age): `read`
   * returns the value, or `undefined` to report nothing. Attributes, if any, are fixed.
   */
  gauge(name: string, unit: string, description: string, read: Gauge, attributes?: Attributes): void {
    const gauge = this.meter.createObservableGauge(name, { unit, description });
    gauge.addCallback((result: ObservableResult) => {
      const value = read();
      if (value !== undefined) result.observe(value, attributes);
    });
  }
}

/** The outcome a reason stands for (see `rs256auth.outcome` in docs/observability.md). */
function outcomeOf(reason: string): VerificationOutcome {
  switch (reason) {
    case 'accepted':
    case 'error':
      return reason;
    case 'RS256_INSUFFICIENT_CLAIMS':
      return 'forbidden';
    case 'RS256_TOKEN_REVOCATION_STALE':
    case 'RS256_SESSION_STORE_UNAVAILABLE':
      return 'unavailable';
    default:
      return 'refused';
  }
}

/** The `RS256_*` code behind a refusal, from a closed set; `error` when the request failed for another reason. */
function reasonOf(refusal: unknown): string {
  let code: unknown;
  if (refusal instanceof Rs256AuthError) {
    code = refusal.code;
  } else if (refusal instanceof HttpException) {
    const cause = refusal.cause;
    const body = refusal.getResponse();
    code = cause instanceof Rs256AuthError ? cause.code : typeof body === 'object' && body !== null ? (body as { code?: unknown }).code : undefined;
    if (code === undefined) {
      return REFUSAL_STATUSES.has(refusal.getStatus()) ? 'other' : 'error';
    }
  } else {
    return 'error';
  }
  return REASONS.includes(code as Rs256AuthErrorCode) ? (code as string) : 'other';
}
