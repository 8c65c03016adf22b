import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from '../../support/api-client.js';
import { uniqueTenantId } from '../../support/env.js';

describe('webhook URLs in production mode', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ WAFLEET_ENV: 'production' });
  });
  afterAll(() => api.close());

  it.each([
    'http://127.0.0.1:4000/hooks',
    'https://127.0.0.1/hooks',
    'https://169.254.169.254/latest/meta-data/',
    'https://[::1]/hooks',
    'https://localhost/hooks',
  ])('refuses %s when a tenant is created or updated', async (webhookUrl) => {
    const tenantId = uniqueTenantId();
    const created = await api.admin.post('/tenants', { tenantId, name: 'Refused', webhookUrl });
    expect(created.status).toBe(400);
    expect(created.body.error.code).toBe('VALIDATION_ERROR');
    const ok = await api.admin.post('/tenants', { tenantId, name: 'Accepted' });
    expect(ok.status).toBe(201);
    const patched = await api.admin.patch(`/tenants/${tenantId}`, { webhookUrl });
    expect(patched.status).toBe(400);
    expect((await api.admin.get(`/tenants/${tenantId}`)).body.data.webhook).toBeNull();
  });
});
