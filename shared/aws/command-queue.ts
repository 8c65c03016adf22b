import { GetQueueUrlCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { type Command, commandSchema } from '../commands.js';
import type { Config } from '../config.js';
import { commandQueue, physicalName } from '../resources.js';
import { shardOf } from '../shard.js';
import { queueBody } from './queue-body.js';

export interface CommandQueue {
  /** Sends the command to its tenant's shard queue, in order per tenant, deduplicated by command id. */
  publish(command: Command): Promise<void>;
  queueUrl(shard: number): Promise<string>;
}

export function createCommandQueue(deps: {
  sqs: SQSClient;
  config: Pick<Config, 'resourcePrefix' | 'shardCount'>;
}): CommandQueue {
  const { sqs, config } = deps;
  const urls = new Map<number, Promise<string>>();

  const queueUrl = (shard: number): Promise<string> => {
    let url = urls.get(shard);
    if (!url) {
      const name = physicalName(config.resourcePrefix, commandQueue(shard).name);
      url = sqs.send(new GetQueueUrlCommand({ QueueName: name })).then((r) => {
        if (!r.QueueUrl) throw new Error(`queue ${name} has no URL`);
        return r.QueueUrl;
      });
      // A failed look-up is not cached, so the next call retries it.
      url.catch(() => urls.delete(shard));
      urls.set(shard, url);
    }
    return url;
  };

  return {
    queueUrl,
    async publish(command) {
      const valid = commandSchema.parse(command);
      const shard = shardOf(valid.tenantId, config.shardCount);
      await sqs.send(
        new SendMessageCommand({
          QueueUrl: await queueUrl(shard),
          MessageBody: queueBody(valid),
          MessageGroupId: valid.tenantId,
          MessageDeduplicationId: valid.id,
          MessageAttributes: { type: { DataType: 'String', StringValue: valid.type } },
        }),
      );
    },
  };
}
