import type { EventPublisher } from '../../shared/aws/event-publisher.js';
import type { MessageStatus } from '../../shared/domain.js';
import type { MessageStore } from '../../shared/stores/messages.js';

export type OutboundStatus = Exclude<MessageStatus, 'queued'>;

/**
 * Moves an outbound message's status forward and tells the tenant about every step it moved
 * through, in order: a `delivered` recorded before `sent` is also a `sent` event, first.
 */
export async function advanceMessage(
  deps: { messages: MessageStore; events: EventPublisher },
  tenantId: string,
  messageId: string,
  status: OutboundStatus,
  error?: { code: string; message: string },
): Promise<void> {
  const change = await deps.messages.advanceStatus(tenantId, messageId, status, error);
  if (!change.changed) return;
  const { to, possibleDuplicate } = change.row;
  for (const step of change.reached) {
    await deps.events.publish(tenantId, 'message.status', {
      messageId,
      status: step,
      to,
      error: step === 'failed' ? error : undefined,
      ...(possibleDuplicate ? { possibleDuplicate } : {}),
    });
  }
}
