import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import { PairingCodeError, QRCodeError, ValidationError } from '../../../shared/errors.js';
import { normalizePhone } from '../../../shared/phone.js';
import {
  Accepted,
  InitializeRequest,
  PairingCodeRequest,
  PairingCodeView,
  QrView,
  SessionList,
  SessionMetrics,
  SessionStatus,
  TenantId,
} from '../../../shared/schemas/api.js';
import type { SessionRow } from '../../../shared/stores/sessions.js';
import type { ApiDeps } from '../deps.js';
import type { AppEnv } from '../env.js';
import { resolveTenant } from '../operations/scope.js';
import { ensureSession, issue, startSession, waitForSession } from '../operations/sessions.js';
import { errorResponses, json, jsonBody, security } from './common.js';

const params = z.object({ id: TenantId.openapi({ param: { name: 'id', in: 'path' } }) });
const tags = ['Sessions'];

const route = <M extends 'get' | 'post' | 'delete', P extends string>(method: M, path: P, summary: string) =>
  ({ method, path, tags, summary, security }) as const;

const list = createRoute({
  ...route('get', '/sessions', 'All sessions this key can see'),
  request: { query: z.object({ cursor: z.string().max(2048).optional() }) },
  responses: { 200: json(SessionList, 'Sessions by company id'), ...errorResponses },
});
const status = createRoute({
  ...route('get', '/sessions/{id}/status', 'Session status'),
  request: { params },
  responses: { 200: json(SessionStatus, 'The session'), ...errorResponses },
});
const qr = createRoute({
  ...route('get', '/sessions/{id}/qr', 'The current QR code to scan'),
  request: { params },
  responses: { 200: json(QrView, 'A QR code that has not expired'), ...errorResponses },
});
const pairingCode = createRoute({
  ...route('post', '/sessions/{id}/pairing-code', 'Link by pairing code instead of QR'),
  request: { params, body: jsonBody(PairingCodeRequest) },
  responses: {
    200: json(PairingCodeView, 'The code to enter on the phone'),
    202: json(Accepted, 'Requested; the code appears on GET /sessions/{id}/status and as a webhook'),
    ...errorResponses,
  },
});
const initialize = createRoute({
  ...route('post', '/sessions/{id}/initialize', 'Start (or restart) the session'),
  request: {
    params,
    body: { required: false, content: { 'application/json': { schema: InitializeRequest } } },
  },
  responses: { 202: json(Accepted, 'Starting'), ...errorResponses },
});
const disconnect = createRoute({
  ...route('post', '/sessions/{id}/disconnect', 'Close the connection, keeping the link'),
  request: { params },
  responses: { 202: json(Accepted, 'Stopping'), ...errorResponses },
});
const remove = createRoute({
  ...route('delete', '/sessions/{id}', 'Log out: unlink the device and erase its auth state'),
  request: { params },
  responses: { 202: json(Accepted, 'Logging out'), ...errorResponses },
});
const metrics = createRoute({
  ...route('get', '/sessions/{id}/metrics', 'Counters of one session'),
  request: { params },
  responses: { 200: json(SessionMetrics, 'The counters'), ...errorResponses },
});

const unexpired = (iso: string | undefined, now: Date) => iso !== undefined && iso > now.toISOString();
const secondsUntil = (iso: string, now: Date) =>
  Math.max(0, Math.round((Date.parse(iso) - now.getTime()) / 1000));

