import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { MessageContent } from '../../../shared/commands.js';
import { assertTargetUrl, targetPolicy } from '../../../shared/net/target-guard.js';
import { normalizePhone } from '../../../shared/phone.js';
import {
  MediaLinkView,
  MessageView,
  SendAccepted,
  SendMediaRequest,
  SendRequest,
} from '../../../shared/schemas/api.js';
import { MessageRequest } from '../../../shared/schemas/message-kinds.js';
import type { MessageRow } from '../../../shared/stores/messages.js';
import type { ApiDeps } from '../deps.js';
import type { AppEnv } from '../env.js';
import { idempotent } from '../operations/idempotent.js';
import { MEDIA_LINK_TTL_SECONDS, mediaLink } from '../operations/media-link.js';
import { contentOf } from '../operations/message-request.js';
import { targetTenant } from '../operations/scope.js';
import { sendMessage } from '../operations/send.js';
import { errorResponses, json, jsonBody, security } from './common.js';

const idempotencyHeader = z.object({
  'idempotency-key': z.string().optional().openapi({
    description: 'Repeat a request safely: a replay returns the first answer and sends nothing.',
  }),
});

const send = createRoute({
  method: 'post',
  path: '/send',
  tags: ['Messages'],
  summary: 'Send a text message',
  security,
  request: { headers: idempotencyHeader, body: jsonBody(SendRequest) },
  responses: { 202: json(SendAccepted, 'Queued for sending'), ...errorResponses },
});

const sendMedia = createRoute({
  method: 'post',
  path: '/send-media',
  tags: ['Messages'],
  summary: 'Send an image, video, audio or document by URL',
  security,
  request: { headers: idempotencyHeader, body: jsonBody(SendMediaRequest) },
  responses: { 202: json(SendAccepted, 'Queued for sending'), ...errorResponses },
});

const sendAny = createRoute({
  method: 'post',
  path: '/messages',
  tags: ['Messages'],
  summary: 'Send a message of any kind',
  description:
    'One route for every kind, chosen by `type`: text, image, video, audio, voice (a push-to-talk note), document, sticker, location, contacts, reaction, poll. `replyTo` quotes a message of the chat and `mentions` mentions phone numbers (not on reactions and polls). Answers 202 with the WhatsApp message id; `POST /send` and `POST /send-media` are shortcuts for text and media.',
  security,
  request: { headers: idempotencyHeader, body: jsonBody(MessageRequest) },
  responses: { 202: json(SendAccepted, 'Queued for sending'), ...errorResponses },
});

const getMessage = createRoute({
  method: 'get',
  path: '/messages/{id}',
  tags: ['Messages'],
  summary: 'Status and history of one message',
  security,
  request: {
    params: z.object({ id: z.string().min(1).max(128) }),
    query: z.object({ companyId: z.string().optional() }),
  },
  responses: { 200: json(MessageView, 'The message'), ...errorResponses },
});

const getMedia = createRoute({
  method: 'get',
  path: '/messages/{id}/media',
  tags: ['Messages'],
  summary: 'A download link for the media of a received message',
  description: `A presigned HTTPS link to the stored file, valid for ${MEDIA_LINK_TTL_SECONDS} seconds; fetch it without the API key. 404 when the message has no media, 409 when its media could not be fetched from WhatsApp.`,
  security,
  request: {
    params: z.object({ id: z.string().min(1).max(128) }),
    query: z.object({ companyId: z.string().optional() }),
  },
  responses: { 200: json(MediaLinkView, 'The link'), ...errorResponses },
});

