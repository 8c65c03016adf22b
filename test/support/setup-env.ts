import { inject } from 'vitest';
import { TEST_ENV_DEFAULTS } from './env-defaults.js';

// Runs in every worker before its test files: points the AWS SDK at the servers of the global setup.
const endpoints = inject('awsEndpoints');
Object.assign(process.env, TEST_ENV_DEFAULTS, {
  // TEST_LOG_LEVEL=info shows the gateway's logs while debugging a test.
  LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? TEST_ENV_DEFAULTS.LOG_LEVEL,
  AWS_ENDPOINT_URL_DYNAMODB: endpoints.dynamodb,
  AWS_ENDPOINT_URL_SQS: endpoints.sqsS3,
  AWS_ENDPOINT_URL_S3: endpoints.sqsS3,
});
