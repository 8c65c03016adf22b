import { setTimeout as sleep } from 'node:timers/promises';
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Logger } from 'pino';
import { type Command, commandSchema } from '../../shared/commands.js';

/**
 * Consumes one shard's FIFO command queue while this host holds the shard's lease (DESIGN §5).
 * A tenant's commands run in order; different tenants run in parallel. A message is deleted only
 * after its effect is durable, its visibility is extended while it runs, and a command that must be
 * retried holds back the rest of its tenant's batch so order is kept.
 */

export type Outcome = { kind: 'done' } | { kind: 'retry'; afterSeconds: number };

export type CommandHandler = (command: Command, context: { receiveCount: number }) => Promise<Outcome>;

export interface ShardConsumer {
  pause(): void;
  resume(): void;
  /** Takes no new commands and resolves when the running ones are done. */
  stop(): Promise<void>;
  /**
   * Resolves when the last long poll has returned. An aborted poll can still take messages on the
   * server side and hide them for a visibility timeout, so polls are left to finish and whatever
   * they bring after stop() is handed back.
   */
  drained: Promise<void>;
}

const HEARTBEAT_MS = 20_000;
const HEARTBEAT_VISIBILITY_S = 60;
/** Tenants of one shard whose commands run at once. */
const MAX_GROUPS_IN_FLIGHT = 50;

export function startShardConsumer(deps: {
  sqs: SQSClient;
  queueUrl: string;
  shard: number;
  handle: CommandHandler;
  log: Logger;
  waitTimeSeconds?: number;
}): ShardConsumer {
  const { sqs, queueUrl: QueueUrl, handle, shard } = deps;
  const log = deps.log.child({ shard });
  let paused = false;
  let running = true;

  const changeVisibility = (message: Message, seconds: number) =>
    sqs
      .send(
        new ChangeMessageVisibilityCommand({
          QueueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: seconds,
        }),
      )
      .catch((error) => log.warn({ err: error }, 'visibility change failed'));

  async function runOne(message: Message): Promise<Outcome> {
    let command: Command;
    try {
      command = commandSchema.parse(JSON.parse(message.Body ?? ''));
    } catch (error) {
      // Nothing can ever make a malformed command valid: drop it, loudly.
      log.error({ err: error, sqsMessageId: message.MessageId }, 'malformed command dropped');
      return { kind: 'done' };
    }
    const heartbeat = setInterval(() => void changeVisibility(message, HEARTBEAT_VISIBILITY_S), HEARTBEAT_MS);
    try {
      return await handle(command, {
        receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 1),
      });
    } catch (error) {
      log.error(
        { err: error, tenantId: command.tenantId, commandId: command.id },
        'command failed; will retry',
      );
      return { kind: 'retry', afterSeconds: 5 };
    } finally {
      clearInterval(heartbeat);
    }
  }

  async function runGroup(messages: Message[]) {
    for (const [index, message] of messages.entries()) {
      const outcome = await runOne(message);
      if (outcome.kind === 'done') {
        await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: message.ReceiptHandle }));
        continue;
      }
      await changeVisibility(message, outcome.afterSeconds);
      // Later commands of this tenant go back now; FIFO holds them until the retried one is done.
      await Promise.all(messages.slice(index + 1).map((m) => changeVisibility(m, 0)));
      return;
    }
  }

  // Tenants run in parallel and the next receive does not wait for the slowest of them: FIFO
  // withholds a tenant's later commands while one of its commands is in flight.
  const inFlight = new Set<Promise<void>>();
  const track = (work: Promise<void>) => {
    inFlight.add(work);
    void work.finally(() => inFlight.delete(work));
  };

  const loop = (async () => {
    while (running) {
      if (paused) {
        await sleep(200);
        continue;
      }
      if (inFlight.size >= MAX_GROUPS_IN_FLIGHT) {
        await Promise.race(inFlight);
        continue;
      }
      let messages: Message[] = [];
      try {
        const result = await sqs.send(
          new ReceiveMessageCommand({
            QueueUrl,
            MaxNumberOfMessages: 10,
            WaitTimeSeconds: deps.waitTimeSeconds ?? 20,
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
          }),
        );
        messages = result.Messages ?? [];
      } catch (error) {
        if (!running) break;
        log.warn({ err: error }, 'receive failed');
        await sleep(1000);
        continue;
      }
      if (!running) {
        // Received after stop: hand them straight back for the shard's next owner.
        await Promise.all(messages.map((m) => changeVisibility(m, 0)));
        break;
      }
      const groups = new Map<string, Message[]>();
      for (const message of messages) {
        const group = message.Attributes?.MessageGroupId ?? message.MessageId ?? '';
        groups.set(group, [...(groups.get(group) ?? []), message]);
      }
      for (const group of groups.values()) {
        track(runGroup(group).catch((error) => log.error({ err: error }, 'command group failed')));
      }
    }
  })();

  return {
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
    },
    async stop() {
      running = false;
      await Promise.all(inFlight);
    },
    drained: loop,
  };
}
