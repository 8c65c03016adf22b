import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { normalizePhone } from '../../../shared/phone.js';
import { MessageView, SendAccepted, SendMediaRequest, SendRequest } from '../../../shared/schemas/api.js';
import type { ApiDeps } from '../deps.js';
import type { AppEnv } from '../env.js';
import { idempotent } from '../operations/idempotent.js';
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

export function messageRoutes(deps: ApiDeps) {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(send, async (c) => {
    const body = c.req.valid('json');
    const tenantId = targetTenant(c, body.companyId);
    const to = normalizePhone(body.phone);
    const result = await idempotent(c, deps, tenantId, body, async () => {
      const sent = await sendMessage(deps, { tenantId, to, content: { type: 'text', text: body.message } });
      return { status: 202, body: { success: true, data: { ...sent, companyId: tenantId } } };
    });
    if (result.replayed) c.header('Idempotent-Replayed', 'true');
    return c.json(result.body as z.infer<typeof SendAccepted>, 202);
  });

  app.openapi(sendMedia, async (c) => {
    const body = c.req.valid('json');
    const tenantId = targetTenant(c, body.companyId);
    const to = normalizePhone(body.phone);
    const result = await idempotent(c, deps, tenantId, body, async () => {
      const sent = await sendMessage(deps, {
        tenantId,
        to,
        content: {
          type: body.type,
          url: body.mediaUrl,
          caption: body.caption,
          fileName: body.fileName,
          mimeType: body.mimeType,
        },
      });
      return { status: 202, body: { success: true, data: { ...sent, companyId: tenantId } } };
    });
    if (result.replayed) c.header('Idempotent-Replayed', 'true');
    return c.json(result.body as z.infer<typeof SendAccepted>, 202);
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
          createdAt: row.createdAt,
          updatedAt: row.updatedAt,
        },
      },
      200,
    );
  });

  return app;
}
