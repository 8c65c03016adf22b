import { z } from '@hono/zod-openapi';
import { carriable, PhoneInput, TenantId } from './api.js';

/**
 * `POST /messages`: one schema per kind, chosen by `type`, each under its own name in the OpenAPI
 * document with an example. In the manner of WhatsApp's Cloud API, a kind's fields sit in an
 * object named after it (`{ to, type: 'location', location: { … } }`).
 */

const MESSAGE_ID = z.string().min(1).max(128).openapi({ example: '3EB0A1B2C3D4E5F6A7B8C9' });

const common = {
  to: PhoneInput.openapi({ description: 'The recipient: phone number with country code.' }),
  companyId: TenantId.optional(),
};

/** What WhatsApp lets any kind but reactions and polls carry. */
const threaded = {
  replyTo: MESSAGE_ID.optional().openapi({
    description:
      'The id of a message of this chat (sent or received) to quote: the message is a reply to it.',
  }),
  mentions: z
    .array(PhoneInput)
    .min(1)
    .max(50)
    .optional()
    .openapi({ description: 'Phone numbers to mention; write `@<number>` in the text where each goes.' }),
};

const text = (max: number) => carriable(z.string().min(1).max(max));
const mediaUrl = carriable(z.url().max(2048)).openapi({
  description: 'Where the socket host fetches the file (https in production, public addresses only).',
});
const mimeType = carriable(z.string().max(127)).optional();

const kind = <T extends string, S extends z.ZodRawShape>(type: T, shape: S) =>
  z.strictObject({ ...common, type: z.literal(type), ...shape });

export const TextMessage = kind('text', {
  text: z.strictObject({ body: text(4096) }),
  ...threaded,
}).openapi('TextMessageRequest', {
  example: { to: '79001234567', type: 'text', text: { body: 'Your appointment is at 15:00 🙂' } },
});

const captioned = z.strictObject({ url: mediaUrl, caption: text(1024).optional(), mimeType });

export const ImageMessage = kind('image', { image: captioned, ...threaded }).openapi('ImageMessageRequest', {
  example: {
    to: '79001234567',
    type: 'image',
    image: { url: 'https://example.com/salon.jpg', caption: 'Our new salon' },
  },
});

export const VideoMessage = kind('video', { video: captioned, ...threaded }).openapi('VideoMessageRequest', {
  example: { to: '79001234567', type: 'video', video: { url: 'https://example.com/tour.mp4' } },
});

export const AudioMessage = kind('audio', {
  audio: z.strictObject({ url: mediaUrl, mimeType }),
  ...threaded,
}).openapi('AudioMessageRequest', {
  example: { to: '79001234567', type: 'audio', audio: { url: 'https://example.com/jingle.mp3' } },
});

export const VoiceMessage = kind('voice', {
  voice: z.strictObject({
    url: mediaUrl,
    mimeType: mimeType.refine(
      (type) => type === undefined || /^audio\/ogg(;\s*codecs="?opus"?)?$/i.test(type),
      {
        message: 'a voice note is Ogg Opus: audio/ogg; codecs=opus',
      },
    ),
  }),
  ...threaded,
}).openapi('VoiceMessageRequest', {
  description: 'A push-to-talk voice note: an Ogg Opus file, shown with a waveform and played inline.',
  example: { to: '79001234567', type: 'voice', voice: { url: 'https://example.com/note.ogg' } },
});

export const DocumentMessage = kind('document', {
  document: z.strictObject({
    url: mediaUrl,
    caption: text(1024).optional(),
    fileName: text(255).optional(),
    mimeType,
  }),
  ...threaded,
}).openapi('DocumentMessageRequest', {
  example: {
    to: '79001234567',
    type: 'document',
    document: { url: 'https://example.com/price-list.pdf', fileName: 'Price list.pdf' },
  },
});

export const StickerMessage = kind('sticker', {
  sticker: z.strictObject({
    url: mediaUrl,
    mimeType: mimeType.refine((type) => type === undefined || type.toLowerCase() === 'image/webp', {
      message: 'a sticker is a WebP image: image/webp',
    }),
  }),
  ...threaded,
}).openapi('StickerMessageRequest', {
  description: 'A sticker: a WebP image (512×512 is what WhatsApp shows best).',
  example: { to: '79001234567', type: 'sticker', sticker: { url: 'https://example.com/thanks.webp' } },
});

