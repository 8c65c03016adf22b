import { readFile } from 'node:fs/promises';
import {
  type AnyMessageContent,
  generateWAMessageContent,
  generateWAMessageFromContent,
  jidNormalizedUser,
  type proto,
  type WAMediaUploadFunction,
  type WAMessage,
  type WAMessageKey,
} from '@whiskeysockets/baileys';
import type { MediaHost } from './media-host.js';

/**
 * What a simulated phone's WhatsApp puts in a message, built with Baileys' own helpers so it is
 * exactly what a real client makes: text with mentions, media (encrypted and uploaded to the
 * simulator's media host, stickers and voice notes included), locations, contact cards, polls,
 * reactions, view-once wrappers, replies that quote an earlier message, and the protocol
 * messages that edit or delete one the phone sent.
 */

/** Baileys' content shapes: `{ text, mentions }`, `{ image }`, `{ sticker }`, `{ audio, ptt }`, `{ location }`, `{ contacts }`, `{ poll }`, `{ react }`… */
export type PhoneContent = AnyMessageContent;

export interface ContentOptions {
  /** The message to quote: the content becomes a reply to it (`contextInfo.stanzaId`). */
  quoted?: WAMessage;
}

/** Uploads as a phone does: the encrypted file goes to the media host, which answers its path. */
export function uploadTo(media: MediaHost): WAMediaUploadFunction {
  return async (encFilePath) => {
    const { url, directPath } = media.put(await readFile(encFilePath));
    return { mediaUrl: url, directPath };
  };
}

export async function buildContent(
  content: PhoneContent,
  input: { upload: WAMediaUploadFunction; from: string; to: string } & ContentOptions,
): Promise<proto.IMessage> {
  const message = await generateWAMessageContent(content, { upload: input.upload });
  if (!input.quoted) return message;
  const full = generateWAMessageFromContent(jidNormalizedUser(input.to), message, {
    quoted: input.quoted,
    userJid: input.from,
  });
  return full.message ?? message;
}

/** The key of a message the phone sent to `to`, as its own edits and revokes name it. */
export function ownMessageKey(to: string, id: string): WAMessageKey {
  return { remoteJid: jidNormalizedUser(to), fromMe: true, id };
}

/** A message the phone received, as Baileys' `quoted` option wants it. */
export function quotable(received: { id: string; from: string; message: proto.IMessage }): WAMessage {
  return {
    key: { remoteJid: jidNormalizedUser(received.from), fromMe: false, id: received.id },
    message: received.message,
  };
}

/** The edit of a text the phone sent: Baileys' `{ text, edit }` (a MESSAGE_EDIT protocol message). */
export function editOf(to: string, id: string, text: string): PhoneContent {
  return { text, edit: ownMessageKey(to, id) };
}

/** Deletion for everyone of a message the phone sent: Baileys' `{ delete }` (a REVOKE protocol message). */
export function revokeOf(to: string, id: string): PhoneContent {
  return { delete: ownMessageKey(to, id) };
}
