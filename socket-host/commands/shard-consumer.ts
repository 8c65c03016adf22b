import { setTimeout as sleep } from 'node:timers/promises';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  type Message,
  ReceiveMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { Logger } from 'pino';
import { type Command, commandSchema } from '../../shared/commands.js';

/**
 * Consumes one shard's FIFO command queue while this host holds the shard's lease (architecture §5).
 * A tenant's commands run in order; different tenants run in parallel. A message is deleted only
 * after its effect is durable, and a command that must be retried holds back the rest of its
 * tenant's batch so order is kept.
 *
 * Received commands are hidden for a short visibility (about a lease), extended every third of it
 * while this host holds them: if the host dies they reappear about when its lease is taken over,
 * instead of stalling the tenant's queue behind them.
 */

export type Outcome = { kind: 'done' } | { kind: 'retry'; afterSeconds: number };

export type CommandHandler = (command: Command, context: { receiveCount: number }) => Promise<Outcome>;

/** What a stop did with the commands this consumer had taken. */
export interface ConsumerStopReport {
  /** Received but not started, or still running at the deadline: made visible again at once. */
  handedBack: number;
  /** Of those handed back, the ones whose handler was still running (their outcome is dropped). */
  stillRunning: number;
  /** A receive was still open at the deadline and was cut off; what it took reappears after the visibility. */
  receiveCutOff: boolean;
}

export interface ShardConsumer {
  pause(): void;
  resume(): void;
  /**
   * Takes no new commands and hands back the received ones not started yet; waits up to `waitMs`
   * for running ones and the open receive, then hands back what is still running.
   */
  stop(waitMs: number): Promise<ConsumerStopReport>;
  /** A crash: stops at once without another call to the queue; what it held reappears after the visibility. */
  abandon(): void;
}

/** Tenants of one shard whose commands run at once. */
const MAX_GROUPS_IN_FLIGHT = 50;
/** ChangeMessageVisibilityBatch takes 10 entries. */
const BATCH = 10;

interface HeldMessage {
  message: Message;
  running: boolean;
  /** Given back to the queue: whatever its handler does next must not touch the queue. */
  released: boolean;
}

