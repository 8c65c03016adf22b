import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../shared/config.js';

describe('loadConfig', () => {
  it('applies the seed defaults when nothing is set', () => {
    const config = loadConfig({});
    expect(config.rateLimit).toEqual({ windowMs: 60_000, maxRequests: 30 });
    expect(config.qrCodeTtlMs).toBe(60_000);
    expect(config.reconnect.maxAttempts).toBe(10);
    expect(config.shardCount).toBe(32);
    expect(config.env).toBe('production');
  });

  it('names the variable that is wrong', () => {
    expect(() => loadConfig({ SHARD_COUNT: 'many' })).toThrow(ConfigError);
    expect(() => loadConfig({ SHARD_COUNT: 'many' })).toThrow(/SHARD_COUNT/);
  });

  it('takes per-service endpoints before the general one', () => {
    const config = loadConfig({
      AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
      AWS_ENDPOINT_URL_SQS: 'http://127.0.0.1:2',
    });
    expect(config.endpoints).toEqual({
      dynamodb: 'http://127.0.0.1:1',
      sqs: 'http://127.0.0.1:2',
      s3: 'http://127.0.0.1:1',
    });
  });
});
