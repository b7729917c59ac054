import type { Attributes } from '@opentelemetry/api';
import { MeterProvider, MetricReader, type DataPoint, type Histogram } from '@opentelemetry/sdk-metrics';

/** A reader that exports nowhere: tests ask it to collect, as an exporter's reader would on its schedule. */
class InMemoryReader extends MetricReader {
  protected override async onForceFlush(): Promise<void> {}
  protected override async onShutdown(): Promise<void> {}
}

/** One collected data point: its instrument, unit, attributes and value (a number, or a histogram). */
export interface Point {
  name: string;
  unit: string;
  attributes: Attributes;
  value: number | Histogram;
}

/** The real OpenTelemetry SDK's meter provider, read in memory. */
export class TestMetrics {
  private readonly reader = new InMemoryReader();
  readonly provider = new MeterProvider({ readers: [this.reader] });

  async collect(): Promise<Point[]> {
    const { resourceMetrics, errors } = await this.reader.collect();
    if (errors.length > 0) throw errors[0];
    return resourceMetrics.scopeMetrics.flatMap((scope) =>
      scope.metrics.flatMap((metric) =>
        (metric.dataPoints as DataPoint<number | Histogram>[]).map((point) => ({
          name: metric.descriptor.name,
          unit: metric.descriptor.unit,
          attributes: point.attributes,
          value: point.value,
        })),
      ),
    );
  }

  /** Values of `name`'s points whose attributes include `match`: summed for counters, counts for histograms. */
  async total(name: string, match: Attributes = {}): Promise<number> {
    return sum(await this.collect(), name, match);
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}

export function sum(points: readonly Point[], name: string, match: Attributes = {}): number {
  return points
    .filter((point) => point.name === name && Object.entries(match).every(([key, value]) => point.attributes[key] === value))
    .reduce((total, point) => total + (typeof point.value === 'number' ? point.value : point.value.count), 0);
}