export function messageRoutes(deps: ApiDeps) {
  const app = new OpenAPIHono<AppEnv>();

  /**
   * Every send route: the request is run once per Idempotency-Key, its content resolved, recorded
   * and queued as one `message.send` command; 202 with the WhatsApp message id.
   */
  const accept = async (
    c: Context<AppEnv>,
    tenantId: string,
    to: string,
    request: unknown,
    content: () => Promise<MessageContent> | MessageContent,
  ) => {
    const result = await idempotent(c, deps, tenantId, request, async () => {
      const sent = await sendMessage(deps, { tenantId, to, content: await content() });
      return { status: 202, body: { success: true, data: { ...sent, companyId: tenantId } } };
    });
    if (result.replayed) c.header('Idempotent-Replayed', 'true');
    return c.json(result.body as z.infer<typeof SendAccepted>, 202);
  };

  app.openapi(sendAny, async (c) => {
    const body = c.req.valid('json');
    const tenantId = targetTenant(c, body.companyId);
    const to = normalizePhone(body.to, 'to');
    return accept(c, tenantId, to, body, () => contentOf(deps, tenantId, to, body));
  });

  app.openapi(send, async (c) => {
    const body = c.req.valid('json');
    const tenantId = targetTenant(c, body.companyId);
    const to = normalizePhone(body.phone);
    return accept(c, tenantId, to, body, () => ({ type: 'text', text: body.message }));
  });

  app.openapi(sendMedia, async (c) => {
    const body = c.req.valid('json');
    const tenantId = targetTenant(c, body.companyId);
    const to = normalizePhone(body.phone);
    // What the socket host would refuse when fetching (in production: http, credentials, a
    // non-public address literal) is a 400 now, not a failed message later; the host still
    // resolves host names and checks every redirect.
    assertTargetUrl(body.mediaUrl, targetPolicy(deps.config), 'mediaUrl');
    return accept(c, tenantId, to, body, () => ({
      type: body.type,
      url: body.mediaUrl,
      caption: body.caption,
      fileName: body.fileName,
      mimeType: body.mimeType,
    }));
  });

  app.openapi(getMessage, async (c) => {
    const tenantId = targetTenant(c, c.req.valid('query').companyId);
    const row = await deps.messages.get(tenantId, c.req.valid('param').id);
    return c.json(
      {
        success: true as const,
        data: {
          messageId: row.messageId,
          companyId: tenantId,
          direction: row.direction,
          to: row.to,
          from: row.from,
          status: row.status,
          statusHistory: row.statusHistory,
          error: row.error,
          possibleDuplicate: row.possibleDuplicate,
          ...contentView(row),
          createdAt: row.createdAt,
          updatedAt: row.updatedAt,
        },
      },
      200,
    );
  });

  app.openapi(getMedia, async (c) => {
    const tenantId = targetTenant(c, c.req.valid('query').companyId);
    const link = await mediaLink(
      { messages: deps.messages, s3: deps.s3, bucketName: deps.config.bucketName, now: deps.now },
      tenantId,
      c.req.valid('param').id,
    );
    return c.json({ success: true as const, data: link }, 200);
  });

  return app;
}

type ContentView = Pick<
  z.infer<typeof MessageView>['data'],
  'kind' | 'text' | 'media' | 'location' | 'contacts' | 'poll' | 'reaction' | 'replyTo'
>;

/** What the message carried: the sent content, or what arrived. */
function contentView(row: MessageRow): ContentView {
  const { content, inbound } = row;
  if (inbound) {
    const media = inbound.media;
    return {
      kind: inbound.kind,
      text: inbound.text,
      media: media && {
        type: media.type,
        mimeType: media.mimeType,
        fileName: media.fileName,
        size: media.size,
        caption: media.caption,
        error: media.error,
        downloadable: media.storageKey !== undefined,
      },
      location: inbound.location,
      contacts: inbound.contacts?.map((card) => ({
        name: card.name,
        phones: card.phones.map((p) => p.number),
      })),
      poll: inbound.poll,
      reaction: inbound.reaction,
      replyTo: inbound.replyTo,
    };
  }
  if (!content) return { kind: 'other' };
  const replyTo = 'replyTo' in content ? content.replyTo?.messageId : undefined;
  switch (content.type) {
    case 'text':
      return { kind: 'text', text: content.text, replyTo };
    case 'location': {
      const { latitude, longitude, name, address } = content;
      return { kind: 'location', location: { latitude, longitude, name, address }, replyTo };
    }
    case 'contacts':
      return {
        kind: 'contacts',
        contacts: content.contacts.map((card) => ({
          name: card.name,
          phones: card.phones.map((p) => p.number),
        })),
        replyTo,
      };
    case 'poll': {
      const { question, options, selectableCount } = content;
      return { kind: 'poll', poll: { question, options, selectableCount } };
    }
    case 'reaction':
      return { kind: 'reaction', reaction: { emoji: content.emoji, messageId: content.target.messageId } };
    default:
      return {
        kind: 'media',
        media: {
          type: content.type,
          mimeType: content.mimeType,
          fileName: content.fileName,
          caption: content.caption,
          downloadable: false,
        },
        replyTo,
      };
  }
}