export const LocationMessage = kind('location', {
  location: z.strictObject({
    latitude: z.number().min(-90).max(90),
    longitude: z.number().min(-180).max(180),
    name: text(1000).optional(),
    address: text(1000).optional(),
  }),
  ...threaded,
}).openapi('LocationMessageRequest', {
  example: {
    to: '79001234567',
    type: 'location',
    location: { latitude: 55.7558, longitude: 37.6173, name: 'Beauty Salon', address: 'Tverskaya 1, Moscow' },
  },
});

const contactType = z
  .string()
  .regex(/^[A-Za-z-]{1,32}$/, 'letters and - only, e.g. CELL, WORK, HOME')
  .optional();

const Contact = z.strictObject({
  name: z.strictObject({
    formatted: text(512).openapi({ description: 'The name as shown.' }),
    first: text(256).optional(),
    last: text(256).optional(),
  }),
  phones: z
    .array(
      z.strictObject({
        phone: z
          .string()
          .max(64)
          .regex(/^\+?[\d\s().-]*\d[\d\s().-]*$/, 'digits, with + ( ) - . and spaces')
          .openapi({ example: '+55 11 98765-4321' }),
        waId: PhoneInput.optional().openapi({
          description: 'The number’s WhatsApp account, which gives the card its “Message” button.',
        }),
        type: contactType,
      }),
    )
    .min(1, 'a contact needs at least one phone number')
    .max(20),
  emails: z
    .array(z.strictObject({ email: z.email().max(256), type: contactType }))
    .max(20)
    .optional(),
  org: z.strictObject({ company: text(256).optional(), title: text(256).optional() }).optional(),
  urls: z
    .array(z.strictObject({ url: carriable(z.url().max(2048)) }))
    .max(20)
    .optional(),
});

export const ContactsMessage = kind('contacts', {
  contacts: z.array(Contact).min(1).max(50),
  ...threaded,
}).openapi('ContactsMessageRequest', {
  description: 'One or more contact cards, sent as vCards.',
  example: {
    to: '79001234567',
    type: 'contacts',
    contacts: [
      {
        name: { formatted: 'Ana Lima', first: 'Ana', last: 'Lima' },
        phones: [{ phone: '+55 11 98765-4321', waId: '5511987654321', type: 'CELL' }],
        emails: [{ email: 'ana@example.com' }],
        org: { company: 'Beauty Salon' },
      },
    ],
  },
});

const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

export const ReactionMessage = kind('reaction', {
  reaction: z.strictObject({
    messageId: MESSAGE_ID.openapi({ description: 'A message of this chat, sent or received.' }),
    emoji: z
      .string()
      .max(32)
      .refine((emoji) => [...graphemes.segment(emoji)].length <= 1, {
        message: 'one emoji, or empty to remove the reaction',
      }),
  }),
}).openapi('ReactionMessageRequest', {
  description: 'An emoji reaction on a message of this chat; an empty emoji removes it.',
  example: {
    to: '79001234567',
    type: 'reaction',
    reaction: { messageId: '3EB0A1B2C3D4E5F6A7B8C9', emoji: '👍' },
  },
});

export const PollMessage = kind('poll', {
  poll: z
    .strictObject({
      question: text(255),
      options: z.array(text(100)).min(2).max(12),
      selectableCount: z.number().int().min(1).default(1).openapi({
        description: 'How many options a voter may choose: 1 (the default) up to the number of options.',
      }),
    })
    .refine((poll) => new Set(poll.options.map((o) => o.trim())).size === poll.options.length, {
      message: 'options must be distinct',
      path: ['options'],
    })
    .refine((poll) => poll.selectableCount <= poll.options.length, {
      message: 'selectableCount must be at most the number of options',
      path: ['selectableCount'],
    }),
}).openapi('PollMessageRequest', {
  description: 'A poll of 2 to 12 distinct options. Votes are decrypted and delivered by the gateway.',
  example: {
    to: '79001234567',
    type: 'poll',
    poll: { question: 'Which day suits you?', options: ['Monday', 'Tuesday', 'Friday'], selectableCount: 1 },
  },
});

export const MessageRequest = z
  .discriminatedUnion('type', [
    TextMessage,
    ImageMessage,
    VideoMessage,
    AudioMessage,
    VoiceMessage,
    DocumentMessage,
    StickerMessage,
    LocationMessage,
    ContactsMessage,
    ReactionMessage,
    PollMessage,
  ])
  .openapi('MessageRequest');
export type MessageRequest = z.infer<typeof MessageRequest>;
