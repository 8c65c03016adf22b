import { type AwsClients, createAwsClients } from '../../../shared/aws/clients.js';
import type { Config } from '../../../shared/config.js';
import { NotFoundError, ValidationError } from '../../../shared/errors.js';
import {
  createWebhookAttemptStore,
  type WebhookAttemptStore,
} from '../../../shared/stores/webhook-attempts.js';
import {
  createWebhookEventStore,
  type WebhookEventRow,
  type WebhookEventStore,
} from '../../../shared/stores/webhook-events.js';
import { createWebhookQueue, type WebhookQueue } from '../../webhook-dispatcher/queue.js';

/** What the webhook routes use besides the common API deps. */
export interface WebhookApiDeps {
  events: WebhookEventStore;
  attempts: WebhookAttemptStore;
  queue: WebhookQueue;
}

export function buildWebhookApiDeps(
  config: Config,
  now?: () => Date,
  clients: Pick<AwsClients, 'dynamo' | 'sqs'> = createAwsClients(config),
): WebhookApiDeps {
  const storeDeps = { dynamo: clients.dynamo, config, now };
  return {
    events: createWebhookEventStore(storeDeps),
    attempts: createWebhookAttemptStore(storeDeps),
    queue: createWebhookQueue({ sqs: clients.sqs, config }),
  };
}

/** One request replays at most this many events; a wider time range is replayed in slices. */
export const MAX_REPLAY = 500;

export type ReplayInput = { eventIds: string[] } | { from: string; to: string; includeDelivered: boolean };

/**
 * Puts events back on the webhook queue with their attempts reset. By id every event must be the
 * tenant's (else 404, nothing replayed); by time range, delivered events are skipped unless asked for.
 */
export async function replayEvents(
  deps: WebhookApiDeps,
  tenantId: string,
  input: ReplayInput,
): Promise<{ count: number; eventIds: string[]; truncated: boolean }> {
  let rows: WebhookEventRow[];
  let truncated = false;
  if ('eventIds' in input) {
    const ids = [...new Set(input.eventIds)];
    const found = await Promise.all(ids.map((id) => deps.events.find(tenantId, id)));
    const missing = ids.filter((_, i) => !found[i]);
    if (missing.length) {
      throw new NotFoundError({ message: `Event ${missing[0]} not found`, details: { eventIds: missing } });
    }
    rows = found as WebhookEventRow[];
  } else {
    if (input.from > input.to)
      throw new ValidationError({ message: 'from must not be after to', details: { field: 'from' } });
    rows = [];
    let cursor: string | undefined;
    do {
      const page = await deps.events.list(tenantId, { from: input.from, to: input.to, limit: 100, cursor });
      rows.push(...page.items.filter((row) => input.includeDelivered || row.status !== 'delivered'));
      cursor = page.cursor;
    } while (cursor && rows.length < MAX_REPLAY);
    truncated = rows.length > MAX_REPLAY || cursor !== undefined;
    rows = rows.slice(0, MAX_REPLAY);
  }

  const replayed: string[] = [];
  for (const row of rows) {
    const reset = await deps.events.resetForReplay(tenantId, row.eventId);
    if (!reset) continue;
    await deps.queue.send(reset.event);
    replayed.push(row.eventId);
  }
  return { count: replayed.length, eventIds: replayed, truncated };
}
