import { lookup as dnsLookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
import type { Config } from '../config.js';
import { ValidationError } from '../errors.js';

/**
 * SSRF guard for URLs the gateway fetches on a tenant's behalf: webhook endpoints and media URLs
 * (DESIGN §8). In production only https to public addresses passes; local and test modes allow
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

const blocked = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // "this network"
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local, including the instance metadata service
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved and broadcast
] as const) {
  blocked.addSubnet(net, prefix, 'ipv4');
}
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['64:ff9b::', 96], // NAT64 can reach IPv4 private space
  ['100::', 64], // discard
  ['2001:db8::', 32], // documentation
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // old site-local
  ['ff00::', 8], // multicast
  ['fd00:ec2::254', 128], // EC2 metadata over IPv6 (inside fc00::/7 already; named for the reader)
] as const) {
  blocked.addSubnet(net, prefix, 'ipv6');
}

/** True for loopback, private, link-local, unique-local, CGNAT, metadata and other non-public addresses. */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return blocked.check(address, 'ipv4');
  if (family !== 6) return true; // not an address at all: refuse
  const lower = address.toLowerCase();
  // IPv4-mapped (::ffff:a.b.c.d or ::ffff:xxxx:xxxx) and IPv4-compatible forms carry an IPv4 address.
  const embedded = embeddedIpv4(lower);
  if (embedded) return blocked.check(embedded, 'ipv4');
  return blocked.check(lower, 'ipv6');
}

function embeddedIpv4(address: string): string | undefined {
  const dotted = /^(?:::ffff:|::ffff:0:|::)(\d+\.\d+\.\d+\.\d+)$/.exec(address);
  if (dotted?.[1]) return dotted[1];
  const hex = /^(?:::ffff:|::ffff:0:)([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(address);
  if (hex?.[1] && hex[2]) {
    const high = Number.parseInt(hex[1], 16);
    const low = Number.parseInt(hex[2], 16);
    return [high >> 8, high & 255, low >> 8, low & 255].join('.');
  }
  return undefined;
}

export class TargetRefusedError extends ValidationError {}

/**
 * Throws TargetRefusedError (VALIDATION_ERROR) when `url` may not be fetched under `policy`:
 * a scheme other than http(s), http where https is required, or a host with any non-public address.
 */
export async function assertPublicTarget(
  url: string | URL,
  policy: TargetPolicy,
  lookup: Lookup = defaultLookup,
): Promise<void> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new TargetRefusedError({ message: 'Target URL is not a valid URL' });
  }
  const refuse = (reason: string) => {
    throw new TargetRefusedError({
      message: `Target refused: ${reason}`,
      details: { host: parsed.hostname },
    });
  };
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') refuse(`scheme ${parsed.protocol}`);
  if (policy.requireHttps && parsed.protocol !== 'https:') refuse('https is required');
  if (parsed.username || parsed.password) refuse('credentials in the URL');
  if (policy.allowPrivate) return;

  const host = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = await lookup(host);
    } catch {
      return refuse('host does not resolve');
    }
  }
  if (addresses.length === 0) refuse('host does not resolve');
  if (addresses.some(isPrivateAddress)) refuse('host resolves to a private, loopback or link-local address');
}
