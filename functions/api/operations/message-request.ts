import { randomBytes } from 'node:crypto';
import type { ContactCardContent, MessageContent, QuotedMessage } from '../../../shared/commands.js';
import { ValidationError } from '../../../shared/errors.js';
import { assertTargetUrl, targetPolicy } from '../../../shared/net/target-guard.js';
import { normalizePhone, phoneFromJid, toUserJid } from '../../../shared/phone.js';
import type { MessageRequest } from '../../../shared/schemas/message-kinds.js';
import type { MessageRow } from '../../../shared/stores/messages.js';
import type { ApiDeps } from '../deps.js';

type Deps = Pick<ApiDeps, 'messages' | 'sessions' | 'config'>;
type ContactRequest = Extract<MessageRequest, { type: 'contacts' }>['contacts'][number];

/**
 * Turns a `POST /messages` body into the command's content: phone numbers normalized, media URLs
 * checked as `POST /send-media` checks them, and the messages a reply or a reaction names looked
 * up in this tenant's messages of this chat (a miss, another tenant's or another chat's id is a
 * 400 naming the field, before anything is recorded or queued).
 */
export async function contentOf(
  deps: Deps,
  tenantId: string,
  to: string,
  request: MessageRequest,
): Promise<MessageContent> {
  if (request.type === 'reaction') {
    const target = await messageOfChat(deps, tenantId, to, request.reaction.messageId, 'reaction.messageId');
    return {
      type: 'reaction',
      emoji: request.reaction.emoji,
      target: {
        messageId: target.messageId,
        fromMe: target.direction === 'outbound',
        chatJid: toUserJid(to),
      },
    };
  }
  if (request.type === 'poll') {
    const { question, options, selectableCount } = request.poll;
    return { type: 'poll', question, options, selectableCount, secret: randomBytes(32).toString('base64') };
  }
  const threaded = {
    ...(request.replyTo ? { replyTo: await quoteOf(deps, tenantId, to, request.replyTo) } : {}),
    ...(request.mentions ? { mentions: mentionsOf(request.mentions) } : {}),
  };
  switch (request.type) {
    case 'text':
      return { type: 'text', text: request.text.body, ...threaded };
    case 'location':
      return { type: 'location', ...request.location, ...threaded };
    case 'contacts':
      return {
        type: 'contacts',
        contacts: request.contacts.map((contact, i) => cardOf(contact, `contacts.${i}`)),
        ...threaded,
      };
    case 'image':
    case 'video':
    case 'document': {
      const media: { url: string; caption?: string; fileName?: string; mimeType?: string } =
        request.type === 'image'
          ? request.image
          : request.type === 'video'
            ? request.video
            : request.document;
      return { type: request.type, ...checkedMedia(deps, request.type, media), ...threaded };
    }
    case 'audio':
      return { type: 'audio', ...checkedMedia(deps, 'audio', request.audio), ...threaded };
    case 'voice':
      return { type: 'voice', ...checkedMedia(deps, 'voice', request.voice), ...threaded };
    case 'sticker':
      return { type: 'sticker', ...checkedMedia(deps, 'sticker', request.sticker), ...threaded };
  }
}

/** What the socket host would refuse to fetch is a 400 now, as on `POST /send-media`. */
function checkedMedia<T extends { url: string }>(deps: Deps, type: string, media: T): T {
  assertTargetUrl(media.url, targetPolicy(deps.config), `${type}.url`);
  return media;
}

function mentionsOf(phones: string[]): string[] {
  return [...new Set(phones.map((phone, i) => normalizePhone(phone, `mentions.${i}`)))];
}

function cardOf(contact: ContactRequest, field: string): ContactCardContent {
  return {
    name: contact.name.formatted,
    firstName: contact.name.first,
    lastName: contact.name.last,
    organization: contact.org?.company,
    title: contact.org?.title,
    phones: contact.phones.map((phone, i) => ({
      number: phone.phone,
      waId: phone.waId === undefined ? undefined : normalizePhone(phone.waId, `${field}.phones.${i}.waId`),
      type: phone.type,
    })),
    emails: contact.emails?.map((email) => ({ address: email.email, type: email.type })),
    urls: contact.urls?.map((url) => url.url),
  };
}

/** The quoted message's author and text, as WhatsApp shows them above the reply. */
async function quoteOf(deps: Deps, tenantId: string, to: string, messageId: string): Promise<QuotedMessage> {
  const row = await messageOfChat(deps, tenantId, to, messageId, 'replyTo');
  // In a chat with one person, a received message's author is that person (the row may hold
  // only their LID); a sent one's is the tenant's own account.
  const participant =
    row.direction === 'outbound' ? accountJid((await deps.sessions.find(tenantId))?.user?.id) : toUserJid(to);
  const text = textOf(row);
  return { messageId, ...(participant ? { participant } : {}), ...(text ? { text } : {}) };
}

/** A message of this tenant's chat with `to`, sent or received; anything else is a 400 on `field`. */
async function messageOfChat(
  deps: Deps,
  tenantId: string,
  to: string,
  messageId: string,
  field: string,
): Promise<MessageRow> {
  const row = await deps.messages.find(tenantId, messageId);
  const inChat =
    row?.direction === 'outbound'
      ? row.to === to && row.status !== 'failed'
      : row !== undefined && (row.from === to || phoneFromJid(row.chatJid) === to);
  if (!row || !inChat) {
    throw new ValidationError({
      message: `${field} names no message of this chat`,
      details: { field, messageId },
    });
  }
  return row;
}

/** `79001234567:12@s.whatsapp.net` → `79001234567@s.whatsapp.net`: a quote names the account, not a device. */
function accountJid(jid: string | undefined): string | undefined {
  return jid?.replace(/:\d+@/, '@');
}

function textOf(row: MessageRow): string | undefined {
  if (row.inbound) {
    const { text, poll, location, contacts } = row.inbound;
    return text ?? poll?.question ?? location?.name ?? contacts?.[0]?.name;
  }
  const content = row.content;
  if (!content) return undefined;
  switch (content.type) {
    case 'reaction':
      return undefined;
    case 'text':
      return content.text;
    case 'location':
      return content.name;
    case 'poll':
      return content.question;
    case 'contacts':
      return content.contacts[0]?.name;
    default:
      return content.caption;
  }
}
