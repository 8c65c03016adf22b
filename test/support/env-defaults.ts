/** The environment every test worker runs with; endpoints are added from the global setup. */
export const TEST_ENV_DEFAULTS = {
  WAFLEET_ENV: 'test',
  LOG_LEVEL: 'silent',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'test',
  AWS_SECRET_ACCESS_KEY: 'test',
  RESOURCE_PREFIX: 'wafleet',
  BUCKET_NAME: 'wafleet-test',
  SHARD_COUNT: '4',
  ADMIN_API_KEY: 'wfk_admin_test_key_0123456789abcdef',
} as const;
