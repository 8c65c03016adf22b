import type { AwsClients } from '../shared/aws/clients.js';
import type { Config } from '../shared/config.js';
import type { Logger } from '../shared/logger.js';
import { createTenantStore } from '../shared/stores/tenants.js';
import type { Simulator } from '../test/simulator/index.js';
import { eventually } from '../test/support/env.js';
import { startWebhookReceiver } from './webhook-receiver.js';

/**
 * `npm run demo`: the gateway against the WhatsApp simulator, so a new user sees link → send →
 * receive → signed webhook with no phone. A simulated phone links the default tenant by scanning
 * the QR the API serves; a simulated contact echoes what it receives; a local receiver verifies
 * every webhook's signature with the standardwebhooks library and prints it (never message text).
 */
export async function runDemo(input: {
  simulator: Simulator;
  config: Config;
  clients: AwsClients;
  apiUrl: string;
  tenantId: string;
  apiKey: string;
  log: Logger;
}): Promise<{ stop(): Promise<void> }> {
  const { simulator, apiUrl, tenantId, apiKey } = input;
  const tenants = createTenantStore({ dynamo: input.clients.dynamo, config: input.config });
  const receiver = await startWebhookReceiver({
    secrets: tenants.activeSecrets(await tenants.get(tenantId)),
    host: '127.0.0.1',
    onEvent: ({ event }) => {
      const data = event.data as Record<string, unknown>;
      const detail = ['status', 'messageId', 'kind', 'from', 'attempt']
        .filter((k) => data[k] !== undefined)
        .map((k) => `${k}=${String(data[k])}`)
        .join(' ');
      console.log(`webhook ✓ signature verified  ${event.type.padEnd(20)} ${detail}`);
    },
  });
  await tenants.update(tenantId, { webhookUrl: receiver.url });

  const phone = simulator.createPhone({ pushName: 'Your phone' });
  const contact = simulator.createPhone({ pushName: 'Demo contact' });
  simulator.events.on('phone-received', ({ phoneNumber, messageId }) => {
    if (phoneNumber !== contact.number) return;
    const message = contact.received().find((m) => m.id === messageId);
    if (message?.text) void contact.sendText(phone.jid, `echo: ${message.text}`).catch(() => undefined);
  });

  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  await call('POST', `/sessions/${tenantId}/initialize`, { method: 'qr' });
  const qr = await eventually(
    async () => {
      const res = await call('GET', `/sessions/${tenantId}/qr`);
      return res.ok ? ((await res.json()) as { data: { qr: string } }).data.qr : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 250, message: 'the demo QR code' },
  );
  await phone.scanQr(qr);
  await eventually(
    async () => {
      const res = await call('GET', `/sessions/${tenantId}/status`);
      const body = (await res.json()) as { data?: { status?: string } };
      return body.data?.status === 'connected' ? true : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 250, message: 'the demo session to connect' },
  );

  console.log(
    [
      '',
      `Demo: a simulated phone (+${phone.number}) scanned the QR and linked tenant "${tenantId}".`,
      `A simulated contact (+${contact.number}) answers every message with an echo.`,
      `Webhooks go to ${receiver.url}, which verifies each signature. Try:`,
      '',
      `  curl -s -X POST ${apiUrl}/send -H "Authorization: Bearer ${apiKey}" \\`,
      `    -H 'content-type: application/json' -d '{"phone":"${contact.number}","message":"Hello"}'`,
      '',
    ].join('\n'),
  );
  return { stop: () => receiver.close() };
}
