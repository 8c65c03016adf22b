import type { AnyMessageContent } from '@whiskeysockets/baileys';
import type { MessageContent } from '../../shared/commands.js';
import { ValidationError } from '../../shared/errors.js';
import type { TargetPolicy } from '../../shared/net/target-guard.js';
import { fetchMedia } from '../media/fetch-media.js';

/** What Baileys sends for a command's content; media is fetched from its URL first. */
export async function buildContent(
  content: MessageContent,
  media: { policy: TargetPolicy; maxBytes: number },
): Promise<AnyMessageContent> {
  if (content.type === 'text') return { text: content.text };
  const fetched = await fetchMedia(content.url, content.type, media);
  const mimetype = content.mimeType ?? fetched.mimeType;
  switch (content.type) {
    case 'image':
      return { image: fetched.data, caption: content.caption, mimetype };
    case 'video':
      return { video: fetched.data, caption: content.caption, mimetype };
    case 'audio':
      return { audio: fetched.data, mimetype };
    case 'document':
      return {
        document: fetched.data,
        mimetype,
        fileName: content.fileName ?? 'file',
        caption: content.caption,
      };
    default:
      throw new ValidationError({ message: 'Unsupported content type' });
  }
}
