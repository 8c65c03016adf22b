import type { AnyMessageContent, proto } from '@whiskeysockets/baileys';
import type { MessageContent, OutboundMediaType, QuotedMessage } from '../../shared/commands.js';
import type { TargetPolicy } from '../../shared/net/target-guard.js';
import { toUserJid } from '../../shared/phone.js';
import { buildVCard } from '../../shared/vcard.js';
import { fetchMedia } from '../media/fetch-media.js';

type MediaContent = Extract<MessageContent, { type: OutboundMediaType }>;

/** What WhatsApp's apps send a voice note as (Baileys takes the mimetype as given). */
const VOICE_MIME_TYPE = 'audio/ogg; codecs=opus';

/**
 * What Baileys sends for a command's content, every kind built with Baileys' own message
 * generation (`sendMessage` runs it); media is fetched from its URL first.
 */
export async function buildContent(
  content: MessageContent,
  media: { policy: TargetPolicy; maxBytes: number },
): Promise<AnyMessageContent> {
  switch (content.type) {
    case 'text':
      return { text: content.text, ...contextOf(content) };
    case 'location':
      return {
        location: {
          degreesLatitude: content.latitude,
          degreesLongitude: content.longitude,
          name: content.name,
          address: content.address,
        },
        ...contextOf(content),
      };
    case 'contacts':
      return {
        contacts: {
          displayName:
            content.contacts.length === 1 ? content.contacts[0]?.name : `${content.contacts.length} contacts`,
          contacts: content.contacts.map((card) => ({ displayName: card.name, vcard: buildVCard(card) })),
        },
        ...contextOf(content),
      };
    case 'reaction':
      return {
        react: {
          text: content.emoji,
          key: {
            remoteJid: content.target.chatJid,
            fromMe: content.target.fromMe,
            id: content.target.messageId,
          },
        },
      };
    case 'poll':
      return {
        poll: {
          name: content.question,
          values: content.options,
          selectableCount: content.selectableCount,
          // The API's key, so a redelivered command is the same poll and its votes stay decryptable.
          messageSecret: Buffer.from(content.secret, 'base64'),
        },
      };
    default:
      return { ...(await mediaOf(content, media)), ...contextOf(content) };
  }
}

async function mediaOf(
  content: MediaContent,
  media: { policy: TargetPolicy; maxBytes: number },
): Promise<AnyMessageContent> {
  const fetched = await fetchMedia(content.url, content.type, media);
  const mimetype = content.mimeType ?? fetched.mimeType;
  switch (content.type) {
    case 'image':
      return { image: fetched.data, caption: content.caption, mimetype };
    case 'video':
      return { video: fetched.data, caption: content.caption, mimetype };
    case 'audio':
      return { audio: fetched.data, mimetype };
    case 'voice':
      return { audio: fetched.data, ptt: true, mimetype: VOICE_MIME_TYPE };
    case 'sticker':
      return { sticker: fetched.data, mimetype: 'image/webp' };
    case 'document':
      return {
        document: fetched.data,
        mimetype,
        fileName: content.fileName ?? 'file',
        caption: content.caption,
      };
  }
}

/**
 * A reply and its mentions as the message's context info, the fields Baileys' `quoted` option
 * writes: the quoted id (`stanzaId`), its author (`participant`) and what it said, as far as the
 * messages table knows it.
 */
function contextOf(content: { replyTo?: QuotedMessage; mentions?: string[] }): {
  contextInfo?: proto.IContextInfo;
} {
  const { replyTo, mentions } = content;
  if (!replyTo && !mentions?.length) return {};
  const contextInfo: proto.IContextInfo = {};
  if (mentions?.length) contextInfo.mentionedJid = mentions.map(toUserJid);
  if (replyTo) {
    contextInfo.stanzaId = replyTo.messageId;
    if (replyTo.participant) contextInfo.participant = replyTo.participant;
    if (replyTo.text !== undefined) contextInfo.quotedMessage = { conversation: replyTo.text };
  }
  return { contextInfo };
}
