import { describe, expect, it } from 'vitest';
import {
  assertPublicTarget,
  isPrivateAddress,
  TargetRefusedError,
  targetPolicy,
} from '../../../shared/net/target-guard.js';

const production = { requireHttps: true, allowPrivate: false };
const resolvesTo =
  (...addresses: string[]) =>
  async () =>
    addresses;

describe('target guard', () => {
  it.each([
    '127.0.0.1',
    '10.1.2.3',
    '172.16.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fe80::1',
    'fc00::1',
    'fd00:ec2::254',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:a9fe:a9fe',
    '64:ff9b::a00:1',
    '::7f00:1',
    '::a9fe:a9fe',
    '2002:7f00:1::',
    '255.255.255.255',
    'not-an-address',
    '',
  ])('treats %s as private', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    'treats %s as public',
    (address) => {
      expect(isPrivateAddress(address)).toBe(false);
    },
  );

  // Address literals in URLs, as a tenant could write them. The lookup would answer a public
  // address, so only a literal the guard recognizes as non-public is refused.
  const publicLookup = resolvesTo('93.184.215.14');
  it.each([
    ['IPv4-compatible loopback', 'https://[::127.0.0.1]/'],
    ['IPv4-compatible metadata', 'https://[::169.254.169.254]/latest/meta-data'],
    ['IPv4-compatible private, hex', 'https://[::a00:1]/'],
    ['IPv4-mapped loopback', 'https://[::ffff:127.0.0.1]/'],
    ['IPv4-mapped metadata, hex', 'https://[::ffff:a9fe:a9fe]/'],
    ['IPv4-translated (RFC 6145) loopback', 'https://[::ffff:0:127.0.0.1]/'],
    ['NAT64 to loopback', 'https://[64:ff9b::127.0.0.1]/'],
    ['NAT64 to metadata', 'https://[64:ff9b::a9fe:a9fe]/'],
    ['NAT64 to a private address', 'https://[64:ff9b::10.0.0.1]/'],
    ['local-use NAT64', 'https://[64:ff9b:1::a00:1]/'],
    ['6to4 of loopback', 'https://[2002:7f00:1::1]/'],
    ['6to4 of metadata', 'https://[2002:a9fe:a9fe::]/'],
    ['Teredo', 'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/'],
    ['IPv6 unspecified', 'https://[::]/'],
    ['IPv6 loopback', 'https://[::1]/'],
    ['IPv6 loopback, long form', 'https://[0:0:0:0:0:0:0:1]/'],
    ['IPv6 link-local', 'https://[fe80::1]/'],
    ['IPv6 unique-local', 'https://[fc00::1]/'],
    ['EC2 metadata over IPv6', 'https://[fd00:ec2::254]/'],
    ['IPv6 multicast', 'https://[ff02::1]/'],
    ['IPv6 documentation', 'https://[2001:db8::1]/'],
    ['IPv6 discard', 'https://[100::1]/'],
    ['IPv6 site-local', 'https://[fec0::1]/'],
    ['decimal loopback', 'https://2130706433/'],
    ['hex loopback', 'https://0x7f000001/'],
    ['octal loopback', 'https://0177.0.0.1/'],
    ['short loopback', 'https://127.1/'],
    ['mixed hex loopback', 'https://0x7f.1/'],
    ['hex metadata', 'https://0xa9fea9fe/'],
    ['decimal zero', 'https://0/'],
    ['metadata', 'https://169.254.169.254/latest/meta-data'],
    ['private 10/8', 'https://10.1.2.3/'],
    ['private 172.16/12', 'https://172.31.255.255/'],
    ['private 192.168/16', 'https://192.168.0.1/'],
    ['CGNAT', 'https://100.64.0.1/'],
    ['IETF protocol assignments', 'https://192.0.0.8/'],
    ['documentation', 'https://198.51.100.7/'],
    ['benchmarking', 'https://198.18.0.1/'],
    ['multicast', 'https://224.0.0.1/'],
    ['reserved', 'https://240.0.0.1/'],
    ['broadcast', 'https://255.255.255.255/'],
  ])('refuses %s (%s) in production', async (_, url) => {
    await expect(assertPublicTarget(url, production, publicLookup)).rejects.toThrow(
      /private, loopback or link-local address/,
    );
  });

  it.each([
    ['public IPv4', 'https://8.8.8.8/'],
    ['public IPv4, decimal', 'https://134744072/'],
    ['public IPv6', 'https://[2606:4700:4700::1111]/'],
    ['IPv4-mapped public', 'https://[::ffff:8.8.8.8]/'],
    ['NAT64 to a public address', 'https://[64:ff9b::8.8.8.8]/'],
    ['6to4 of a public address', 'https://[2002:808:808::1]/'],
  ])('lets %s (%s) through in production', async (_, url) => {
    await expect(
      assertPublicTarget(url, production, async () => {
        throw new Error('an address literal is not looked up');
      }),
    ).resolves.toBeUndefined();
  });

  it.each([
    '::7f00:1',
    '::a9fe:a9fe',
    '2002:a00:1::',
    '2001:0:4136:e378:8000:63bf:3fff:fdd2',
    '64:ff9b:1::1',
  ])('refuses a host name that resolves to %s', async (address) => {
    await expect(
      assertPublicTarget('https://hooks.example.com/x', production, resolvesTo(address)),
    ).rejects.toThrow(/resolves to a private, loopback or link-local address/);
  });

  it('refuses a host that resolves to loopback or the metadata address in production', async () => {
    await expect(
      assertPublicTarget('https://hooks.example.com/x', production, resolvesTo('127.0.0.1')),
    ).rejects.toBeInstanceOf(TargetRefusedError);
    await expect(
      assertPublicTarget(
        'https://hooks.example.com/x',
        production,
        resolvesTo('93.184.215.14', '169.254.169.254'),
      ),
    ).rejects.toThrow(/private, loopback or link-local/);
    await expect(assertPublicTarget('https://[::ffff:127.0.0.1]/x', production)).rejects.toBeInstanceOf(
      TargetRefusedError,
    );
    await expect(
      assertPublicTarget('https://169.254.169.254/latest/meta-data', production),
    ).rejects.toBeInstanceOf(TargetRefusedError);
  });

  it('refuses plain http, other schemes, credentials and unresolvable hosts in production', async () => {
    const ok = resolvesTo('93.184.215.14');
    await expect(assertPublicTarget('http://hooks.example.com/x', production, ok)).rejects.toThrow(
      /https is required/,
    );
    await expect(assertPublicTarget('ftp://hooks.example.com/x', production, ok)).rejects.toThrow(/scheme/);
    await expect(assertPublicTarget('https://u:p@hooks.example.com/x', production, ok)).rejects.toThrow(
      /credentials/,
    );
    await expect(
      assertPublicTarget('https://nowhere.invalid/x', production, async () => {
        throw new Error('ENOTFOUND');
      }),
    ).rejects.toThrow(/does not resolve/);
  });

  it('lets a public https target through', async () => {
    await expect(
      assertPublicTarget(
        'https://hooks.example.com/x',
        production,
        resolvesTo('93.184.215.14', '2606:4700::1'),
      ),
    ).resolves.toBeUndefined();
  });

  it('allows http://127.0.0.1 in local mode and refuses it in production', async () => {
    const webhooks = { timeoutMs: 1000, allowPrivateTargets: false };
    await expect(
      assertPublicTarget('http://127.0.0.1:9/x', targetPolicy({ env: 'local', webhooks })),
    ).resolves.toBeUndefined();
    await expect(
      assertPublicTarget('http://127.0.0.1:9/x', targetPolicy({ env: 'production', webhooks })),
    ).rejects.toBeInstanceOf(TargetRefusedError);
  });
});
