import { getContentType, jidNormalizedUser, proto, type WAMessage } from '@whiskeysockets/baileys';
import type { EventData } from '../../shared/events.js';

/**
 * Turns a received Baileys message into the `message.received` event data. Media is described
 * here and stored by the caller (`storeMedia`), which returns the object key.
 */

export type Received = EventData<'message.received'>;

const MEDIA_KINDS = {
  imageMessage: 'image',
  videoMessage: 'video',
  audioMessage: 'audio',
  documentMessage: 'document',
} as const;

/** Messages that carry no user content (key distribution, protocol, history sync). */
const SIGNALLING = new Set(['protocolMessage', 'senderKeyDistributionMessage', 'messageContextInfo']);

export const phoneOfJid = (jid: string | null | undefined): string | undefined => {
  if (!jid?.endsWith('@s.whatsapp.net')) return undefined;
  const user = jidNormalizedUser(jid).split('@')[0];
  return user && /^\d{6,15}$/.test(user) ? user : undefined;
};

export type MediaKind = (typeof MEDIA_KINDS)[keyof typeof MEDIA_KINDS];

export interface InboundView {
  data: Received;
  /** Set when the message has media to download and store. */
  media?: { kind: MediaKind; mimeType?: string; fileName?: string; size?: number; caption?: string };
}

export function describeInbound(message: WAMessage): InboundView | undefined {
  const { key } = message;
  if (!key.id || !key.remoteJid || key.fromMe || !message.message) return undefined;
  const content = message.message;
  const type = getContentType(content);
  if (!type || SIGNALLING.has(type)) return undefined;
  const chatJid = key.remoteJid;
  const senderJid = key.participant ?? chatJid;
  const seconds = Number(message.messageTimestamp ?? Math.floor(Date.now() / 1000));
  const base: Received = {
    messageId: key.id,
    chatJid,
    senderJid,
    from: phoneOfJid(key.participantAlt ?? key.remoteJidAlt) ?? phoneOfJid(senderJid),
    pushName: message.pushName ?? undefined,
    timestamp: new Date(seconds * 1000).toISOString(),
    kind: 'other',
  };
  if (type === 'conversation') return { data: { ...base, kind: 'text', text: content.conversation ?? '' } };
  if (type === 'extendedTextMessage') {
    const ext = content.extendedTextMessage;
    return {
      data: {
        ...base,
        kind: 'text',
        text: ext?.text ?? '',
        replyTo: ext?.contextInfo?.stanzaId ?? undefined,
      },
    };
  }
  if (type === 'reactionMessage') {
    const reaction = content.reactionMessage;
    return {
      data: {
        ...base,
        kind: 'reaction',
        reaction: { emoji: reaction?.text ?? '', messageId: reaction?.key?.id ?? '' },
      },
    };
  }
  if (type in MEDIA_KINDS) {
    const kind = MEDIA_KINDS[type as keyof typeof MEDIA_KINDS];
    const media = content[type as keyof typeof MEDIA_KINDS] as
      | (proto.Message.IImageMessage & proto.Message.IDocumentMessage)
      | null
      | undefined;
    return {
      data: { ...base, kind: 'media', replyTo: media?.contextInfo?.stanzaId ?? undefined },
      media: {
        kind,
        mimeType: media?.mimetype ?? undefined,
        fileName: media?.fileName ?? undefined,
        size: media?.fileLength ? Number(media.fileLength) : undefined,
        caption: media?.caption ?? undefined,
      },
    };
  }
  return { data: base };
}

/** Outbound status from a receipt, in our vocabulary; undefined for statuses we do not report. */
export function statusOfReceipt(status: number | null | undefined) {
  switch (status) {
    case proto.WebMessageInfo.Status.SERVER_ACK:
      return 'sent' as const;
    case proto.WebMessageInfo.Status.DELIVERY_ACK:
      return 'delivered' as const;
    case proto.WebMessageInfo.Status.READ:
    case proto.WebMessageInfo.Status.PLAYED:
      return 'read' as const;
    case proto.WebMessageInfo.Status.ERROR:
      return 'failed' as const;
    default:
      return undefined;
  }
}
