import { describe, expect, it } from 'vitest';
import { createMetrics, METRICS_NAMESPACE } from '../../shared/metrics.js';

describe('Embedded Metric Format', () => {
  it('sums counters, keeps the last gauge and lists timings in one document per flush', () => {
    const lines: string[] = [];
    const metrics = createMetrics({ service: 'socket-host', host: 'h1', write: (l) => lines.push(l) });
    metrics.count('MessagesSent');
    metrics.count('MessagesSent', 2);
    metrics.gauge('SessionsConnected', 5);
    metrics.gauge('SessionsConnected', 7);
    metrics.timing('SendLatency', 12.4);
    metrics.flush();
    metrics.flush(); // counters were reset; the gauge stays
    metrics.stop();
    expect(lines).toHaveLength(3);
    const first = JSON.parse(lines[0] ?? '{}');
    expect(first._aws.CloudWatchMetrics[0]).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      Dimensions: [['Service']],
    });
    expect(first).toMatchObject({
      Service: 'socket-host',
      MessagesSent: 3,
      SessionsConnected: 7,
      SendLatency: [12],
    });
    const second = JSON.parse(lines[1] ?? '{}');
    expect(second.MessagesSent).toBeUndefined();
    expect(second.SessionsConnected).toBe(7);
  });

  it('publishes every metric also per extra dimension, such as the host’s egress IP', () => {
    const lines: string[] = [];
    const metrics = createMetrics({
      service: 'socket-host',
      host: 'h1',
      dimensions: { EgressIp: '203.0.113.7' },
      write: (l) => lines.push(l),
    });
    metrics.gauge('SessionsConnected', 4);
    metrics.stop();
    const doc = JSON.parse(lines[0] ?? '{}');
    expect(doc._aws.CloudWatchMetrics[0].Dimensions).toEqual([['Service'], ['Service', 'EgressIp']]);
    expect(doc).toMatchObject({ Service: 'socket-host', EgressIp: '203.0.113.7', SessionsConnected: 4 });
  });
});
