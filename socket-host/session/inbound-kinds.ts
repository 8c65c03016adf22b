import { jidNormalizedUser, type proto } from '@whiskeysockets/baileys';
import type { EventData, RECEIVED_MEDIA_TYPES } from '../../shared/events.js';
import { parseContactCard } from './inbound-vcard.js';

/**
 * One parser per kind of content a received message can carry, each reading the fields of
 * `message.received` from Baileys' proto. The envelope (ids, sender, time) is the caller's.
 */

type Received = EventData<'message.received'>;
export type ReceivedMediaType = (typeof RECEIVED_MEDIA_TYPES)[number];

/** Media to download and store; the caller adds the storage key (or why there is none). */
export interface MediaToStore {
  kind: ReceivedMediaType;
  mimeType?: string;
  fileName?: string;
  size?: number;
  caption?: string;
}

export type ContentFields = Pick<Received, 'kind'> &
  Partial<Pick<Received, 'text' | 'reaction' | 'location' | 'contacts' | 'poll'>>;

interface Parsed {
  fields: ContentFields;
  media?: MediaToStore;
  contextInfo?: proto.IContextInfo | null;
}

type Parser<F extends keyof proto.IMessage> = (content: NonNullable<proto.IMessage[F]>) => Parsed;

const mediaParser =
  (kind: (content: proto.Message.IAudioMessage) => ReceivedMediaType): Parser<MediaField> =>
  (content) => {
    const media = content as proto.Message.IImageMessage &
      proto.Message.IDocumentMessage &
      proto.Message.IAudioMessage;
    return {
      fields: { kind: 'media' },
      media: {
        kind: kind(media),
        mimeType: media.mimetype ?? undefined,
        fileName: media.fileName ?? undefined,
        size: media.fileLength ? Number(media.fileLength) : undefined,
        caption: media.caption ?? undefined,
      },
      contextInfo: media.contextInfo,
    };
  };

type MediaField =
  | 'imageMessage'
  | 'videoMessage'
  | 'ptvMessage'
  | 'audioMessage'
  | 'documentMessage'
  | 'stickerMessage';

/** The proto fields that carry media, and what each is called in events. */
const MEDIA_PARSERS: { [F in MediaField]: Parser<F> } = {
  imageMessage: mediaParser(() => 'image'),
  videoMessage: mediaParser(() => 'video'),
  // A round video note is a video to a bot.
  ptvMessage: mediaParser(() => 'video'),
  // A push-to-talk note is audio with `ptt` set.
  audioMessage: mediaParser((audio) => (audio.ptt ? 'voice' : 'audio')),
  documentMessage: mediaParser(() => 'document'),
  stickerMessage: mediaParser(() => 'sticker'),
};

function pollParser(poll: proto.Message.IPollCreationMessage): Parsed {
  const options = (poll.options ?? []).map((option) => option.optionName ?? '');
  const selectable = poll.selectableOptionsCount ?? 0;
  return {
    fields: {
      kind: 'poll',
      poll: {
        question: poll.name ?? '',
        options,
        // WhatsApp's 0 means "as many as you like".
        selectableCount: selectable > 0 ? Math.min(selectable, options.length) : options.length,
      },
    },
    contextInfo: poll.contextInfo,
  };
}

function contactsParser(cards: proto.Message.IContactMessage[], contextInfo?: proto.IContextInfo | null) {
  return {
    fields: {
      kind: 'contacts' as const,
      contacts: cards.map((card) => parseContactCard(card.vcard ?? '', card.displayName ?? undefined)),
    },
    contextInfo,
  };
}

const PARSERS: { [F in keyof proto.IMessage]?: Parser<F> } = {
  conversation: (text) => ({ fields: { kind: 'text', text } }),
  extendedTextMessage: (ext) => ({
    fields: { kind: 'text', text: ext.text ?? '' },
    contextInfo: ext.contextInfo,
  }),
  ...MEDIA_PARSERS,
  locationMessage: (location) => ({
    fields: {
      kind: 'location',
      location: {
        latitude: location.degreesLatitude ?? 0,
        longitude: location.degreesLongitude ?? 0,
        name: location.name || undefined,
        address: location.address || undefined,
        url: location.url || undefined,
      },
    },
    contextInfo: location.contextInfo,
  }),
  liveLocationMessage: (live) => ({
    fields: {
      kind: 'location',
      location: { latitude: live.degreesLatitude ?? 0, longitude: live.degreesLongitude ?? 0, live: true },
    },
    contextInfo: live.contextInfo,
  }),
  contactMessage: (card) => contactsParser([card], card.contextInfo),
  contactsArrayMessage: (array) => contactsParser(array.contacts ?? [], array.contextInfo),
  pollCreationMessage: pollParser,
  pollCreationMessageV2: pollParser,
  pollCreationMessageV3: pollParser,
  reactionMessage: (reaction) => ({
    fields: { kind: 'reaction', reaction: { emoji: reaction.text ?? '', messageId: reaction.key?.id ?? '' } },
  }),
};

/**
 * The fields of unwrapped content (see `normalizeMessageContent`), or undefined for content no
 * parser knows. Looks fields up by name: a proto's first key can be `messageContextInfo`.
 */
export function parseContent(
  content: proto.IMessage,
): (Pick<Parsed, 'fields' | 'media'> & Pick<Received, 'replyTo' | 'mentions'>) | undefined {
  for (const field of Object.keys(PARSERS) as (keyof proto.IMessage)[]) {
    const value = content[field];
    if (value === null || value === undefined) continue;
    const parse = PARSERS[field] as Parser<typeof field>;
    const { fields, media, contextInfo } = parse(value as never);
    const mentions = (contextInfo?.mentionedJid ?? []).map((jid) => {
      const phone = phoneOfJid(jid);
      return phone ? { jid, phone } : { jid };
    });
    return {
      fields,
      media,
      replyTo: contextInfo?.stanzaId || undefined,
      mentions: mentions.length > 0 ? mentions : undefined,
    };
  }
  return undefined;
}

/** Digits of a phone-number jid; undefined for LIDs, groups and anything else. */
export const phoneOfJid = (jid: string | null | undefined): string | undefined => {
  if (!jid?.endsWith('@s.whatsapp.net')) return undefined;
  const user = jidNormalizedUser(jid).split('@')[0];
  return user && /^\d{6,15}$/.test(user) ? user : undefined;
};
