import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/aws/clients.js';
import { hashApiKey } from '../../../shared/stores/api-keys.js';
import { tableName } from '../../../shared/stores/table-names.js';
import { type ApiResponse, startTestApi, type TestApi } from '../../support/api-client.js';

/** Rotations fired together, for real: each is a read-modify-write that used to lose the race with a 500. */

const ROUNDS = 10;
let api: TestApi;

beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api?.close());

const noServerErrors = (responses: ApiResponse[]) =>
  expect(responses.filter((r) => r.status >= 500).map((r) => r.body)).toEqual([]);

describe('POST /tenants/{id}/webhook-secret/rotate', () => {
  it('serializes two concurrent rotations and a PATCH: both secrets sign, the newest is current', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const { tenantId } = await api.createTenant();
      const rotate = () => api.admin.post(`/tenants/${tenantId}/webhook-secret/rotate`);
      const responses = await Promise.all([
        rotate(),
        rotate(),
        api.admin.patch(`/tenants/${tenantId}`, { name: `renamed ${round}` }),
      ]);
      noServerErrors(responses);
      expect(responses.map((r) => r.status)).toEqual([200, 200, 200]);
      const issued = responses.slice(0, 2).map((r) => r.body.data.webhookSecret as string);

      const tenant = await api.deps.tenants.get(tenantId);
      expect(tenant.name).toBe(`renamed ${round}`);
      expect(tenant.webhookSecrets).toHaveLength(2);
      const [current, previous] = tenant.webhookSecrets;
      expect(current?.expiresAt).toBeUndefined();
      expect(previous?.expiresAt).toBeDefined();
      // One rotation ran after the other: the later's secret is current, the earlier's still signs.
      expect(new Set([current?.secret, previous?.secret])).toEqual(new Set(issued));
      expect(api.deps.tenants.activeSecrets(tenant).sort()).toEqual([...issued].sort());
    }
  });
});

describe('POST /tenants/{id}/api-key/rotate', () => {
  const keysOf = async (tenantId: string) => {
    const { dynamo } = createAwsClients(api.config);
    const { Items = [] } = await dynamo.send(
      new QueryCommand({
        TableName: tableName(api.config, 'apiKeys'),
        IndexName: 'byTenant',
        KeyConditionExpression: 'tenantId = :t',
        ExpressionAttributeValues: { ':t': tenantId },
      }),
    );
    return Items as { keyHash: string; expiresAt?: number }[];
  };

  it('leaves exactly one key without an expiry after concurrent rotations, and every key works', async () => {
    for (let round = 0; round < ROUNDS; round++) {
      const tenant = await api.createTenant();
      const rotate = () => api.admin.post(`/tenants/${tenant.tenantId}/api-key/rotate`);
      const responses = await Promise.all([rotate(), rotate()]);
      noServerErrors(responses);
      expect(responses.map((r) => r.status)).toEqual([200, 200]);
      const issued = responses.map((r) => r.body.data.apiKey as string);

      const keys = await keysOf(tenant.tenantId);
      expect(keys).toHaveLength(3);
      const current = keys.filter((k) => k.expiresAt === undefined);
      expect(current).toHaveLength(1);
      expect(issued.map(hashApiKey)).toContain(current[0]?.keyHash);
      // The original key and the rotation that lost the race are in their grace hour.
      for (const key of [tenant.apiKey, ...issued]) {
        const res = await api.anonymous.withKey(key).get(`/sessions/${tenant.tenantId}/status`);
        expect(res.status).toBe(200);
      }
    }
  });
});
