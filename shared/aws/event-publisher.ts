import { randomUUID } from 'node:crypto';
import { GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Config } from '../config.js';
import { type EventData, type EventType, eventDataSchemas, type WebhookEvent } from '../events.js';
import { physicalName, tables, webhookQueue } from '../resources.js';
import { queueBody } from './queue-body.js';

export interface EventPublisher {
  publish<T extends EventType>(tenantId: string, type: T, data: EventData<T>): Promise<WebhookEvent<T>>;
}

/** Events are kept for replay this long, delivered or not. */
const EVENT_RETENTION_DAYS = 30;

/**
 * Records the event first (so it can be replayed even if the queue send fails), then queues it for
 * the webhook dispatcher. The queue message carries the whole event so delivery needs no read.
 */
export function createEventPublisher(deps: {
  dynamo: DynamoDBDocumentClient;
  sqs: SQSClient;
  config: Pick<Config, 'resourcePrefix'>;
  now?: () => Date;
}): EventPublisher {
  const { dynamo, sqs, config } = deps;
  const now = deps.now ?? (() => new Date());
  const tableName = physicalName(config.resourcePrefix, tables.webhookEvents.id);
  let queueUrl: Promise<string> | undefined;
  const getQueueUrl = () => {
    queueUrl ??= sqs
      .send(new GetQueueUrlCommand({ QueueName: physicalName(config.resourcePrefix, webhookQueue.name) }))
      .then((r) => r.QueueUrl as string);
    queueUrl.catch(() => {
      queueUrl = undefined;
    });
    return queueUrl;
  };

  return {
    async publish(tenantId, type, data) {
      const at = now();
      const event = {
        id: `evt_${randomUUID().replaceAll('-', '')}`,
        type,
        timestamp: at.toISOString(),
        tenantId,
        data: eventDataSchemas[type].parse(data) as typeof data,
      };
      await dynamo.send(
        new PutCommand({
          TableName: tableName,
          Item: {
            tenantId,
            eventId: event.id,
            eventType: type,
            createdAt: event.timestamp,
            status: 'pending',
            attempts: 0,
            event,
            expiresAt: Math.floor(at.getTime() / 1000) + EVENT_RETENTION_DAYS * 86_400,
          },
          ConditionExpression: 'attribute_not_exists(eventId)',
        }),
      );
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: await getQueueUrl(),
          MessageBody: queueBody(event),
          MessageAttributes: { tenantId: { DataType: 'String', StringValue: tenantId } },
        }),
      );
      return event;
    },
  };
}
