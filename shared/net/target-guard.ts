import { lookup as dnsLookup } from 'node:dns/promises';
import ipaddr from 'ipaddr.js';
import type { Config } from '../config.js';
import { ValidationError } from '../errors.js';

/**
 * SSRF guard for URLs the gateway fetches on a tenant's behalf: webhook endpoints and media URLs
 * (architecture §8). In production only https to public addresses passes; local and test modes allow
 * plain http and loopback so a receiver on 127.0.0.1 works.
 *
 * The check resolves the host before the request; a host that re-resolves between check and
 * connect (DNS rebinding) is not caught here.
 */

export interface TargetPolicy {
  requireHttps: boolean;
  allowPrivate: boolean;
}

export type Lookup = (hostname: string) => Promise<string[]>;

const defaultLookup: Lookup = async (hostname) =>
  (await dnsLookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/** Production refuses http and private targets (unless explicitly allowed); other modes refuse nothing. */
export const targetPolicy = (config: Pick<Config, 'env' | 'webhooks'>): TargetPolicy =>
  config.env === 'production'
    ? { requireHttps: true, allowPrivate: config.webhooks.allowPrivateTargets }
    : { requireHttps: false, allowPrivate: true };

/** NAT64's well-known prefix embeds the IPv4 address in its last 32 bits (the local-use 64:ff9b:1::/48 does not say where). */
const NAT64_WELL_KNOWN = ipaddr.parseCIDR('64:ff9b::/96');

const ipv4Of = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 255, low >> 8, low & 255]);

/** The IPv4 address an IPv6 address reaches through mapping, translation or a 6to4 tunnel, if any. */
function carriedIpv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const [, p1 = 0, p2 = 0, , , , p6 = 0, p7 = 0] = address.parts;
  // IPv4-compatible (::a.b.c.d, deprecated): the URL parser writes [::127.0.0.1] as [::7f00:1].
  if (address.parts.slice(0, 6).every((part) => part === 0)) return ipv4Of(p6, p7);
  switch (address.range()) {
    case 'ipv4Mapped':
    case 'rfc6145':
      return ipv4Of(p6, p7);
    case 'rfc6052':
      return address.match(NAT64_WELL_KNOWN) ? ipv4Of(p6, p7) : undefined;
    case '6to4':
      return ipv4Of(p1, p2);
    default:
      return undefined;
  }
}

/**
 * True only for a public unicast address. An IPv6 address that carries an IPv4 one (mapped,
 * IPv4-compatible, NAT64, 6to4) is judged by that IPv4 address; Teredo, local-use NAT64 and every
 * other special range are refused. Anything that is not an address at all is not public.
 */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  const parsed = ipaddr.parse(address);
  if (parsed instanceof ipaddr.IPv4) return parsed.range() === 'unicast';
  const carried = carriedIpv4(parsed);
  return carried ? carried.range() === 'unicast' : parsed.range() === 'unicast';
}

/** True for loopback, private, link-local, unique-local, CGNAT, metadata and other non-public addresses. */
export const isPrivateAddress = (address: string): boolean => !isPublicAddress(address);

export class TargetRefusedError extends ValidationError {}

/**
 * The checks that need no DNS, which the API also runs at its edge: a scheme other than http(s),
 * http where https is required, credentials in the URL, or an address literal that is not public
 * (the WHATWG URL parser has already turned decimal, octal and hex IPv4 forms into dotted quads).
 * Returns the host name that still has to be resolved, if any. `field` names the request field
 * in the error.
 */
export function assertTargetUrl(url: string | URL, policy: TargetPolicy, field?: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TargetRefusedError({
      message: `${field ?? 'Target URL'} is not a valid URL`,
      details: field ? { field } : {},
    });
  }
  const refuse = (reason: string): never => {
    throw new TargetRefusedError({
      message: `${field ?? 'Target'} refused: ${reason}`,
      details: { ...(field ? { field } : {}), host: parsed.hostname },
    });
  };
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') refuse(`scheme ${parsed.protocol}`);
  if (policy.requireHttps && parsed.protocol !== 'https:') refuse('https is required');
  if (parsed.username || parsed.password) refuse('credentials in the URL');
  if (policy.allowPrivate) return undefined;
  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  if (!ipaddr.isValid(host)) return host;
  if (!isPublicAddress(host)) refuse('host is a private, loopback or link-local address');
  return undefined;
}

/**
 * Throws TargetRefusedError (VALIDATION_ERROR) when `url` may not be fetched under `policy`:
 * what assertTargetUrl refuses, or a host name with any non-public address.
 */
export async function assertPublicTarget(
  url: string | URL,
  policy: TargetPolicy,
  lookup: Lookup = defaultLookup,
): Promise<void> {
  const host = assertTargetUrl(url, policy);
  if (host === undefined) return;
  const refuse = (reason: string): never => {
    throw new TargetRefusedError({ message: `Target refused: ${reason}`, details: { host } });
  };
  let addresses: string[];
  try {
    addresses = await lookup(host);
  } catch {
    return refuse('host does not resolve');
  }
  if (addresses.length === 0) refuse('host does not resolve');
  if (addresses.some(isPrivateAddress)) refuse('host resolves to a private, loopback or link-local address');
}