export function startShardConsumer(deps: {
  sqs: SQSClient;
  queueUrl: string;
  shard: number;
  handle: CommandHandler;
  log: Logger;
  /** How long a received command stays hidden without a heartbeat (seconds). */
  visibilitySeconds: number;
  waitTimeSeconds?: number;
}): ShardConsumer {
  const { sqs, queueUrl: QueueUrl, handle, shard, visibilitySeconds } = deps;
  const log = deps.log.child({ shard });
  let paused = false;
  let taking = true;
  let abandoned = false;
  const held = new Map<string, HeldMessage>();
  const receiving = new AbortController();

  const changeVisibility = (message: Message, seconds: number) =>
    sqs
      .send(
        new ChangeMessageVisibilityCommand({
          QueueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: seconds,
        }),
      )
      .catch((error) =>
        log.warn({ err: error, sqsMessageId: message.MessageId }, 'visibility change failed'),
      );

  /** Makes held messages visible again at once and forgets them; returns how many. */
  async function handBack(entries: HeldMessage[]): Promise<number> {
    for (const entry of entries) {
      entry.released = true;
      held.delete(entry.message.ReceiptHandle ?? '');
    }
    await Promise.all(entries.map((entry) => changeVisibility(entry.message, 0)));
    return entries.length;
  }

  // One heartbeat for everything held, running or waiting behind its tenant's running command.
  const heartbeat = setInterval(
    () => {
      const entries = [...held.values()];
      for (let i = 0; i < entries.length; i += BATCH) {
        const chunk = entries.slice(i, i + BATCH);
        sqs
          .send(
            new ChangeMessageVisibilityBatchCommand({
              QueueUrl,
              Entries: chunk.map(({ message }, index) => ({
                Id: String(index),
                ReceiptHandle: message.ReceiptHandle,
                VisibilityTimeout: visibilitySeconds,
              })),
            }),
          )
          .then((result) => {
            if (result.Failed?.length) log.warn({ failed: result.Failed }, 'visibility extension refused');
          })
          .catch((error) => log.warn({ err: error }, 'visibility extension failed'));
      }
    },
    (visibilitySeconds * 1000) / 3,
  );
  heartbeat.unref();

  async function runOne(message: Message): Promise<Outcome> {
    let command: Command;
    try {
      command = commandSchema.parse(JSON.parse(message.Body ?? ''));
    } catch (error) {
      // Nothing can ever make a malformed command valid: drop it, loudly.
      log.error({ err: error, sqsMessageId: message.MessageId }, 'malformed command dropped');
      return { kind: 'done' };
    }
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
    }
  }

  async function runGroup(entries: HeldMessage[]) {
    for (const [index, entry] of entries.entries()) {
      if (entry.released || abandoned) return;
      entry.running = true;
      const outcome = await runOne(entry.message);
      entry.running = false;
      // Handed back while it ran (a stop's deadline), or the host is going down hard.
      if (entry.released || abandoned) return;
      held.delete(entry.message.ReceiptHandle ?? '');
      entry.released = true;
      if (outcome.kind === 'done') {
        await sqs.send(new DeleteMessageCommand({ QueueUrl, ReceiptHandle: entry.message.ReceiptHandle }));
        continue;
      }
      await changeVisibility(entry.message, outcome.afterSeconds);
      // Later commands of this tenant go back now; FIFO holds them until the retried one is done.
      await handBack(entries.slice(index + 1).filter((e) => !e.released));
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
  let handedBackLate = 0;

  let loopEnded = false;
  const loop = (async () => {
    while (taking) {
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
            VisibilityTimeout: visibilitySeconds,
            MessageSystemAttributeNames: ['ApproximateReceiveCount', 'MessageGroupId'],
          }),
          { abortSignal: receiving.signal },
        );
        messages = result.Messages ?? [];
      } catch (error) {
        if (!taking) break;
        log.warn({ err: error }, 'receive failed');
        await sleep(1000);
        continue;
      }
      if (abandoned) break;
      const entries = messages.map((message) => ({ message, running: false, released: false }));
      for (const entry of entries) held.set(entry.message.ReceiptHandle ?? '', entry);
      if (!taking) {
        // Received after stop: hand them straight back for the shard's next owner.
        handedBackLate += await handBack(entries);
        break;
      }
      const groups = new Map<string, HeldMessage[]>();
      for (const entry of entries) {
        const { message } = entry;
        const group = message.Attributes?.MessageGroupId ?? message.MessageId ?? '';
        groups.set(group, [...(groups.get(group) ?? []), entry]);
      }
      for (const group of groups.values()) {
        track(runGroup(group).catch((error) => log.error({ err: error }, 'command group failed')));
      }
    }
  })().finally(() => {
    loopEnded = true;
  });

  async function stopNow(waitMs: number): Promise<ConsumerStopReport> {
    taking = false;
    if (abandoned) return { handedBack: 0, stillRunning: 0, receiveCutOff: false };
    const waiting = await handBack([...held.values()].filter((e) => !e.running));
    const deadline = timer(waitMs);
    await Promise.race([Promise.all([Promise.all(inFlight), loop]), deadline.done]);
    deadline.cancel();
    const stillRunning = await handBack([...held.values()]);
    const receiveCutOff = !loopEnded;
    if (receiveCutOff) {
      receiving.abort();
      await loop;
    }
    clearInterval(heartbeat);
    return { handedBack: waiting + stillRunning + handedBackLate, stillRunning, receiveCutOff };
  }
  let stopped: Promise<ConsumerStopReport> | undefined;

  return {
    pause: () => {
      paused = true;
    },
    resume: () => {
      paused = false;
    },
    stop(waitMs) {
      stopped ??= stopNow(waitMs);
      return stopped;
    },
    abandon() {
      abandoned = true;
      taking = false;
      clearInterval(heartbeat);
      receiving.abort();
    },
  };
}

function timer(ms: number) {
  let handle: NodeJS.Timeout | undefined;
  const done = new Promise<void>((resolve) => {
    handle = setTimeout(resolve, ms);
  });
  return { done, cancel: () => clearTimeout(handle) };
}
