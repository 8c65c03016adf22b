import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import type { WebhookEvent } from '../shared/events.js';

/**
 * A real webhook endpoint: verifies each request's Standard Webhooks signature with any of `secrets`
 * and collects (or prints) the events. Used by tests, the benchmark and `npm run demo`.
 */

export interface ReceivedWebhook {
  event: WebhookEvent;
  headers: { id: string; timestamp: string; signature: string };
  body: string;
}

export interface WebhookReceiverOptions {
  /** Secrets this receiver knows (whsec_…); a request verifies if any of them matches. Settable later. */
  secrets: string[];
  port?: number;
  host?: string;
  onEvent?: (received: ReceivedWebhook) => void;
  /** Status to answer a verified request with (default 204): tests use it to fail on purpose. */
  respond?: (received: ReceivedWebhook) => number | { status: number; headers?: Record<string, string> };
}

export interface WebhookReceiver {
  url: string;
  port: number;
  /** Verified events, in arrival order (including those answered with a failure status). */
  received: ReceivedWebhook[];
  /** Requests refused because no secret verified them. */
  rejected: number;
  secrets: string[];
  /** Resolves when `count` verified requests have arrived in all. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedWebhook[]>;
  close(): Promise<void>;
}

export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const waiters: { count: number; resolve: () => void }[] = [];
  const receiver: WebhookReceiver = {
    url: '',
    port: 0,
    received: [],
    rejected: 0,
    secrets: [...options.secrets],
    waitFor: (count, timeoutMs = 10_000) =>
      new Promise((resolve, reject) => {
        if (receiver.received.length >= count) return resolve(receiver.received);
        const timer = setTimeout(
          () => reject(new Error(`receiver got ${receiver.received.length} of ${count} webhooks`)),
          timeoutMs,
        );
        waiters.push({
          count,
          resolve: () => {
            clearTimeout(timer);
            resolve(receiver.received);
          },
        });
      }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const headers = {
      id: String(req.headers['webhook-id'] ?? ''),
      timestamp: String(req.headers['webhook-timestamp'] ?? ''),
      signature: String(req.headers['webhook-signature'] ?? ''),
    };
    if (!verifies(receiver.secrets, body, headers)) {
      receiver.rejected++;
      res.writeHead(401).end();
      return;
    }
    const received: ReceivedWebhook = { event: JSON.parse(body) as WebhookEvent, headers, body };
    receiver.received.push(received);
    options.onEvent?.(received);
    for (const waiter of waiters.filter((w) => receiver.received.length >= w.count)) {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    const answer = options.respond?.(received) ?? 204;
    const { status, headers: extra } = typeof answer === 'number' ? { status: answer, headers: {} } : answer;
    res.writeHead(status, extra).end();
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(400);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve);
  });
  const { port, address } = server.address() as AddressInfo;
  receiver.port = port;
  receiver.url = `http://${address}:${port}/webhooks`;
  return receiver;
}

/** True when any secret verifies the request (signature and a timestamp within 5 minutes). */
export function verifies(secrets: string[], body: string, headers: ReceivedWebhook['headers']): boolean {
  return secrets.some((secret) => {
    try {
      new Webhook(secret).verify(body, {
        'webhook-id': headers.id,
        'webhook-timestamp': headers.timestamp,
        'webhook-signature': headers.signature,
      });
      return true;
    } catch {
      return false;
    }
  });
}
