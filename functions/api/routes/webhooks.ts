import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { NotFoundError } from '../../../shared/errors.js';
import { EVENT_TYPES, type EventType, eventDataSchemas } from '../../../shared/events.js';
import { ok, TenantId, WebhookEndpoint } from '../../../shared/schemas/api.js';
import { WEBHOOK_EVENT_STATUSES, type WebhookEventRow } from '../../../shared/stores/webhook-events.js';
import type { ApiDeps } from '../deps.js';
import type { AppEnv } from '../env.js';
import { resolveTenant } from '../operations/scope.js';
import { MAX_REPLAY, replayEvents } from '../operations/webhooks.js';
import { errorResponses, json, jsonBody, security } from './common.js';
import { webhookView } from './tenants.js';

const tags = ['Webhooks'];
const companyId = TenantId.optional().openapi({
  description: 'Required with the admin key; a tenant key is its own.',
});

const Delivery = z
  .object({
    eventId: z.string(),
    eventType: z.enum(EVENT_TYPES),
    status: z.enum(WEBHOOK_EVENT_STATUSES).openapi({
      description:
        '`pending` queued; `retrying` failed, next try at nextAttemptAt; `delivered` a 2xx came back; `stored` no enabled endpoint, kept for replay; `failed` retries exhausted or endpoint gone (410).',
    }),
    attempts: z.number().int(),
    createdAt: z.string(),
    lastAttemptAt: z.string().optional(),
    lastStatusCode: z.number().int().optional(),
    lastError: z.string().optional(),
    nextAttemptAt: z.string().optional(),
    deliveredAt: z.string().optional(),
    failureReason: z.enum(['retries_exhausted', 'endpoint_gone']).optional(),
  })
  .openapi('WebhookDelivery');

const Attempt = z
  .object({
    attempt: z.number().int(),
    at: z.string(),
    statusCode: z.number().int().optional(),
    latencyMs: z.number(),
    error: z.string().optional(),
  })
  .openapi('WebhookAttempt');

const DeliveryList = ok(z.object({ items: z.array(Delivery), cursor: z.string().optional() })).openapi(
  'WebhookDeliveryList',
);
const DeliveryDetail = ok(Delivery.extend({ attemptLog: z.array(Attempt) })).openapi('WebhookDeliveryDetail');

const ReplayRequest = z
  .object({
    companyId,
    eventIds: z.array(z.string().min(1).max(128)).min(1).max(100).optional(),
    from: z.iso.datetime().optional(),
    to: z.iso.datetime().optional(),
    includeDelivered: z
      .boolean()
      .default(false)
      .openapi({ description: 'Time range only: also resend delivered events.' }),
  })
  .refine((body) => Boolean(body.eventIds) !== Boolean(body.from && body.to), {
    message: 'give either eventIds or both from and to',
    path: ['eventIds'],
  })
  .openapi('WebhookReplayRequest');

const ReplayAccepted = ok(
  z.object({ count: z.number().int(), eventIds: z.array(z.string()), truncated: z.boolean() }),
).openapi('WebhookReplayAccepted');

const EndpointView = ok(
  z.object({
    webhook: WebhookEndpoint.nullable().openapi({ description: 'null: no webhook URL is set.' }),
  }),
).openapi('WebhookEndpointView');

const readEndpoint = createRoute({
  method: 'get',
  path: '/webhooks/endpoint',
  tags,
  security,
  summary: 'The webhook endpoint: URL, enabled (or why not) and its circuit breaker',
  request: { query: z.object({ companyId }) },
  responses: { 200: json(EndpointView, 'The endpoint, or null when none is set'), ...errorResponses },
});

const listDeliveries = createRoute({
  method: 'get',
  path: '/webhooks/deliveries',
  tags,
  security,
  summary: 'Events and their delivery status, newest first',
  request: {
    query: z.object({
      companyId,
      status: z.enum(WEBHOOK_EVENT_STATUSES).optional(),
      eventType: z.enum(EVENT_TYPES).optional(),
      limit: z.coerce.number().int().min(1).max(100).default(50),
      cursor: z.string().max(2048).optional(),
    }),
  },
  responses: { 200: json(DeliveryList, 'Deliveries'), ...errorResponses },
});

const readDelivery = createRoute({
  method: 'get',
  path: '/webhooks/deliveries/{eventId}',
  tags,
  security,
  summary: 'One event’s delivery status and every attempt (status code, latency, error)',
  request: { params: z.object({ eventId: z.string().min(1).max(128) }), query: z.object({ companyId }) },
  responses: { 200: json(DeliveryDetail, 'The delivery and its attempts'), ...errorResponses },
});

