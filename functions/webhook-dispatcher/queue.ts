import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  GetQueueUrlCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { queueBody } from '../../shared/aws/queue-body.js';
import type { Config } from '../../shared/config.js';
import type { WebhookEvent } from '../../shared/events.js';
import { deadLetterName, physicalName, webhookQueue } from '../../shared/resources.js';

/** SQS caps a message's visibility at 12 hours. */
export const MAX_VISIBILITY_SECONDS = 12 * 3600;

/** The webhook-events queue and its dead-letter queue, as the dispatcher, the sweeper and replay use them. */
export interface WebhookQueue {
  /** Same body and attribute as the event publisher's send. */
  send(event: WebhookEvent): Promise<void>;
  sendToDeadLetter(body: string, reason: string): Promise<void>;
  /** The message comes back after `seconds` (SQS redelivers it; nothing is held in memory). */
  retryLater(receiptHandle: string, seconds: number): Promise<void>;
  receive(options: { max: number; waitSeconds: number; abortSignal?: AbortSignal }): Promise<Message[]>;
  deleteAll(receiptHandles: string[]): Promise<void>;
}

export function createWebhookQueue(deps: {
  sqs: SQSClient;
  config: Pick<Config, 'resourcePrefix'>;
}): WebhookQueue {
  const { sqs, config } = deps;
  const urls = new Map<string, Promise<string>>();
  const urlOf = (name: string) => {
    let url = urls.get(name);
    if (!url) {
      url = sqs
        .send(new GetQueueUrlCommand({ QueueName: physicalName(config.resourcePrefix, name) }))
        .then((r) => r.QueueUrl as string);
      url.catch(() => urls.delete(name));
      urls.set(name, url);
    }
    return url;
  };
  const main = () => urlOf(webhookQueue.name);
  const dead = () => urlOf(deadLetterName(webhookQueue));

  return {
    async send(event) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: await main(),
          MessageBody: queueBody(event),
          MessageAttributes: { tenantId: { DataType: 'String', StringValue: event.tenantId } },
        }),
      );
    },
    async sendToDeadLetter(body, reason) {
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: await dead(),
          MessageBody: body,
          MessageAttributes: { reason: { DataType: 'String', StringValue: reason } },
        }),
      );
    },
    async retryLater(receiptHandle, seconds) {
      await sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: await main(),
          ReceiptHandle: receiptHandle,
          VisibilityTimeout: Math.min(Math.max(0, Math.ceil(seconds)), MAX_VISIBILITY_SECONDS),
        }),
      );
    },
    async receive({ max, waitSeconds, abortSignal }) {
      const { Messages = [] } = await sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: await main(),
          MaxNumberOfMessages: max,
          WaitTimeSeconds: waitSeconds,
        }),
        { abortSignal },
      );
      return Messages;
    },
    async deleteAll(receiptHandles) {
      for (let i = 0; i < receiptHandles.length; i += 10) {
        const batch = receiptHandles.slice(i, i + 10);
        await sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: await main(),
            Entries: batch.map((ReceiptHandle, n) => ({ Id: String(n), ReceiptHandle })),
          }),
        );
      }
    },
  };
}
