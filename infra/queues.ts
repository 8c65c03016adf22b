import { Duration } from 'aws-cdk-lib';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  commandQueue,
  deadLetterName,
  physicalName,
  type QueueDefinition,
  webhookQueue,
} from '../shared/resources.js';

export interface GatewayQueuesProps {
  resourcePrefix: string;
  shardCount: number;
  key: kms.IKey;
  /**
   * The webhook queue's visibility timeout, when the dispatcher needs more than the definition's
   * (AWS: at least 6× the consuming function's timeout).
   */
  webhookVisibilityTimeout?: Duration;
}

export interface QueueWithDeadLetter {
  queue: sqs.Queue;
  deadLetter: sqs.Queue;
}

/** One FIFO command queue per shard and the webhook event queue, each with its dead-letter queue (architecture §5, §8). */
export class GatewayQueues extends Construct {
  readonly commands: QueueWithDeadLetter[];
  readonly webhooks: QueueWithDeadLetter;

  constructor(scope: Construct, id: string, props: GatewayQueuesProps) {
    super(scope, id);
    this.commands = Array.from({ length: props.shardCount }, (_, shard) =>
      this.pair(`Commands${shard}`, commandQueue(shard), props),
    );
    this.webhooks = this.pair('WebhookEvents', webhookQueue, props, props.webhookVisibilityTimeout);
  }

  private pair(
    id: string,
    definition: QueueDefinition,
    props: GatewayQueuesProps,
    visibilityOverride?: Duration,
  ): QueueWithDeadLetter {
    const common = {
      fifo: definition.fifo || undefined,
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      // Reuse a data key for 5 minutes instead of calling KMS per message.
      dataKeyReuse: Duration.minutes(5),
      enforceSSL: true,
    };
    const deadLetter = new sqs.Queue(this, `${id}Dlq`, {
      ...common,
      queueName: physicalName(props.resourcePrefix, deadLetterName(definition)),
      // The maximum, so a dead letter outlives the source message it came from.
      retentionPeriod: Duration.days(14),
    });
    const visibility = Math.max(
      definition.visibilityTimeoutSeconds,
      visibilityOverride?.toSeconds() ?? definition.visibilityTimeoutSeconds,
    );
    const queue = new sqs.Queue(this, id, {
      ...common,
      queueName: physicalName(props.resourcePrefix, definition.name),
      visibilityTimeout: Duration.seconds(visibility),
      retentionPeriod: Duration.seconds(definition.retentionSeconds),
      deadLetterQueue: { queue: deadLetter, maxReceiveCount: definition.maxReceiveCount },
    });
    return { queue, deadLetter };
  }
}
