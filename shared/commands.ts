import { z } from 'zod';
import { LINK_METHODS } from './domain.js';

/**
 * Commands: every state change the socket host makes is one of these, sent on the tenant's shard
 * FIFO queue (MessageGroupId = tenantId, MessageDeduplicationId = id). architecture §5.
 */

const digits = z.string().regex(/^\d{10,15}$/);

/** Media a message can carry by URL: `voice` is a push-to-talk note (Ogg Opus), `sticker` a WebP image. */
export const OUTBOUND_MEDIA_TYPES = ['image', 'video', 'audio', 'voice', 'document', 'sticker'] as const;
export type OutboundMediaType = (typeof OUTBOUND_MEDIA_TYPES)[number];

/**
 * The message a reply quotes, resolved by the API from the messages table: WhatsApp shows the
 * quote from `participant` (its author's jid) and `text`, and jumps to `messageId`.
 */
export const quotedMessage = z.object({
  messageId: z.string().min(1).max(128),
  participant: z.string().optional(),
  text: z.string().max(4096).optional(),
});
export type QuotedMessage = z.infer<typeof quotedMessage>;

/** Reply and mentions (phone numbers, digits), on every kind WhatsApp carries them on. */
const threaded = {
  replyTo: quotedMessage.optional(),
  mentions: z.array(digits).max(50).optional(),
};

export const textContent = z.object({
  type: z.literal('text'),
  text: z.string().min(1).max(4096),
  ...threaded,
});
export const mediaContent = z.object({
  type: z.enum(OUTBOUND_MEDIA_TYPES),
  url: z.string().url(),
  caption: z.string().max(1024).optional(),
  fileName: z.string().max(255).optional(),
  mimeType: z.string().max(127).optional(),
  ...threaded,
});
const media = <T extends OutboundMediaType>(type: T) => mediaContent.extend({ type: z.literal(type) });

export const locationContent = z.object({
  type: z.literal('location'),
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  name: z.string().max(1000).optional(),
  address: z.string().max(1000).optional(),
  ...threaded,
});

/** One contact card's fields; the socket host writes them as a vCard 3.0 (shared/vcard.ts). */
export const contactCard = z.object({
  name: z.string().min(1).max(512),
  firstName: z.string().max(256).optional(),
  lastName: z.string().max(256).optional(),
  organization: z.string().max(256).optional(),
  title: z.string().max(256).optional(),
  phones: z
    .array(
      z.object({
        /** As it is to be shown, e.g. `+55 11 98765-4321`. */
        number: z.string().min(1).max(64),
        /** The number's WhatsApp account (digits), which makes the card's "Message" button work. */
        waId: digits.optional(),
        type: z.string().max(32).optional(),
      }),
    )
    .min(1)
    .max(20),
  emails: z
    .array(z.object({ address: z.string().min(3).max(256), type: z.string().max(32).optional() }))
    .max(20)
    .optional(),
  urls: z.array(z.string().min(1).max(2048)).max(20).optional(),
});
export type ContactCardContent = z.infer<typeof contactCard>;

export const contactsContent = z.object({
  type: z.literal('contacts'),
  contacts: z.array(contactCard).min(1).max(50),
  ...threaded,
});

/**
 * A reaction on `target`, resolved by the API from the messages table (WhatsApp names the message
 * by chat, author and id); an empty emoji takes the reaction away.
 */
export const reactionContent = z.object({
  type: z.literal('reaction'),
  emoji: z.string().max(32),
  target: z.object({ messageId: z.string().min(1).max(128), fromMe: z.boolean(), chatJid: z.string() }),
});

/**
 * A poll. `secret` (32 bytes, base64) is the poll's vote-encryption key, chosen by the API so a
 * redelivered command is the same poll and the votes can be decrypted from the stored row.
 * Baileys puts a poll's context info where WhatsApp drops it, so polls carry no reply or mentions.
 */
export const pollContent = z
  .object({
    type: z.literal('poll'),
    question: z.string().min(1).max(255),
    options: z.array(z.string().min(1).max(100)).min(2).max(12),
    selectableCount: z.number().int().min(1),
    secret: z.string().regex(/^[A-Za-z0-9+/]{43}=$/),
  })
  .refine((poll) => new Set(poll.options).size === poll.options.length, {
    message: 'options must be distinct',
    path: ['options'],
  })
  .refine((poll) => poll.selectableCount <= poll.options.length, {
    message: 'selectableCount must be at most the number of options',
    path: ['selectableCount'],
  });

export const messageContent = z.discriminatedUnion('type', [
  textContent,
  media('image'),
  media('video'),
  media('audio'),
  media('voice'),
  media('document'),
  media('sticker'),
  locationContent,
  contactsContent,
  reactionContent,
  pollContent,
]);
export type MessageContent = z.infer<typeof messageContent>;

const base = {
  id: z.string().min(1).max(128),
  tenantId: z.string(),
  issuedAt: z.string().datetime(),
};

export const commandSchema = z.discriminatedUnion('type', [
  z.object({
    ...base,
    type: z.literal('session.start'),
    payload: z.object({ method: z.enum(LINK_METHODS), phoneNumber: digits.optional() }),
  }),
  z.object({ ...base, type: z.literal('session.stop'), payload: z.object({}) }),
  z.object({ ...base, type: z.literal('session.logout'), payload: z.object({}) }),
  z.object({ ...base, type: z.literal('session.pairing-code'), payload: z.object({ phoneNumber: digits }) }),
  z.object({
    ...base,
    type: z.literal('message.send'),
    /** messageId is the WhatsApp message id, generated by the API so a redelivery is the same message. */
    payload: z.object({ messageId: z.string(), to: digits, content: messageContent }),
  }),
  z.object({
    ...base,
    type: z.literal('contact.check'),
    payload: z.object({ phone: digits, requestId: z.string() }),
  }),
]);

export type Command = z.infer<typeof commandSchema>;
export type CommandType = Command['type'];
export type CommandOf<T extends CommandType> = Extract<Command, { type: T }>;
