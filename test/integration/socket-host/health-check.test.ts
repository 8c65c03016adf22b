import { performance } from 'node:perf_hooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/aws/clients.js';
import { eventually } from '../../support/env.js';
import { linkByQr, startTestGateway, type TestGateway, waitForStatus } from '../../support/gateway.js';

/**
 * HEALTH_CHECK_INTERVAL: a connected socket that receives nothing for two intervals is pinged,
 * and reconnected if the ping goes unanswered. Baileys' own keep-alive would take 30–60 s to
 * notice a silent server; with a 1 s interval the health check does within a few seconds.
 */
describe('the socket health check', () => {
  let gw: TestGateway;
  const INTERVAL_MS = 1_000;
  /** lastSeenAt writes, by tenant. */
  const seenWrites = new Map<string, number>();

  beforeAll(async () => {
    gw = await startTestGateway('health', { HEALTH_CHECK_INTERVAL: String(INTERVAL_MS) });
    const clients = createAwsClients(gw.config);
    clients.dynamo.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as { Key?: { tenantId?: string }; ExpressionAttributeValues?: object };
        const tenantId = input.Key?.tenantId;
        if (tenantId && input.ExpressionAttributeValues && ':lastSeenAt' in input.ExpressionAttributeValues) {
          seenWrites.set(tenantId, (seenWrites.get(tenantId) ?? 0) + 1);
        }
        return next(args);
      },
      { step: 'initialize', name: 'countLastSeenWrites' },
    );
    await gw.startHost(undefined, { clients });
  });
  afterAll(() => gw.close());

  it('shows lastSeenAt on the status route and reconnects a socket whose server went silent', async () => {
    const { client, tenantId } = await gw.api.createTenant();
    const phone = gw.sim.createPhone();
    await linkByQr(client, tenantId, phone);
    const seen = await eventually(async () => {
      const data = (await client.get(`/sessions/${tenantId}/status`)).body.data;
      return data.lastSeenAt ? (data.lastSeenAt as string) : undefined;
    });
    expect(Date.parse(seen)).toBeGreaterThanOrEqual(
      Date.parse((await waitForStatus(client, tenantId, 'connected')).connectedAt) - 1_000,
    );

    const [silent] = gw.sim.connections().filter((c) => c.phoneNumber === phone.number && c.state === 'open');
    if (!silent) throw new Error('no open connection');
    // No pongs, no answers, nothing: the socket still reports connected on the client side.
    expect(gw.sim.stopAnswering(silent.id)).toBe(1);

    // Well inside Baileys' own keep-alive detection (≥ 35 s): only the health check reconnects this soon.
    const replacement = await eventually(
      () =>
        gw.sim
          .connections()
          .find((c) => c.phoneNumber === phone.number && c.state === 'open' && c.id !== silent.id),
      { timeoutMs: 15_000, message: 'a new connection of the device' },
    );
    expect(replacement.silent).toBe(false);
    expect(gw.sim.connections().some((c) => c.id === silent.id)).toBe(false);
    const session = await waitForStatus(client, tenantId, 'connected');
    // 408, as Baileys reports a lost connection.
    expect(session.lastDisconnect).toMatchObject({ code: 408 });
    // Seen again on the new socket.
    await eventually(async () => {
      const data = (await client.get(`/sessions/${tenantId}/status`)).body.data;
      return Date.parse(data.lastSeenAt) > Date.parse(session.lastDisconnect.at) ? true : undefined;
    });
  });

  it('writes lastSeenAt at most once per interval, however many frames arrive', async () => {
    const { client, tenantId } = await gw.api.createTenant();
    const owner = gw.sim.createPhone();
    const contact = gw.sim.createPhone();
    await linkByQr(client, tenantId, owner);
    const writesBefore = seenWrites.get(tenantId) ?? 0;
    const started = performance.now();
    const ids: string[] = [];
    for (let n = 0; n < 30; n++) ids.push(await contact.sendText(owner.jid, `frame ${n}`));
    for (const id of ids) {
      await eventually(async () => ((await client.get(`/messages/${id}`)).status === 200 ? true : undefined));
    }
    // The burst can end before the next interval's tick: the frames it saw are written then.
    await eventually(() => ((seenWrites.get(tenantId) ?? 0) > writesBefore ? true : undefined), {
      message: 'a lastSeenAt write after the burst',
    });
    const intervals = Math.ceil((performance.now() - started) / INTERVAL_MS);
    const writes = (seenWrites.get(tenantId) ?? 0) - writesBefore;
    // Dozens of frames (messages, their retries and acks): one write per interval that saw any.
    expect(writes).toBeLessThanOrEqual(intervals + 1);
    expect(writes).toBeLessThan(ids.length);
  });
});
