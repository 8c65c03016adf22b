/**
 * CloudWatch metrics in the Embedded Metric Format: one JSON document per flush on stdout, which
 * the awslogs driver ships and CloudWatch turns into metrics. Counters are summed between flushes
 * and gauges keep their last value, so a busy host writes one line a minute, not one per message.
 */

export const METRICS_NAMESPACE = 'Wafleet';

type Unit = 'Count' | 'Milliseconds';

export interface Metrics {
  count(name: string, value?: number): void;
  gauge(name: string, value: number): void;
  timing(name: string, ms: number): void;
  /** Writes the pending values as one EMF document (nothing if none). */
  flush(): void;
  stop(): void;
}

export function createMetrics(options: {
  service: string;
  host: string;
  /** Further dimensions, each metric also published per these values (e.g. the egress IP). */
  dimensions?: Record<string, string>;
  intervalMs?: number;
  write?: (line: string) => void;
}): Metrics {
  const write = options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
  const counters = new Map<string, number>();
  const gauges = new Map<string, number>();
  const timings = new Map<string, number[]>();
  const extra = options.dimensions ?? {};
  const dimensionSets = Object.keys(extra).length
    ? [['Service'], ['Service', ...Object.keys(extra)]]
    : [['Service']];

  const flush = () => {
    if (!counters.size && !gauges.size && !timings.size) return;
    const values: Record<string, number | number[]> = {};
    const definitions: Array<{ Name: string; Unit: Unit }> = [];
    for (const [name, value] of [...counters, ...gauges]) {
      values[name] = value;
      definitions.push({ Name: name, Unit: 'Count' });
    }
    for (const [name, samples] of timings) {
      values[name] = samples;
      definitions.push({ Name: name, Unit: 'Milliseconds' });
    }
    counters.clear();
    timings.clear();
    write(
      JSON.stringify({
        _aws: {
          Timestamp: Date.now(),
          CloudWatchMetrics: [
            { Namespace: METRICS_NAMESPACE, Dimensions: dimensionSets, Metrics: definitions },
          ],
        },
        Service: options.service,
        ...extra,
        host: options.host,
        ...values,
      }),
    );
  };
  const timer = setInterval(flush, options.intervalMs ?? 60_000);
  timer.unref();

  return {
    count: (name, value = 1) => counters.set(name, (counters.get(name) ?? 0) + value),
    gauge: (name, value) => gauges.set(name, value),
    timing: (name, ms) => {
      const samples = timings.get(name) ?? [];
      // EMF takes up to 100 values per metric in one document.
      if (samples.length < 100) samples.push(Math.round(ms));
      timings.set(name, samples);
    },
    flush,
    stop: () => {
      clearInterval(timer);
      flush();
    },
  };
}
