import { z } from 'zod';
import { MEDIA_TYPES, MESSAGE_STATUSES, SESSION_STATES } from './domain.js';

/**
 * Events the socket host emits and the dispatcher delivers as signed webhooks (DESIGN §8).
 * Payload `{ id, type, timestamp, tenantId, data }`; `id` is the webhook-id, stable across retries.
 */

const media = z.object({
  type: z.enum(MEDIA_TYPES),
  mimeType: z.string().optional(),
  fileName: z.string().optional(),
  size: z.number().int().nonnegative().optional(),
  /** Object key in the gateway's bucket; fetched through the API, never a public URL. */
  storageKey: z.string().optional(),
  /** Set instead of `storageKey` when the media could not be fetched from WhatsApp; the message itself arrived. */
  error: z.string().optional(),
  caption: z.string().optional(),
});

export const eventDataSchemas = {
  'message.received': z.object({
    messageId: z.string(),
    /** Sender's phone number, digits only, when known. */
    from: z.string().optional(),
    /** WhatsApp jid of the chat (phone-number jid where known, else `@lid`). */
    chatJid: z.string(),
    senderJid: z.string().optional(),
    pushName: z.string().optional(),
    timestamp: z.string().datetime(),
    kind: z.enum(['text', 'media', 'reaction', 'other']),
    text: z.string().optional(),
    media: media.optional(),
    replyTo: z.string().optional(),
    reaction: z.object({ emoji: z.string(), messageId: z.string() }).optional(),
  }),
  'message.status': z.object({
    messageId: z.string(),
    status: z.enum(MESSAGE_STATUSES),
    to: z.string().optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
  }),
  'session.status': z.object({
    status: z.enum(SESSION_STATES),
    previousStatus: z.enum(SESSION_STATES).optional(),
    reason: z.string().optional(),
    /** The session's epoch: consumers can discard events from a former owner (DESIGN §12). */
    epoch: z.number().int().nonnegative(),
    user: z.object({ id: z.string(), name: z.string().optional() }).optional(),
  }),
  'session.qr': z.object({
    qr: z.string(),
    attempt: z.number().int().positive(),
    expiresAt: z.string().datetime(),
    epoch: z.number().int().nonnegative(),
  }),
  'session.pairing_code': z.object({
    code: z.string(),
    phoneNumber: z.string(),
    expiresAt: z.string().datetime(),
    epoch: z.number().int().nonnegative(),
  }),
} as const;

export type EventType = keyof typeof eventDataSchemas;
export const EVENT_TYPES = Object.keys(eventDataSchemas) as EventType[];

export type EventData<T extends EventType> = z.infer<(typeof eventDataSchemas)[T]>;

export interface WebhookEvent<T extends EventType = EventType> {
  id: string;
  type: T;
  timestamp: string;
  tenantId: string;
  data: EventData<T>;
}

export const webhookEventSchema = z.discriminatedUnion(
  'type',
  EVENT_TYPES.map((type) =>
    z.object({
      id: z.string(),
      type: z.literal(type),
      timestamp: z.string().datetime(),
      tenantId: z.string(),
      data: eventDataSchemas[type],
    }),
  ) as unknown as [z.ZodObject, ...z.ZodObject[]],
);