const replay = createRoute({
  method: 'post',
  path: '/webhooks/replay',
  tags,
  security,
  summary: `Send events again, by id or by time range (at most ${MAX_REPLAY} per request); attempts start over`,
  request: { body: jsonBody(ReplayRequest) },
  responses: { 202: json(ReplayAccepted, 'Queued for delivery'), ...errorResponses },
});

const view = (row: WebhookEventRow) => ({
  eventId: row.eventId,
  eventType: row.eventType,
  status: row.status,
  attempts: row.attempts,
  createdAt: row.createdAt,
  lastAttemptAt: row.lastAttemptAt,
  lastStatusCode: row.lastStatusCode,
  lastError: row.lastError,
  nextAttemptAt: row.nextAttemptAt,
  deliveredAt: row.deliveredAt,
  failureReason: row.failureReason,
});

/** Endpoint state, delivery log and replay, tenant-scoped: another tenant’s are simply not found. */
export function webhookRoutes(deps: ApiDeps) {
  const { webhooks } = deps;
  const app = new OpenAPIHono<AppEnv>();
  documentWebhooks(app);

  app.openapi(readEndpoint, async (c) => {
    const tenant = await resolveTenant(c, deps, c.req.valid('query').companyId);
    const webhook = tenant.webhook ? webhookView(tenant.webhook, deps.now()) : null;
    return c.json({ success: true as const, data: { webhook } }, 200);
  });

  app.openapi(listDeliveries, async (c) => {
    const query = c.req.valid('query');
    const { tenantId } = await resolveTenant(c, deps, query.companyId);
    const page = await webhooks.events.list(tenantId, query);
    return c.json(
      { success: true as const, data: { items: page.items.map(view), cursor: page.cursor } },
      200,
    );
  });

  app.openapi(readDelivery, async (c) => {
    const { tenantId } = await resolveTenant(c, deps, c.req.valid('query').companyId);
    const { eventId } = c.req.valid('param');
    const row = await webhooks.events.find(tenantId, eventId);
    if (!row) throw new NotFoundError({ message: `Event ${eventId} not found`, details: { eventId } });
    const attempts = await webhooks.attempts.listForEvent(tenantId, eventId);
    const attemptLog = attempts.map(({ attempt, at, statusCode, latencyMs, error }) => ({
      attempt,
      at,
      statusCode,
      latencyMs,
      error,
    }));
    return c.json({ success: true as const, data: { ...view(row), attemptLog } }, 200);
  });

  app.openapi(replay, async (c) => {
    const body = c.req.valid('json');
    const { tenantId } = await resolveTenant(c, deps, body.companyId);
    const input =
      body.eventIds !== undefined
        ? { eventIds: body.eventIds }
        : { from: body.from as string, to: body.to as string, includeDelivered: body.includeDelivered };
    const result = await replayEvents(webhooks, tenantId, input);
    return c.json({ success: true as const, data: result }, 202);
  });

  return app;
}

/** The OpenAPI 3.1 `webhooks` section: one entry per event type, with its payload schema and headers. */
function documentWebhooks(app: OpenAPIHono<AppEnv>) {
  for (const type of EVENT_TYPES) {
    const payload = z
      .object({
        id: z
          .string()
          .openapi({ description: 'Event id; equals the webhook-id header, stable across retries.' }),
        type: z.literal(type),
        timestamp: z.iso.datetime(),
        tenantId: z.string(),
        data: eventDataSchemas[type as EventType],
      })
      .openapi(`WebhookEvent_${type.replace('.', '_')}`);
    app.openAPIRegistry.registerWebhook({
      method: 'post',
      path: type,
      summary: `${type} event`,
      description:
        'Signed per Standard Webhooks: verify webhook-signature (`v1,<base64 HMAC-SHA256 of id.timestamp.body>`, space-separated during a secret rotation) with your whsec_ secret and reject timestamps older than 5 minutes.',
      request: {
        headers: z.object({
          'webhook-id': z.string(),
          'webhook-timestamp': z.string().openapi({ description: 'Unix seconds' }),
          'webhook-signature': z
            .string()
            .openapi({ example: 'v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4=' }),
        }),
        body: jsonBody(payload),
      },
      responses: {
        200: { description: 'Any 2xx marks the event delivered' },
        410: { description: 'Gone: the endpoint is disabled at once' },
      },
    });
  }
}
