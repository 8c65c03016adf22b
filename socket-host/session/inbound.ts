import { normalizeMessageContent, proto, type WAMessage } from '@whiskeysockets/baileys';
import type { EventData } from '../../shared/events.js';
import { type MediaToStore, parseContent, phoneOfJid } from './inbound-kinds.js';

/**
 * Turns a received Baileys message into the event it is: `message.received` for content (media is
 * described here and stored by the caller, `storeMedia`, which returns the object key), or
 * `message.edited` / `message.deleted` for the sender's edit or revoke of an earlier message.
 * View-once, ephemeral and other wrappers are unwrapped first (Baileys' `normalizeMessageContent`).
 */

export type Received = EventData<'message.received'>;
export { phoneOfJid };

/** Keys that carry no user content by themselves (key distribution, protocol, context). */
const SIGNALLING = new Set(['protocolMessage', 'senderKeyDistributionMessage', 'messageContextInfo']);

export interface InboundView {
  data: Received;
  /** Set when the message has media to download and store. */
  media?: MediaToStore;
}

export type ProtocolEvent =
  | { type: 'message.edited'; data: EventData<'message.edited'> }
  | { type: 'message.deleted'; data: EventData<'message.deleted'> };

type Envelope = Pick<Received, 'messageId' | 'chatJid' | 'senderJid' | 'from' | 'pushName' | 'timestamp'>;

/** Who sent what when; undefined for our own messages and empty ones. */
function envelopeOf(message: WAMessage): Envelope | undefined {
  const { key } = message;
  if (!key.id || !key.remoteJid || key.fromMe || !message.message) return undefined;
  const chatJid = key.remoteJid;
  const senderJid = key.participant ?? chatJid;
  const seconds = Number(message.messageTimestamp ?? Math.floor(Date.now() / 1000));
  return {
    messageId: key.id,
    chatJid,
    senderJid,
    from: phoneOfJid(key.participantAlt ?? key.remoteJidAlt) ?? phoneOfJid(senderJid),
    pushName: message.pushName ?? undefined,
    timestamp: new Date(seconds * 1000).toISOString(),
  };
}

export function describeInbound(message: WAMessage): InboundView | undefined {
  const envelope = envelopeOf(message);
  const content = normalizeMessageContent(message.message);
  if (!envelope || !content || content.protocolMessage) return undefined;
  const viewOnce = isViewOnce(message.message ?? {}, content) || undefined;
  const parsed = parseContent(content);
  if (!parsed) {
    const carriesContent = Object.keys(content).some(
      (k) => (k === 'conversation' || k.endsWith('Message')) && !SIGNALLING.has(k),
    );
    return carriesContent ? { data: { ...envelope, kind: 'other', viewOnce } } : undefined;
  }
  const { fields, media, replyTo, mentions } = parsed;
  return { data: { ...envelope, ...fields, replyTo, mentions, viewOnce }, ...(media ? { media } : {}) };
}

/** The edit or revoke a protocol message carries; undefined for any other protocol message. */
export function describeProtocol(message: WAMessage): ProtocolEvent | undefined {
  const envelope = envelopeOf(message);
  const protocol = normalizeMessageContent(message.message)?.protocolMessage;
  const messageId = protocol?.key?.id;
  if (!envelope || !protocol || !messageId) return undefined;
  const { chatJid, senderJid, from, timestamp } = envelope;
  const base = { messageId, chatJid, senderJid, from, timestamp };
  switch (protocol.type) {
    case proto.Message.ProtocolMessage.Type.REVOKE:
      return { type: 'message.deleted', data: base };
    case proto.Message.ProtocolMessage.Type.MESSAGE_EDIT: {
      const text = editedText(normalizeMessageContent(protocol.editedMessage));
      if (text === undefined) return undefined;
      const editedAt = protocol.timestampMs
        ? new Date(Number(protocol.timestampMs)).toISOString()
        : timestamp;
      return { type: 'message.edited', data: { ...base, timestamp: editedAt, text } };
    }
    default:
      return undefined;
  }
}

/** A text's new text, or a media message's new caption. */
function editedText(content: proto.IMessage | undefined): string | undefined {
  if (!content) return undefined;
  const caption =
    content.imageMessage?.caption ?? content.videoMessage?.caption ?? content.documentMessage?.caption;
  return content.conversation ?? content.extendedTextMessage?.text ?? caption ?? undefined;
}

/** A view-once wrapper anywhere in the chain (ephemeral outside it, say), or the media's own flag. */
function isViewOnce(wrapped: proto.IMessage, content: proto.IMessage): boolean {
  let current: proto.IMessage | null | undefined = wrapped;
  for (let depth = 0; current && depth < 5; depth++) {
    if (current.viewOnceMessage || current.viewOnceMessageV2 || current.viewOnceMessageV2Extension)
      return true;
    current = current.ephemeralMessage?.message ?? current.documentWithCaptionMessage?.message;
  }
  return Boolean(
    content.imageMessage?.viewOnce || content.videoMessage?.viewOnce || content.audioMessage?.viewOnce,
  );
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
