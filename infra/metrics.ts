import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';

/**
 * The custom metrics the processes emit as Embedded Metric Format lines on stdout (architecture §11;
 * socket-host/process/metrics.ts). CloudWatch Logs extracts EMF from any log event, also from the
 * awslogs driver on Fargate: the PutLogEvents `x-amzn-logs-format` header is optional. Each
 * metric has the dimension `Service`; the socket host's are also published per `Service, EgressIp`.
 */
export const METRIC_NAMESPACE = 'Wafleet';

export type MetricSource = 'socket-host' | 'webhook-dispatcher';

export const metricNames = {
  /** Socket host gauge, once a minute per task: sessions this task holds open. Autoscaling reads it. */
  sessionsConnected: { source: 'socket-host', name: 'SessionsConnected' },
  /** Counts (socket host). */
  sessionsFailed: { source: 'socket-host', name: 'SessionsFailed' },
  messagesSent: { source: 'socket-host', name: 'MessagesSent' },
  messagesFailed: { source: 'socket-host', name: 'MessagesFailed' },
  messagesReceived: { source: 'socket-host', name: 'MessagesReceived' },
  reconnects: { source: 'socket-host', name: 'Reconnects' },
  /** A fenced auth-state write was refused: another host owns the tenant (architecture §5). */
  fenceLost: { source: 'socket-host', name: 'FenceLost' },
  /** Counts (dispatcher): deliveries answered 2xx, attempts that failed. */
  webhookDeliveries: { source: 'webhook-dispatcher', name: 'WebhookDeliveries' },
  webhookFailures: { source: 'webhook-dispatcher', name: 'WebhookFailures' },
  /** Circuit breaker: events put off while an endpoint's breaker is open, and openings. */
  webhookDeferrals: { source: 'webhook-dispatcher', name: 'WebhookDeferrals' },
  webhookBreakerOpenings: { source: 'webhook-dispatcher', name: 'WebhookBreakerOpenings' },
  /** Endpoints disabled: 410 Gone, or failing for longer than the limit (5 days). */
  webhookEndpointsDisabled: { source: 'webhook-dispatcher', name: 'WebhookEndpointsDisabled' },
} as const satisfies Record<string, { source: MetricSource; name: string }>;

export type GatewayMetric = (typeof metricNames)[keyof typeof metricNames];

export const gatewayMetric = (
  metric: GatewayMetric,
  options: { statistic?: string; period?: Duration; label?: string } = {},
): cloudwatch.Metric =>
  new cloudwatch.Metric({
    namespace: METRIC_NAMESPACE,
    metricName: metric.name,
    dimensionsMap: { Service: metric.source },
    statistic: options.statistic ?? 'Sum',
    period: options.period ?? Duration.minutes(1),
    label: options.label,
  });
