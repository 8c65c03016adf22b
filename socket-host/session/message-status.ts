import type { EventPublisher } from '../../shared/aws/event-publisher.js';
import type { MessageStore } from '../../shared/stores/messages.js';

export type OutboundStatus = 'sent' | 'delivered' | 'read' | 'failed';

/** Moves an outbound message's status forward and tells the tenant when it moved. */
export async function advanceMessage(
  deps: { messages: MessageStore; events: EventPublisher },
  tenantId: string,
  messageId: string,
  status: OutboundStatus,
  error?: { code: string; message: string },
): Promise<void> {
  const change = await deps.messages.advanceStatus(tenantId, messageId, status, error);
  if (!change.changed) return;
  await deps.events.publish(tenantId, 'message.status', { messageId, status, to: change.row.to, error });
}
