import { isIP } from 'node:net';

/**
 * The public address this task's WhatsApp connections leave from, as a "what is my IP" service
 * sees it (https://checkip.amazonaws.com in AWS). WhatsApp limits some requests per address
 * (architecture §12), so metrics carry it and a deploy can see how tenants spread over addresses.
 * Undefined when no service is configured or it does not answer in time: never a reason not to start.
 */
export async function discoverEgressIp(
  url: string | undefined,
  timeoutMs = 3_000,
): Promise<string | undefined> {
  if (!url) return undefined;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'error' });
    const text = (await res.text()).trim();
    return res.ok && isIP(text) ? text : undefined;
  } catch {
    return undefined;
  }
}
