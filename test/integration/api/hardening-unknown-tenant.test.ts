import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/aws/clients.js';
import { commandSchema } from '../../../shared/commands.js';
import { shardOf } from '../../../shared/shard.js';
import { tableName } from '../../../shared/stores/table-names.js';
import { startTestApi, type TestApi } from '../../support/api-client.js';
import { uniqueTenantId } from '../../support/env.js';
import { commandQueueName, drainQueue, isolatedResources } from '../../support/resources.js';

/** The admin key may name any tenant id; one that does not exist is a 404 and nothing is recorded for it. */

let api: TestApi;
const ghost = uniqueTenantId('nope');

beforeAll(async () => {
  api = await startTestApi(await isolatedResources('api-unknown'));
});
afterAll(() => api?.close());

const rowIn = async (table: 'sessions' | 'idempotency', key: Record<string, string>) => {
  const { dynamo } = createAwsClients(api.config);
  const { Item } = await dynamo.send(
    new GetCommand({ TableName: tableName(api.config, table), Key: key, ConsistentRead: true }),
  );
  return Item;
};

describe('the admin key acting on a tenant that does not exist', () => {
  const send = { phone: '79001234567', message: 'hi', companyId: ghost };
  it.each([
    ['POST', '/send', send],
    [
      'POST',
      '/send-media',
      { phone: '79001234567', type: 'image', mediaUrl: 'https://example.com/a.jpg', companyId: ghost },
    ],
    ['GET', `/sessions/${ghost}/status`, undefined],
    ['GET', `/sessions/${ghost}/metrics`, undefined],
    ['GET', `/sessions/${ghost}/qr`, undefined],
    ['POST', `/sessions/${ghost}/initialize`, undefined],
    ['POST', `/sessions/${ghost}/pairing-code`, { phoneNumber: '79001234567' }],
    ['POST', `/sessions/${ghost}/disconnect`, undefined],
    ['DELETE', `/sessions/${ghost}`, undefined],
    ['GET', `/webhooks/endpoint?companyId=${ghost}`, undefined],
    ['GET', `/webhooks/deliveries?companyId=${ghost}`, undefined],
    ['GET', `/webhooks/deliveries/evt_1?companyId=${ghost}`, undefined],
    ['POST', '/webhooks/replay', { companyId: ghost, eventIds: ['evt_1'] }],
    ['POST', '/diagnose', { companyId: ghost }],
  ])('%s %s answers 404 NOT_FOUND', async (method, path, body) => {
    const res = await api.admin.request(method, path, { body });
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'NOT_FOUND', details: { companyId: ghost } });
  });

  it('records and queues nothing for it: no session row, no idempotency claim, no command', async () => {
    await api.admin.post('/send', send, { 'idempotency-key': 'ghost-1' });
    await api.admin.post(`/sessions/${ghost}/disconnect`);
    expect(await rowIn('sessions', { tenantId: ghost })).toBeUndefined();
    expect(await rowIn('idempotency', { tenantId: ghost, idempotencyKey: 'ghost-1' })).toBeUndefined();
    const { sqs } = createAwsClients(api.config);
    const queued = await drainQueue(sqs, commandQueueName(api.config, shardOf(ghost, api.config.shardCount)));
    expect(queued.map((m) => commandSchema.parse(JSON.parse(m.body)).tenantId)).not.toContain(ghost);
  });

  it('still acts on a tenant that exists, naming it', async () => {
    const { tenantId } = await api.createTenant();
    expect((await api.admin.post('/send', { ...send, companyId: tenantId })).status).toBe(202);
    expect((await api.admin.get(`/sessions/${tenantId}/status`)).status).toBe(200);
    expect((await api.admin.post('/diagnose', { companyId: tenantId })).status).toBe(200);
  });
});
