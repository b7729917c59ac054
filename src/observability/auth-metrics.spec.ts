import { HttpException } from '@nestjs/common';
import type { Histogram } from '@opentelemetry/sdk-metrics';
import { sum, TestMetrics, type Point } from '../../test/support/metrics.js';
import { Rs256AuthError } from '../errors/rs256-auth.error.js';
import { AuthMetrics } from './auth-metrics.js';

const DURATION = 'rs256auth.token.verification.duration';
const expired = new HttpException({ code: 'RS256_TOKEN_EXPIRED' }, 401, { cause: new Rs256AuthError('RS256_TOKEN_EXPIRED', 'expired') });

function histogram(points: readonly Point[], match: Record<string, unknown>): Histogram {
  const point = points.find(
    (candidate) => candidate.name === DURATION && Object.entries(match).every(([key, value]) => candidate.attributes[key] === value),
  );
  return point?.value as Histogram;
}

describe('AuthMetrics: verification times reach the SDK histogram, every one, with its own attributes (real SDK, in-memory reader)', () => {
  let meter: TestMetrics;
  beforeEach(() => {
    meter = new TestMetrics();
  });
  afterEach(() => meter.shutdown());

  it('hands every time recorded before a collection to it, more than its buffer holds, each under its outcome and cached flag', async () => {
    const metrics = new AuthMetrics({ observability: { meterProvider: meter.provider } });
    for (let index = 0; index < 2_500; index++) {
      // A third refused; one in five a cache hit; the others began 5 ms ago, so their times are at least 0.005 s.
      const started = metrics.start();
      if (index % 5 === 0) metrics.cacheHit();
      metrics.verified('http', index % 5 === 0 ? started : started - 5, index % 3 === 0 ? expired : undefined);
    }
    const points = await meter.collect();

    expect(sum(points, DURATION)).toBe(2_500);
    expect(sum(points, DURATION, { 'rs256auth.cached': true })).toBe(500);
    expect(sum(points, DURATION, { 'rs256auth.outcome': 'refused' })).toBe(834);
    expect(sum(points, DURATION, { 'rs256auth.outcome': 'accepted', 'rs256auth.cached': false })).toBe(1_333);
    expect(sum(points, 'rs256auth.token.verifications', { 'error.type': 'RS256_TOKEN_EXPIRED' })).toBe(834);
    const accepted = histogram(points, { 'rs256auth.outcome': 'accepted', 'rs256auth.cached': false });
    expect(accepted.min).toBeGreaterThanOrEqual(0.005);
    expect(accepted.sum).toBeGreaterThanOrEqual(1_333 * 0.005);
    // Bucket bounds ..., 0.0025, 0.005, 0.01, ...: nothing at or below 0.0025 s.
    expect(accepted.buckets.counts.slice(0, 8).every((count) => count === 0)).toBe(true);
  });

  it('sees a time recorded just before it collects, and never counts one twice', async () => {
    const metrics = new AuthMetrics({ observability: { meterProvider: meter.provider } });
    metrics.verified('ws', metrics.start(), undefined);
    expect(sum(await meter.collect(), DURATION, { 'rs256auth.outcome': 'accepted' })).toBe(1);

    metrics.verified('ws', metrics.start(), expired);
    const points = await meter.collect();
    expect(sum(points, DURATION, { 'rs256auth.outcome': 'accepted' })).toBe(1);
    expect(sum(points, DURATION, { 'rs256auth.outcome': 'refused' })).toBe(1);
    expect(histogram(points, { 'rs256auth.outcome': 'refused' }).min).toBeGreaterThanOrEqual(0);
  });
});
