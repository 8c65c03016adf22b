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
    'not-an-address',
  ])('treats %s as private', (address) => {
    expect(isPrivateAddress(address)).toBe(true);
  });

  it.each(['93.184.215.14', '8.8.8.8', '2606:4700:4700::1111', '::ffff:8.8.8.8'])(
    'treats %s as public',
    (address) => {
      expect(isPrivateAddress(address)).toBe(false);
    },
  );

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
