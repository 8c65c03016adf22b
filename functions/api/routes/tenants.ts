import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { assertPublicTarget, targetPolicy } from '../../../shared/net/target-guard.js';
import {
  ApiKeyRotated,
  CreateTenantRequest,
  TenantCreated,
  TenantId,
  TenantList,
  TenantView,
  UpdateTenantRequest,
  WebhookSecretRotated,
} from '../../../shared/schemas/api.js';
import { API_KEY_GRACE_MS } from '../../../shared/stores/api-keys.js';
import type { Tenant, TenantWebhook } from '../../../shared/stores/tenants.js';
import { breakerState } from '../../../shared/webhook-breaker.js';
import type { ApiDeps } from '../deps.js';
import type { AppEnv } from '../env.js';
import { requireAdmin } from '../middleware/auth.js';
import { errorResponses, json, jsonBody, security } from './common.js';

const tags = ['Tenants (admin key)'];
const params = z.object({ id: TenantId.openapi({ param: { name: 'id', in: 'path' } }) });

const create = createRoute({
  method: 'post',
  path: '/tenants',
  tags,
  security,
  summary: 'Create a tenant; returns its API key and webhook secret once',
  request: { body: jsonBody(CreateTenantRequest) },
  responses: { 201: json(TenantCreated, 'Created'), ...errorResponses },
});
const list = createRoute({
  method: 'get',
  path: '/tenants',
  tags,
  security,
  summary: 'List tenants',
  request: { query: z.object({ cursor: z.string().max(2048).optional() }) },
  responses: { 200: json(TenantList, 'Tenants'), ...errorResponses },
});
const read = createRoute({
  method: 'get',
  path: '/tenants/{id}',
  tags,
  security,
  summary: 'Read a tenant',
  request: { params },
  responses: { 200: json(TenantView, 'The tenant'), ...errorResponses },
});
const update = createRoute({
  method: 'patch',
  path: '/tenants/{id}',
  tags,
  security,
  summary: 'Change name, status, webhook URL or rate limit',
  request: { params, body: jsonBody(UpdateTenantRequest) },
  responses: { 200: json(TenantView, 'The tenant'), ...errorResponses },
});
const rotateKey = createRoute({
  method: 'post',
  path: '/tenants/{id}/api-key/rotate',
  tags,
  security,
  summary: 'New API key; the old one works for one more hour',
  request: { params },
  responses: { 200: json(ApiKeyRotated, 'The new key, shown once'), ...errorResponses },
});
const rotateSecret = createRoute({
  method: 'post',
  path: '/tenants/{id}/webhook-secret/rotate',
  tags,
  security,
  summary: 'New webhook secret; both sign for 24 hours',
  request: { params },
  responses: { 200: json(WebhookSecretRotated, 'The new secret, shown once'), ...errorResponses },
});

/** The public view: secrets never leave except once, at creation or rotation. */
const view = (tenant: Tenant, now: Date) => ({
  tenantId: tenant.tenantId,
  name: tenant.name,
  status: tenant.status,
  createdAt: tenant.createdAt,
  updatedAt: tenant.updatedAt,
  rateLimit: tenant.rateLimit ?? null,
  webhook: tenant.webhook ? webhookView(tenant.webhook, now) : null,
});

/** The endpoint as the tenant should see it: whether it is delivering and, if not, why. */
export const webhookView = (webhook: TenantWebhook, now: Date) => ({
  url: webhook.url,
  enabled: webhook.enabled,
  disabledReason: webhook.disabledReason,
  health: {
    breaker: breakerState(webhook.health, now),
    consecutiveFailures: webhook.health?.consecutiveFailures ?? 0,
    failingSince: webhook.health?.failingSince ?? null,
    lastFailureAt: webhook.health?.lastFailureAt ?? null,
    openUntil: webhook.health?.openUntil ?? null,
  },
});

export function tenantRoutes(deps: ApiDeps) {
  const app = new OpenAPIHono<AppEnv>();
  app.use('/tenants', requireAdmin);
  app.use('/tenants/*', requireAdmin);

  // A webhook URL is checked when it is set, so a bad one is refused now, not at the first event.
  const checkWebhookUrl = async (url: string | null | undefined) => {
    if (url) await assertPublicTarget(url, targetPolicy(deps.config));
  };

  app.openapi(create, async (c) => {
    const body = c.req.valid('json');
    await checkWebhookUrl(body.webhookUrl);
    const tenant = await deps.tenants.create(body);
    const apiKey = await deps.apiKeys.issue(tenant.tenantId);
    const webhookSecret = tenant.webhookSecrets[0]?.secret ?? '';
    return c.json(
      { success: true as const, data: { ...view(tenant, deps.now()), apiKey, webhookSecret } },
      201,
    );
  });

  app.openapi(list, async (c) => {
    const page = await deps.tenants.list(c.req.valid('query').cursor);
    return c.json(
      {
        success: true as const,
        data: { items: page.items.map((t) => view(t, deps.now())), cursor: page.cursor },
      },
      200,
    );
  });

  app.openapi(read, async (c) => {
    const tenant = await deps.tenants.get(c.req.valid('param').id);
    return c.json({ success: true as const, data: view(tenant, deps.now()) }, 200);
  });

  app.openapi(update, async (c) => {
    const patch = c.req.valid('json');
    await checkWebhookUrl(patch.webhookUrl);
    const tenant = await deps.tenants.update(c.req.valid('param').id, patch);
    return c.json({ success: true as const, data: view(tenant, deps.now()) }, 200);
  });

  app.openapi(rotateKey, async (c) => {
    const tenant = await deps.tenants.get(c.req.valid('param').id);
    const apiKey = await deps.apiKeys.rotate(tenant.tenantId);
    const previousKeyValidUntil = new Date(deps.now().getTime() + API_KEY_GRACE_MS).toISOString();
    return c.json({ success: true as const, data: { apiKey, previousKeyValidUntil } }, 200);
  });

  app.openapi(rotateSecret, async (c) => {
    const { tenant, secret } = await deps.tenants.rotateWebhookSecret(c.req.valid('param').id);
    const previous = tenant.webhookSecrets.find((s) => s.secret !== secret);
    return c.json(
      {
        success: true as const,
        data: { webhookSecret: secret, previousSecretValidUntil: previous?.expiresAt ?? null },
      },
      200,
    );
  });

  return app;
}
