import { z } from 'zod';
import { MEDIA_TYPES, MESSAGE_STATUSES, SESSION_STATES } from './domain.js';

/**
 * Events the socket host emits and the dispatcher delivers as signed webhooks (architecture §8).
 * Payload `{ id, type, timestamp, tenantId, data }`; `id` is the webhook-id, stable across retries.
 */

/** What a received message's media can be: `voice` is a push-to-talk audio note, `sticker` a WebP image. */
export const RECEIVED_MEDIA_TYPES = [...MEDIA_TYPES, 'voice', 'sticker'] as const;

const media = z.object({
  type: z.enum(RECEIVED_MEDIA_TYPES),
  mimeType: z.string().optional(),
  fileName: z.string().optional(),
  size: z.number().int().nonnegative().optional(),
  /** Object key in the gateway's bucket; fetched through the API, never a public URL. */
  storageKey: z.string().optional(),
  /** Set instead of `storageKey` when the media could not be fetched from WhatsApp; the message itself arrived. */
  error: z.string().optional(),
  caption: z.string().optional(),
});

/** What `message.received` can carry; reactions are one of its kinds, not an event of their own. */
export const RECEIVED_KINDS = ['text', 'media', 'reaction', 'location', 'contacts', 'poll', 'other'] as const;

/** A mentioned account: its jid as WhatsApp sent it, and its phone number when the jid names one. */
const mention = z.object({ jid: z.string(), phone: z.string().optional() });

const location = z.object({
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  name: z.string().optional(),
  address: z.string().optional(),
  url: z.string().optional(),
  /** A live location's first position. */
  live: z.boolean().optional(),
});

/** A contact card: fields read from its vCard, which is kept as sent. */
const contactCard = z.object({
  name: z.string().optional(),
  phones: z.array(
    z.object({
      /** The number as written in the card. */
      number: z.string(),
      /** Its WhatsApp account (digits), when the card names one (vCard `waid`). */
      waId: z.string().optional(),
      type: z.string().optional(),
    }),
  ),
  emails: z.array(z.string()).optional(),
  organization: z.string().optional(),
  vcard: z.string(),
});

const poll = z.object({
  question: z.string(),
  options: z.array(z.string()),
  /** How many options a voter may choose (WhatsApp's "any number" is the number of options). */
  selectableCount: z.number().int().nonnegative(),
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
    kind: z.enum(RECEIVED_KINDS),
    /** A text message's text (media keeps its caption in `media.caption`). */
    text: z.string().optional(),
    media: media.optional(),
    /** The id of the message this one quotes (a reply). */
    replyTo: z.string().optional(),
    mentions: z.array(mention).optional(),
    /** A reaction: `emoji` on `messageId`; an empty emoji removes the sender's reaction. */
    reaction: z.object({ emoji: z.string(), messageId: z.string() }).optional(),
    location: location.optional(),
    contacts: z.array(contactCard).optional(),
    poll: poll.optional(),
    /** The sender asked for it to be seen once (WhatsApp's view-once wrapper, unwrapped here). */
    viewOnce: z.boolean().optional(),
  }),
  'message.edited': z.object({
    /** The message that was edited (its id as first received). */
    messageId: z.string(),
    chatJid: z.string(),
    senderJid: z.string().optional(),
    from: z.string().optional(),
    timestamp: z.string().datetime(),
    /** The new text (or new caption). */
    text: z.string(),
  }),
  'message.deleted': z.object({
    /** The message the sender deleted for everyone. */
    messageId: z.string(),
    chatJid: z.string(),
    senderJid: z.string().optional(),
    from: z.string().optional(),
    timestamp: z.string().datetime(),
  }),
  'message.status': z.object({
    messageId: z.string(),
    status: z.enum(MESSAGE_STATUSES),
    to: z.string().optional(),
    error: z.object({ code: z.string(), message: z.string() }).optional(),
    /** Sent again with the same id after an earlier send may have left: the recipient may see it twice. */
    possibleDuplicate: z.boolean().optional(),
  }),
  'session.status': z.object({
    status: z.enum(SESSION_STATES),
    previousStatus: z.enum(SESSION_STATES).optional(),
    reason: z.string().optional(),
    /** The session's epoch: consumers can discard events from a former owner (architecture §12). */
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
