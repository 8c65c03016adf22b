import { randomUUID } from 'node:crypto';
import { createRoute, OpenAPIHono } from '@hono/zod-openapi';
import { normalizePhone } from '../../../shared/phone.js';
import { DiagnoseRequest, Diagnosis, Health } from '../../../shared/schemas/api.js';
import type { ApiDeps } from '../deps.js';
import type { AppEnv } from '../env.js';
import { principalOf } from '../middleware/auth.js';
import { resolveTenant } from '../operations/scope.js';
import { issue, waitForSession } from '../operations/sessions.js';
import { errorResponses, json, security } from './common.js';

const health = createRoute({
  method: 'get',
  path: '/health',
  tags: ['Health'],
  summary: 'Liveness; with a key, session totals too',
  responses: { 200: json(Health, 'The API answers'), ...errorResponses },
});

const diagnose = createRoute({
  method: 'post',
  path: '/diagnose',
  tags: ['Health'],
  summary: "Why a tenant's messages may not be flowing",
  security,
  request: { body: { required: false, content: { 'application/json': { schema: DiagnoseRequest } } } },
  responses: { 200: json(Diagnosis, 'Findings and what to do'), ...errorResponses },
});

/** How long diagnose waits for the socket host to check a contact. */
const CONTACT_CHECK_WAIT_MS = 5_000;

export function healthRoutes(deps: ApiDeps) {
  const app = new OpenAPIHono<AppEnv>();

  // Public liveness, so load balancers need no key; totals only for a valid key (own tenant or all).
  app.openapi(health, async (c) => {
    const base = {
      status: 'ok' as const,
      provider: 'baileys' as const,
      uptime: Math.round((Date.now() - deps.startedAt) / 1000),
      memoryUsage: `${Math.round(process.memoryUsage().rss / 1_048_576)}MB`,
    };
    const principal = await principalOf(deps, c.req.header('authorization'));
    if (!principal) return c.json({ success: true as const, data: base }, 200);
    const rows =
      principal.role === 'tenant'
        ? [await deps.sessions.find(principal.tenantId)].filter((r) => r !== undefined)
        : await allSessions(deps);
    const sessionsByStatus: Record<string, number> = {};
    for (const row of rows) sessionsByStatus[row.status] = (sessionsByStatus[row.status] ?? 0) + 1;
    const failed = sessionsByStatus.failed ?? 0;
    return c.json(
      {
        success: true as const,
        data: {
          ...base,
          status: failed > 0 ? ('degraded' as const) : ('ok' as const),
          totalSessions: rows.length,
          connectedSessions: sessionsByStatus.connected ?? 0,
          sessionsByStatus,
        },
      },
      200,
    );
  });

  return app;
}

export function diagnoseRoutes(deps: ApiDeps) {
  const app = new OpenAPIHono<AppEnv>();

  app.openapi(diagnose, async (c) => {
    const body = (c.req.valid('json') ?? {}) as { phone?: string; companyId?: string };
    const tenant = await resolveTenant(c, deps, body.companyId);
    const { tenantId } = tenant;
    const phone = body.phone ? normalizePhone(body.phone) : undefined;
    const { row: view, exists } = await deps.sessions.view(tenantId);
    const row = exists ? view : undefined;
    const limit = tenant.rateLimit ?? deps.config.rateLimit;
    const status = row?.status ?? 'stopped';
    const issues: string[] = [];
    const recommendations: string[] = [];

    if (!row || status === 'stopped') {
      issues.push('The session is not running.');
      recommendations.push(`POST /api/whatsapp/sessions/${tenantId}/initialize and link the phone.`);
    } else if (status === 'logged_out') {
      issues.push('The phone unlinked this device (logged out).');
      recommendations.push('Initialize again and scan a new QR code or use a pairing code.');
    } else if (status === 'failed') {
      issues.push(`The session failed: ${row.lastDisconnect?.reason ?? 'unknown reason'}.`);
      recommendations.push(
        'Initialize again; if it keeps failing, log out (DELETE the session) and re-link.',
      );
    } else if (status === 'reconnecting') {
      issues.push(
        `Reconnecting (attempt ${row.reconnectAttempts}) after: ${row.lastDisconnect?.reason ?? 'a disconnect'}.`,
      );
      recommendations.push('Wait: reconnects back off exponentially. Check status again in a minute.');
    } else if (status === 'qr' || status === 'pairing') {
      issues.push('The session waits to be linked.');
      recommendations.push(
        'Scan the QR code (GET /sessions/{id}/qr) or enter the pairing code on the phone.',
      );
    }
    // Counters exist without a session too: sends fail while none is running.
    if (view.failedCount > 0 && view.failedCount >= view.sentCount / 10) {
      issues.push(`${view.failedCount} of ${view.sentCount + view.failedCount} sends failed.`);
      recommendations.push('Check GET /messages/{id} of a failed message for its reason.');
    }

    let contact: { phone: string; checked: boolean; exists: boolean | null; jid: string | null } | null =
      null;
    if (phone) {
      contact = { phone, checked: false, exists: null, jid: null };
      if (status === 'connected') {
        const requestId = randomUUID();
        await issue(deps, tenantId, 'contact.check', { phone, requestId });
        const check = await waitForSession(
          deps,
          tenantId,
          (r) => (r.lastContactCheck?.requestId === requestId ? r.lastContactCheck : undefined),
          CONTACT_CHECK_WAIT_MS,
        );
        if (check) {
          contact = { phone, checked: true, exists: check.exists, jid: check.jid ?? null };
          if (!check.exists) issues.push(`${phone} is not on WhatsApp.`);
        } else {
          recommendations.push('The contact check did not finish in time; try again.');
        }
      } else {
        recommendations.push('Connect the session to check whether the phone number is on WhatsApp.');
      }
    }

    return c.json(
      {
        success: true as const,
        data: {
          companyId: tenantId,
          session: {
            exists: row !== undefined,
            status,
            connected: status === 'connected',
            lastDisconnect: row?.lastDisconnect ?? null,
            reconnectAttempts: row?.reconnectAttempts ?? 0,
          },
          rateLimit: { limit: limit.maxRequests, windowMs: limit.windowMs },
          contact,
          issues,
          recommendations,
        },
      },
      200,
    );
  });

  return app;
}

async function allSessions(deps: ApiDeps) {
  const rows = [];
  let cursor: string | undefined;
  do {
    const page = await deps.sessions.list(cursor);
    rows.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return rows;
}
