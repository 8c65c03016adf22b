import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { TableKey } from '../shared/resources.js';
import { depsLockFilePath, entries, lambdaBundling, repoRoot } from './bundling.js';
import type { GatewayData } from './data.js';
import type { QueueWithDeadLetter } from './queues.js';
import { commonRuntimeEnv, type RuntimeEnv } from './runtime-env.js';

/**
 * Timing, in one place because the numbers depend on each other:
 * - one delivery waits at most WEBHOOK_TIMEOUT (WEBHOOK_TIMEOUT_MS); a batch's deliveries run in
 *   parallel, so twice that covers the slowest one plus the DynamoDB writes around it;
 * - AWS asks for a visibility timeout of at least 6× the function timeout: 6 × 30 s = 180 s, which
 *   the queue uses instead of the 60 s in shared/resources.ts;
 * - retries due within 15 min stay on the queue (the dispatcher changes the message's visibility;
 *   SQS allows up to 12 h), later ones are parked in the webhook-events table and re-queued by the
 *   sweeper as new messages. So one message is received at most 3 times on the happy retry path
 *   (first try, +5 s, +5 min), well under maxReceiveCount 10, and the 27.6 h schedule never
 *   depends on the queue's 14-day retention.
 */
export const WEBHOOK_TIMEOUT = Duration.seconds(15);
export const DISPATCHER_TIMEOUT = Duration.seconds(2 * WEBHOOK_TIMEOUT.toSeconds());
export const WEBHOOK_QUEUE_VISIBILITY = Duration.seconds(6 * DISPATCHER_TIMEOUT.toSeconds());
export const DISPATCHER_BATCH_SIZE = 10;

/** Tenants are read (endpoint, secrets) and written (a `410 Gone` disables the endpoint at once). */
export const DISPATCHER_WRITE_TABLES: readonly TableKey[] = ['tenants', 'webhookEvents', 'webhookAttempts'];

export interface WebhookDispatcherProps {
  resourcePrefix: string;
  shardCount: number;
  data: GatewayData;
  webhooks: QueueWithDeadLetter;
  logRetention: logs.RetentionDays;
}

/** Parked retries (waits beyond what SQS visibility should hold) are re-queued by a sweep this often. */
export const SWEEP_RATE = Duration.minutes(1);

/**
 * Delivers webhook events from the queue with Standard Webhooks signatures (architecture §8), and sweeps
 * parked retries back onto the queue when due. Both functions are the same bundle, two handlers.
 */
export class WebhookDispatcher extends Construct {
  readonly function: NodejsFunction;
  readonly sweeper: NodejsFunction;

  constructor(scope: Construct, id: string, props: WebhookDispatcherProps) {
    super(scope, id);
    const { data, webhooks } = props;
    const environment: RuntimeEnv = {
      ...commonRuntimeEnv(props),
      WEBHOOK_TIMEOUT_MS: String(WEBHOOK_TIMEOUT.toMilliseconds()),
    };
    const common = {
      entry: entries.dispatcher,
      projectRoot: repoRoot,
      depsLockFilePath,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: 512,
      timeout: DISPATCHER_TIMEOUT,
      bundling: lambdaBundling,
      environment: { ...environment, NODE_OPTIONS: '--enable-source-maps' },
      tracing: lambda.Tracing.ACTIVE,
    };
    this.function = new NodejsFunction(this, 'Function', {
      ...common,
      description: 'wafleet webhook dispatcher',
      handler: 'handler',
      logGroup: new logs.LogGroup(this, 'Logs', { retention: props.logRetention }),
    });

    for (const table of DISPATCHER_WRITE_TABLES) data.tables[table].grantReadWriteData(this.function);
    // A spent schedule moves the event to the dead-letter queue itself (recorded, replayable).
    webhooks.deadLetter.grantSendMessages(this.function);
    this.function.addEventSource(
      new SqsEventSource(webhooks.queue, {
        batchSize: DISPATCHER_BATCH_SIZE,
        reportBatchItemFailures: true,
      }),
    );

    this.sweeper = new NodejsFunction(this, 'Sweeper', {
      ...common,
      description: 'wafleet webhook sweeper: re-queues parked retries when due',
      handler: 'sweepHandler',
      logGroup: new logs.LogGroup(this, 'SweeperLogs', { retention: props.logRetention }),
    });
    data.tables.webhookEvents.grantReadWriteData(this.sweeper);
    webhooks.queue.grantSendMessages(this.sweeper);
    new events.Rule(this, 'SweepSchedule', {
      description: 'Re-queue parked webhook retries that are due',
      schedule: events.Schedule.rate(SWEEP_RATE),
      targets: [new targets.LambdaFunction(this.sweeper, { retryAttempts: 0 })],
    });
  }
}
