import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createAwsClients } from '../../../shared/aws/clients.js';
import type { EventPublisher } from '../../../shared/aws/event-publisher.js';
import type { Config } from '../../../shared/config.js';
import type { EventData } from '../../../shared/events.js';
import { createMessageStore, type MessageStore } from '../../../shared/stores/messages.js';
import { advanceMessage, type OutboundStatus } from '../../../socket-host/session/message-status.js';
import { testConfig, uniqueTenantId } from '../../support/env.js';
import { isolatedResources } from '../../support/resources.js';

type StatusEvent = EventData<'message.status'>;

/**
 * Outbound statuses on DynamoDB Local, driven in the order receipts may really arrive: each step
 * reached shows in the history and as an event, in order, however late the earlier steps come.
 */
describe('message status advance, out of order', () => {
  let config: Config;
  let messages: MessageStore;
  let clock = Date.parse('2025-01-01T00:00:00.000Z');

  beforeAll(async () => {
    config = testConfig(await isolatedResources('order'));
    const { dynamo } = createAwsClients(config);
    messages = createMessageStore({
      dynamo,
      config,
      retentionDays: 1,
      now: () => {
        clock += 1_000;
        return new Date(clock);
      },
    });
  });

  /** A queued message and an advance whose events are collected in order. */
  async function queuedMessage() {
    const tenantId = uniqueTenantId('order');
    const messageId = `3EB0${randomUUID().replaceAll('-', '').slice(0, 16).toUpperCase()}`;
    await messages.recordOutbound(tenantId, {
      messageId,
      to: '79001234567',
      content: { type: 'text', text: 'hi' },
    });
    const published: StatusEvent[] = [];
    const events: EventPublisher = {
      async publish(_tenant, type, data) {
        if (type === 'message.status') published.push(data as StatusEvent);
        return { id: 'evt', type, timestamp: new Date().toISOString(), tenantId, data };
      },
    };
    const advance = (status: OutboundStatus) =>
      advanceMessage({ messages, events }, tenantId, messageId, status);
    const history = async () => (await messages.get(tenantId, messageId)).statusHistory;
    return { tenantId, messageId, published, advance, history };
  }

  it('a delivery receipt recorded before sent fills in sent, with its event first', async () => {
    const m = await queuedMessage();
    await m.advance('delivered');
    await m.advance('sent');
    const history = await m.history();
    expect(history.map((h) => h.status)).toEqual(['queued', 'sent', 'delivered']);
    expect(m.published.map((e) => e.status)).toEqual(['sent', 'delivered']);
    expect((await messages.get(m.tenantId, m.messageId)).status).toBe('delivered');
  });

  it('played while still queued implies sent, delivered and read, timestamps in order', async () => {
    const m = await queuedMessage();
    await m.advance('played');
    await m.advance('read');
    await m.advance('delivered');
    const history = await m.history();
    expect(history.map((h) => h.status)).toEqual(['queued', 'sent', 'delivered', 'read', 'played']);
    const times = history.map((h) => h.at);
    expect([...times].sort()).toEqual(times);
    expect(m.published.map((e) => e.status)).toEqual(['sent', 'delivered', 'read', 'played']);
  });

  it('read after sent fills in delivered only; nothing moves a message back', async () => {
    const m = await queuedMessage();
    await m.advance('sent');
    await m.advance('read');
    await m.advance('sent');
    expect((await m.history()).map((h) => h.status)).toEqual(['queued', 'sent', 'delivered', 'read']);
    expect(m.published.map((e) => e.status)).toEqual(['sent', 'delivered', 'read']);
  });

  it('a message with a status recorded cannot be failed afterwards', async () => {
    const m = await queuedMessage();
    await m.advance('delivered');
    await advanceMessage(
      { messages, events: { publish: async () => ({}) as never } },
      m.tenantId,
      m.messageId,
      'failed',
      { code: 'TIMEOUT', message: 'late failure' },
    );
    const row = await messages.get(m.tenantId, m.messageId);
    expect(row.status).toBe('delivered');
    expect(row.error).toBeUndefined();
  });
});
