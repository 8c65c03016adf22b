import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type ApiClient,
  type ApiResponse,
  expectDocumented,
  startTestApi,
  type TestApi,
} from '../../support/api-client.js';

let api: TestApi;
let tenant: { tenantId: string; client: ApiClient };

beforeAll(async () => {
  api = await startTestApi({ MAX_BODY_BYTES: '8192' });
  tenant = await api.createTenant();
});
afterAll(() => api?.close());

const expectError = (res: { status: number; body: ApiResponse['body'] }, status: number, code: string) => {
  expect(res.status).toBe(status);
  expect(res.body).toMatchObject({ success: false, error: { code } });
  expect(res.body.error).toHaveProperty('isRetryable');
  expect(res.body.error).toHaveProperty('retryAfter');
  expect(res.body.error).toHaveProperty('details');
};

describe('validation failures answer 4xx in the envelope', () => {
  it.each([
    ['a phone that is too short', { phone: '12345', message: 'hi' }, 'phone'],
    ['a phone with letters', { phone: '7900abc4567', message: 'hi' }, 'phone'],
    ['a missing phone', { message: 'hi' }, 'phone'],
    ['a missing message', { phone: '79001234567' }, 'message'],
    ['an empty message', { phone: '79001234567', message: '' }, 'message'],
    ['a message over 4,096 characters', { phone: '79001234567', message: 'x'.repeat(4097) }, 'message'],
    ['a companyId with a slash', { phone: '79001234567', message: 'hi', companyId: 'a/b' }, 'companyId'],
  ])('refuses %s', async (_, body, field) => {
    const res = await tenant.client.post('/send', body);
    expectError(res, 400, 'VALIDATION_ERROR');
    expect(JSON.stringify(res.body.error)).toContain(field);
  });

  it('accepts a message of exactly 4,096 characters', async () => {
    const res = await tenant.client.post('/send', { phone: '79001234567', message: 'x'.repeat(4096) });
    expect(res.status).toBe(202);
  });

  it('refuses an unknown media type and a URL that is not one', async () => {
    const base = { phone: '79001234567', mediaUrl: 'https://example.com/a.bin' };
    expectError(
      await tenant.client.post('/send-media', { ...base, type: 'sticker' }),
      400,
      'VALIDATION_ERROR',
    );
    expectError(
      await tenant.client.post('/send-media', { ...base, mediaUrl: 'not a url', type: 'image' }),
      400,
      'VALIDATION_ERROR',
    );
  });

  it('refuses malformed JSON', async () => {
    const res = await tenant.client.request('POST', '/send', {
      rawBody: '{"phone": "7900',
      headers: { 'content-type': 'application/json' },
    });
    expectError(res, 400, 'VALIDATION_ERROR');
  });

  it('refuses a wrong content type with 415', async () => {
    const res = await tenant.client.request('POST', '/send', {
      rawBody: 'phone=79001234567&message=hi',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expectError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
  });

  it('refuses an oversized body with 413', async () => {
    const res = await tenant.client.request('POST', '/send', {
      rawBody: JSON.stringify({ phone: '79001234567', message: 'x'.repeat(20_000) }),
      headers: { 'content-type': 'application/json' },
    });
    expectError(res, 413, 'PAYLOAD_TOO_LARGE');
  });

  it('refuses usePairingCode without a phone number', async () => {
    const res = await tenant.client.post(`/sessions/${tenant.tenantId}/initialize`, { usePairingCode: true });
    expectError(res, 400, 'VALIDATION_ERROR');
  });

  it('refuses reusing an Idempotency-Key for a different request', async () => {
    const headers = { 'idempotency-key': `k-${Date.now()}` };
    expect((await tenant.client.post('/send', { phone: '79001234567', message: 'a' }, headers)).status).toBe(
      202,
    );
    const res = await tenant.client.post('/send', { phone: '79001234567', message: 'b' }, headers);
    expectError(res, 409, 'CONFLICT');
  });

  it('answers unknown routes and unknown messages with 404 NOT_FOUND', async () => {
    expectError(await tenant.client.get('/no-such-route'), 404, 'NOT_FOUND');
    expectError(await tenant.client.get('/messages/3EB0000000000000000000'), 404, 'NOT_FOUND');
  });

  it('answers a QR request for a session that never started with 409 and a hint', async () => {
    const res = await tenant.client.get(`/sessions/${tenant.tenantId}/qr`);
    expectError(res, 409, 'QR_CODE_ERROR');
    expect(res.body.error.message).toContain('initialize');
  });
});

describe('the document check itself', () => {
  it('fails a response whose body does not match what the document says', async () => {
    await expect(
      expectDocumented(api.deps, 'GET', `/api/whatsapp/sessions/${tenant.tenantId}/status`, {
        status: 200,
        headers: new Headers(),
        body: { success: true, data: { connected: 'yes' } },
      }),
    ).rejects.toThrow();
  });
});
