import { Webhook } from 'standardwebhooks';
import { assertPublicTarget, type Lookup, type TargetPolicy } from '../../shared/net/target-guard.js';
import { parseRetryAfter } from './schedule.js';

/**
 * One signed POST of one event (Standard Webhooks): webhook-id is the event id, stable across
 * retries; every active secret signs, so receivers holding either side of a rotation verify.
 */

export interface DeliveryRequest {
  url: string;
  eventId: string;
  /** The exact bytes that are signed and sent. */
  body: string;
  secrets: string[];
  timeoutMs: number;
  policy: TargetPolicy;
  now: () => Date;
  lookup?: Lookup;
  fetch?: typeof fetch;
}

export interface DeliveryResult {
  delivered: boolean;
  statusCode?: number;
  latencyMs: number;
  /** Short, safe description of a failure; never the response body. */
  error?: string;
  /** 410 Gone: the receiver asks us to stop. */
  gone: boolean;
  /** Timed out or answered 429: the next try waits longer. */
  overloaded: boolean;
  retryAfterMs?: number;
}

/** Read at most this much of a response, so a connection can be reused without buffering a huge body. */
const MAX_RESPONSE_BYTES = 64 * 1024;

export function signatureHeaders(
  eventId: string,
  body: string,
  secrets: string[],
  at: Date,
): Record<string, string> {
  return {
    'webhook-id': eventId,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': secrets.map((secret) => new Webhook(secret).sign(eventId, at, body)).join(' '),
  };
}

export async function deliver(request: DeliveryRequest): Promise<DeliveryResult> {
  const started = performance.now();
  const latency = () => Math.round(performance.now() - started);
  const failure = (error: string, extra: Partial<DeliveryResult> = {}): DeliveryResult => ({
    delivered: false,
    latencyMs: latency(),
    error,
    gone: false,
    overloaded: false,
    ...extra,
  });

  try {
    await assertPublicTarget(request.url, request.policy, request.lookup);
  } catch (error) {
    return failure((error as Error).message);
  }
  if (request.secrets.length === 0) return failure('no active webhook secret');

  const at = request.now();
  let response: Response;
  try {
    response = await (request.fetch ?? fetch)(request.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'wafleet-webhooks/1',
        ...signatureHeaders(request.eventId, request.body, request.secrets, at),
      },
      body: request.body,
      redirect: 'manual',
      signal: AbortSignal.timeout(request.timeoutMs),
    });
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') {
      return failure(`timed out after ${request.timeoutMs} ms`, { overloaded: true });
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    return failure(`request failed: ${cause?.code ?? cause?.message ?? (error as Error).message}`);
  }
  await drain(response);

  const statusCode = response.status;
  if (statusCode >= 200 && statusCode < 300) {
    return { delivered: true, statusCode, latencyMs: latency(), gone: false, overloaded: false };
  }
  if (statusCode >= 300 && statusCode < 400)
    return failure(`redirect (${statusCode}) not followed`, { statusCode });
  return failure(`endpoint answered ${statusCode}`, {
    statusCode,
    gone: statusCode === 410,
    overloaded: statusCode === 429,
    retryAfterMs: parseRetryAfter(response.headers.get('retry-after'), request.now()),
  });
}

async function drain(response: Response): Promise<void> {
  const reader = response.body?.getReader();
  if (!reader) return;
  let read = 0;
  try {
    while (read < MAX_RESPONSE_BYTES) {
      const { done, value } = await reader.read();
      if (done) return;
      read += value.byteLength;
    }
    await reader.cancel();
  } catch {
    // A body cut short changes nothing: the status already decided the outcome.
  }
}
