import { randomBytes, randomUUID } from 'node:crypto';
import type { MessageContent } from '../../../shared/commands.js';
import type { ApiDeps } from '../deps.js';

/**
 * A WhatsApp-style message id (`3EB0` + 18 upper-case hex, as Baileys makes them). It is chosen
 * here, before the command is queued, so a redelivered command sends the same WhatsApp message.
 */
export const newMessageId = (): string => `3EB0${randomBytes(9).toString('hex').toUpperCase()}`;

export interface SendInput {
  tenantId: string;
  to: string;
  content: MessageContent;
}

/** Records the message as queued, then queues `message.send` for the tenant's socket host. */
export async function sendMessage(deps: Pick<ApiDeps, 'messages' | 'commands' | 'now'>, input: SendInput) {
  const messageId = newMessageId();
  await deps.messages.recordOutbound(input.tenantId, { messageId, to: input.to, content: input.content });
  try {
    await deps.commands.publish({
      id: randomUUID(),
      type: 'message.send',
      tenantId: input.tenantId,
      issuedAt: deps.now().toISOString(),
      payload: { messageId, to: input.to, content: input.content },
    });
  } catch (error) {
    // The message is recorded but will never be sent: say so on its row rather than leave it queued.
    await deps.messages
      .advanceStatus(input.tenantId, messageId, 'failed', {
        code: 'QUEUE_ERROR',
        message: 'Could not queue the message',
      })
      .catch(() => undefined);
    throw error;
  }
  return { messageId, status: 'queued' as const };
}
