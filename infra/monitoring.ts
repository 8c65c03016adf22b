import { CfnOutput, Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { GatewayApi } from './api.js';
import { type GatewayMetric, gatewayMetric, METRIC_NAMESPACE, metricNames } from './metrics.js';
import type { GatewayQueues } from './queues.js';

/** Commands are consumed within seconds by the shard's owner; one waiting this long has no owner. */
export const COMMAND_AGE_ALARM_SECONDS = 300;
/**
 * Webhook messages legitimately wait for hours between retries (their age keeps counting), so the
 * webhook queue alarms on a visible backlog the dispatcher is not draining instead of on age.
 */
export const WEBHOOK_BACKLOG_ALARM_MESSAGES = 1000;

export interface GatewayMonitoringProps {
  resourcePrefix: string;
  key: kms.IKey;
  api: GatewayApi;
  dispatcher: lambda.IFunction;
  queues: GatewayQueues;
  alarmEmail?: string;
}

/** One dashboard and the alarms an operator acts on, all sent to one SNS topic (architecture §11). */
export class GatewayMonitoring extends Construct {
  readonly topic: sns.Topic;
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];

  constructor(scope: Construct, id: string, props: GatewayMonitoringProps) {
    super(scope, id);
    const { queues, api } = props;

    this.topic = new sns.Topic(this, 'Alarms', {
      displayName: `wafleet ${props.resourcePrefix} alarms`,
      masterKey: props.key,
      enforceSSL: true,
    });
    // CloudWatch publishes to the encrypted topic, so it needs the key.
    props.key.addToResourcePolicy(
      new iam.PolicyStatement({
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    new CfnOutput(this, 'AlarmTopicArn', { value: this.topic.topicArn });

    const custom = (metric: GatewayMetric, statistic = 'Sum') =>
      gatewayMetric(metric, { statistic, period: Duration.minutes(5) });
    const allQueues = [...queues.commands, queues.webhooks];

    for (const { deadLetter } of allQueues) {
      this.alarm(`DeadLetters-${deadLetter.node.id}`, {
        description: `Messages in ${deadLetter.queueName}: inspect, fix, then redrive`,
        metric: deadLetter.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }),
        threshold: 0,
        comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }
    for (const { queue } of queues.commands) {
      this.alarm(`OldestCommand-${queue.node.id}`, {
        description: `A command waited over ${COMMAND_AGE_ALARM_SECONDS} s in ${queue.queueName}: is the shard owned?`,
        metric: queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum' }),
        threshold: COMMAND_AGE_ALARM_SECONDS,
        comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      });
    }
    this.alarm('WebhookBacklog', {
      description: 'Webhook events are not being picked up by the dispatcher',
      metric: queues.webhooks.queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' }),
      threshold: WEBHOOK_BACKLOG_ALARM_MESSAGES,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 3,
    });
    this.alarm('Api5xx', {
      description: 'The API answered 5xx (Lambda errors, timeouts or throttling)',
      metric: api.httpApi.metricServerError({ statistic: 'Sum', period: Duration.minutes(5) }),
      threshold: 5,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    this.alarm('DispatcherErrors', {
      description: 'The webhook dispatcher failed whole invocations (not single deliveries)',
      metric: props.dispatcher.metricErrors({ statistic: 'Sum', period: Duration.minutes(5) }),
      threshold: 1,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    this.alarm('FailedSessions', {
      description: 'Sessions ended in `failed` (reconnects exhausted, 403 or 411)',
      metric: custom(metricNames.sessionsFailed),
      threshold: 3,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    this.alarm('WebhookEndpointsDisabled', {
      description:
        'A tenant’s webhook endpoint was disabled (410 Gone, or failing for days): tell the tenant',
      metric: custom(metricNames.webhookEndpointsDisabled),
      threshold: 1,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });
    this.alarm('FenceLost', {
      description:
        'A host lost the fence of a tenant it served: two owners raced (lease expiry, clock, or a bug)',
      metric: custom(metricNames.fenceLost),
      threshold: 1,
      comparison: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
    });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${props.resourcePrefix}-gateway`,
      defaultInterval: Duration.hours(3),
    });
    const graph = (title: string, left: cloudwatch.IMetric[], width = 6) =>
      new cloudwatch.GraphWidget({ title, left, width, height: 6 });
    this.dashboard.addWidgets(
      graph('Sessions connected (all tasks)', [
        gatewayMetric(metricNames.sessionsConnected, { statistic: 'Sum', label: 'connected' }),
      ]),
      // WhatsApp limits some requests per address (architecture §12): how tenants spread over egress IPs.
      graph('Sessions connected per egress IP', [
        new cloudwatch.MathExpression({
          expression: `SEARCH('{${METRIC_NAMESPACE},Service,EgressIp} MetricName="${metricNames.sessionsConnected.name}"', 'Sum', 60)`,
          label: '',
          period: Duration.minutes(1),
        }),
      ]),
      graph('Sessions failed / reconnects / fences lost', [
        custom(metricNames.sessionsFailed),
        custom(metricNames.reconnects),
        custom(metricNames.fenceLost),
      ]),
      graph('Messages sent / failed / received', [
        custom(metricNames.messagesSent),
        custom(metricNames.messagesFailed),
        custom(metricNames.messagesReceived),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Webhook deliveries / failures / put off by a breaker', [
        custom(metricNames.webhookDeliveries),
        custom(metricNames.webhookFailures),
        custom(metricNames.webhookDeferrals),
      ]),
      graph('Webhook breakers opened / endpoints disabled', [
        custom(metricNames.webhookBreakerOpenings),
        custom(metricNames.webhookEndpointsDisabled),
      ]),
      graph('API requests / 4xx / 5xx', [
        api.httpApi.metricCount({ statistic: 'Sum' }),
        api.httpApi.metricClientError({ statistic: 'Sum' }),
        api.httpApi.metricServerError({ statistic: 'Sum' }),
      ]),
      graph('API latency p99 (ms)', [api.httpApi.metricLatency({ statistic: 'p99' })]),
    );
    this.dashboard.addWidgets(
      graph(
        'Oldest message age (s)',
        allQueues.map(({ queue }) => labelled(queue, queue.metricApproximateAgeOfOldestMessage())),
        12,
      ),
      graph(
        'Dead-letter depth',
        allQueues.map(({ deadLetter }) =>
          labelled(deadLetter, deadLetter.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum' })),
        ),
        12,
      ),
    );
    this.dashboard.addWidgets(
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 24 }),
    );
  }

  private alarm(
    id: string,
    options: {
      description: string;
      metric: cloudwatch.IMetric;
      threshold: number;
      comparison: cloudwatch.ComparisonOperator;
      evaluationPeriods?: number;
    },
  ): void {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmDescription: options.description,
      metric: options.metric,
      threshold: options.threshold,
      comparisonOperator: options.comparison,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.topic));
    alarm.addOkAction(new actions.SnsAction(this.topic));
    this.alarms.push(alarm);
  }
}

const labelled = (queue: sqs.Queue, metric: cloudwatch.Metric): cloudwatch.Metric =>
  metric.with({ label: queue.node.id });
