import { setTimeout as delay } from 'node:timers/promises';
import type { AwsClients } from '../../shared/aws/clients.js';
import type { Config } from '../../shared/config.js';
import type { Logger } from '../../shared/logger.js';
import { buildDispatcherDeps } from './deps.js';
import { type DispatcherDeps, dispatchWebhook, sweepParked } from './dispatcher.js';

export interface DispatcherLoopOptions {
  config: Config;
  clients: Pick<AwsClients, 'dynamo' | 'sqs'>;
  logger: Logger;
  /** Replace parts of the core (schedule, clock, target policy) — tests do. */
  overrides?: Partial<DispatcherDeps>;
  /** Long-poll wait per receive; short in tests so stop() returns quickly. */
  waitSeconds?: number;
  sweepIntervalMs?: number;
}

/**
 * The dispatcher for `npm start`: long-polls the webhook queue and runs the same core as the Lambda,
 * deleting what the core acknowledged; every sweep interval it re-queues parked retries that are due.
 */
export function startDispatcherLoop(options: DispatcherLoopOptions): { stop(): Promise<void> } {
  const log = options.logger.child({ component: 'webhook-dispatcher' });
  const deps = buildDispatcherDeps(
    { config: options.config, clients: options.clients, log },
    options.overrides,
  );
  const waitSeconds = options.waitSeconds ?? 20;
  const sweepIntervalMs = options.sweepIntervalMs ?? 30_000;
  const abort = new AbortController();
  let stopped = false;

  const poll = async () => {
    while (!stopped) {
      try {
        const messages = await deps.queue.receive({ max: 10, waitSeconds, abortSignal: abort.signal });
        const acked = await Promise.all(
          messages.map(async (m) => {
            try {
              const result = await dispatchWebhook(deps, {
                messageId: m.MessageId ?? '',
                receiptHandle: m.ReceiptHandle ?? '',
                body: m.Body ?? '',
              });
              return result.ack ? m.ReceiptHandle : undefined;
            } catch (error) {
              // Left on the queue: it comes back after the visibility timeout.
              log.error({ err: error, sqsMessageId: m.MessageId }, 'webhook dispatch failed');
              return undefined;
            }
          }),
        );
        const handles = acked.filter((h): h is string => Boolean(h));
        if (handles.length) await deps.queue.deleteAll(handles);
      } catch (error) {
        if (stopped) return;
        log.error({ err: error }, 'webhook queue receive failed');
        await pause(1000, abort.signal);
      }
    }
  };

  const sweep = async () => {
    while (!stopped) {
      try {
        const queued = await sweepParked(deps);
        if (queued) log.info({ queued }, 'parked webhook retries re-queued');
      } catch (error) {
        log.error({ err: error }, 'webhook sweep failed');
      }
      await pause(sweepIntervalMs, abort.signal);
    }
  };

  const running = Promise.all([poll(), sweep()]);
  return {
    async stop() {
      stopped = true;
      abort.abort();
      await running;
    },
  };
}

// Node's timer removes its abort listener when it fires; a hand-made one stayed on the loop's
// stop signal after every sweep (MaxListenersExceededWarning after eleven).
const pause = (ms: number, signal: AbortSignal) => delay(ms, undefined, { signal }).catch(() => undefined);