export function sessionRoutes(deps: ApiDeps) {
  const app = new OpenAPIHono<AppEnv>();
  /** A tenant without a session yet is simply `stopped` (with any counters recorded meanwhile). */
  const rowOf = async (tenantId: string) => (await deps.sessions.view(tenantId)).row;
  const accepted = (tenantId: string, commandId: string, row: SessionRow, next?: string) => ({
    success: true as const,
    data: { companyId: tenantId, commandId, status: row.status, next },
  });

  app.openapi(list, async (c) => {
    const principal = c.get('principal');
    const rows =
      principal.role === 'tenant'
        ? { items: [await rowOf(principal.tenantId)], cursor: undefined }
        : await deps.sessions.list(c.req.valid('query').cursor);
    const data = Object.fromEntries(
      rows.items.map((row) => [row.tenantId, { connected: row.status === 'connected', status: row.status }]),
    );
    const connected = rows.items.filter((row) => row.status === 'connected').length;
    return c.json(
      { success: true as const, data, summary: { total: rows.items.length, connected }, cursor: rows.cursor },
      200,
    );
  });

  app.openapi(status, async (c) => {
    const { tenantId } = await resolveTenant(c, deps, c.req.valid('param').id);
    const row = await rowOf(tenantId);
    return c.json(
      {
        success: true as const,
        data: {
          companyId: tenantId,
          connected: row.status === 'connected',
          status: row.status,
          desired: row.desired,
          user: row.user ?? null,
          connectedAt: row.connectedAt ?? null,
          lastSeenAt: row.lastSeenAt ?? null,
          lastDisconnect: row.lastDisconnect ?? null,
          reconnectAttempts: row.reconnectAttempts,
          epoch: row.epoch,
        },
      },
      200,
    );
  });

  app.openapi(qr, async (c) => {
    const { tenantId } = await resolveTenant(c, deps, c.req.valid('param').id);
    const row = await rowOf(tenantId);
    const now = deps.now();
    if (!row.qr || !row.qrExpiresAt || !unexpired(row.qrExpiresAt, now)) {
      throw new QRCodeError({
        message:
          row.status === 'connected'
            ? 'The session is already linked'
            : 'No QR code right now: POST /sessions/{id}/initialize, then poll this route',
        details: { status: row.status },
        retryAfter: row.status === 'connected' ? undefined : 2,
      });
    }
    return c.json(
      {
        success: true as const,
        data: {
          qr: row.qr,
          attempts: row.qrAttempt ?? 1,
          expiresAt: row.qrExpiresAt,
          expiresIn: secondsUntil(row.qrExpiresAt, now),
        },
      },
      200,
    );
  });

  app.openapi(pairingCode, async (c) => {
    const { tenantId } = await resolveTenant(c, deps, c.req.valid('param').id);
    const phoneNumber = normalizePhone(c.req.valid('json').phoneNumber, 'phoneNumber');
    const requestedAt = deps.now();
    const row = await ensureSession(deps, tenantId);
    if (row.status === 'connected') {
      throw new PairingCodeError({
        message: 'The session is already linked',
        details: { status: row.status },
      });
    }
    await deps.sessions.setDesired(tenantId, 'running', { method: 'pairing-code', phoneNumber });
    const commandId = await issue(deps, tenantId, 'session.pairing-code', { phoneNumber });
    const fresh = await waitForSession(
      deps,
      tenantId,
      (r) =>
        r.pairingCode &&
        r.pairingCodeExpiresAt &&
        r.phoneNumber === phoneNumber &&
        r.updatedAt >= requestedAt.toISOString() &&
        unexpired(r.pairingCodeExpiresAt, deps.now())
          ? { code: r.pairingCode, expiresAt: r.pairingCodeExpiresAt }
          : undefined,
      deps.config.pairingCodeWaitMs,
    );
    if (!fresh) {
      return c.json(accepted(tenantId, commandId, row, `GET /api/whatsapp/sessions/${tenantId}/status`), 202);
    }
    return c.json(
      {
        success: true as const,
        data: { code: fresh.code, expiresIn: secondsUntil(fresh.expiresAt, deps.now()), phoneNumber },
      },
      200,
    );
  });

  app.openapi(initialize, async (c) => {
    const { tenantId } = await resolveTenant(c, deps, c.req.valid('param').id);
    const body = (c.req.valid('json') ?? {}) as { usePairingCode?: boolean; phoneNumber?: string };
    if (body.usePairingCode && !body.phoneNumber) {
      throw new ValidationError({
        message: 'phoneNumber is required with usePairingCode',
        details: { field: 'phoneNumber' },
      });
    }
    const phoneNumber = body.phoneNumber ? normalizePhone(body.phoneNumber, 'phoneNumber') : undefined;
    const method = body.usePairingCode ? 'pairing-code' : 'qr';
    const { row, commandId } = await startSession(deps, tenantId, method, phoneNumber);
    const next =
      method === 'qr'
        ? `GET /api/whatsapp/sessions/${tenantId}/qr`
        : `GET /api/whatsapp/sessions/${tenantId}/status (the code also arrives as a session.pairing_code webhook)`;
    return c.json(accepted(tenantId, commandId, row, next), 202);
  });

  app.openapi(disconnect, async (c) => {
    const { tenantId } = await resolveTenant(c, deps, c.req.valid('param').id);
    const row = await ensureSession(deps, tenantId);
    await deps.sessions.setDesired(tenantId, 'stopped');
    const commandId = await issue(deps, tenantId, 'session.stop', {});
    return c.json(accepted(tenantId, commandId, row), 202);
  });

  app.openapi(remove, async (c) => {
    const { tenantId } = await resolveTenant(c, deps, c.req.valid('param').id);
    const row = await ensureSession(deps, tenantId);
    await deps.sessions.setDesired(tenantId, 'stopped');
    const commandId = await issue(deps, tenantId, 'session.logout', {});
    return c.json(accepted(tenantId, commandId, row), 202);
  });

  app.openapi(metrics, async (c) => {
    const { tenantId } = await resolveTenant(c, deps, c.req.valid('param').id);
    const row = await rowOf(tenantId);
    const connected = row.status === 'connected';
    return c.json(
      {
        success: true as const,
        data: {
          companyId: tenantId,
          status: row.status,
          connected,
          uptimeSeconds:
            connected && row.connectedAt
              ? Math.round((deps.now().getTime() - Date.parse(row.connectedAt)) / 1000)
              : null,
          messagesSent: row.sentCount,
          messagesReceived: row.receivedCount,
          messagesFailed: row.failedCount,
          reconnects: row.reconnectCount,
          reconnectAttempts: row.reconnectAttempts,
          lastDisconnect: row.lastDisconnect ?? null,
        },
      },
      200,
    );
  });

  return app;
}
