import { z } from 'zod';

/**
 * Configuration is parsed once at start-up from the environment, typed, and fails fast naming the
 * variable. Durations keep the seed's units (milliseconds) and names.
 */

const int = (fallback: number, min = 0) => z.coerce.number().int().min(min).default(fallback);
const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === '' ? undefined : v))
  .optional();
const flag = (fallback: boolean) =>
  z
    .enum(['true', 'false', '1', '0'])
    .default(fallback ? 'true' : 'false')
    .transform((v) => v === 'true' || v === '1');

/** Baileys' standard `Browsers` platforms, and browser names WhatsApp knows as platform types. */
export const WA_BROWSER_OS = ['ubuntu', 'macos', 'windows', 'baileys'] as const;
export const WA_BROWSER_NAMES = ['Chrome', 'Firefox', 'Safari', 'Edge', 'Opera', 'Desktop'] as const;

const schema = z.object({
  /** `production` refuses private webhook/media targets and plain http; `local` allows loopback. */
  WAFLEET_ENV: z.enum(['production', 'local', 'test']).default('production'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  PORT: int(3000, 0),
  AWS_REGION: z.string().default('us-east-1'),
  RESOURCE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/)
    .default('wafleet'),
  BUCKET_NAME: z.string().default('wafleet-local'),
  SHARD_COUNT: int(32, 1),

  /** Plain admin key (local), or a Secrets Manager secret holding it (AWS). */
  ADMIN_API_KEY: optionalString,
  ADMIN_API_KEY_SECRET_ARN: optionalString,

  // The seed's settings, same names and units.
  RATE_LIMIT_WINDOW: int(60_000, 1000),
  RATE_LIMIT_MAX_REQUESTS: int(30, 1),
  QR_CODE_TTL: int(60_000, 1000),
  PAIRING_CODE_TTL: int(60_000, 1000),
  MAX_RECONNECT_ATTEMPTS: int(10, 0),
  RECONNECT_DELAY: int(5_000, 0),
  RECONNECT_MAX_DELAY: int(300_000, 0),
  HEALTH_CHECK_INTERVAL: int(30_000, 1000),
  SESSION_TTL: int(3_600_000, 1000),
  MAX_QR_ATTEMPTS: int(3, 1),

  /** Minimum gap between two sends of one tenant, to stay clear of WhatsApp's spam limits. */
  SEND_MIN_INTERVAL_MS: int(1_000, 0),
  MESSAGE_RETENTION_DAYS: int(90, 1),
  IDEMPOTENCY_TTL_HOURS: int(24, 1),
  MAX_BODY_BYTES: int(1_048_576, 1024),
  MEDIA_MAX_BYTES: int(16 * 1_048_576, 1024),
  /** How long the pairing-code route waits for the code to appear on the session row. */
  PAIRING_CODE_WAIT_MS: int(8_000, 0),

  /** WhatsApp endpoint override: set only for the simulator (local demo and tests). */
  WA_WEB_SOCKET_URL: optionalString,
  WA_SIMULATOR_ROOT_KEY: optionalString,
  /** PEM of the simulator's HTTPS media host certificate, trusted for media uploads and downloads. */
  WA_SIMULATOR_MEDIA_CA: optionalString,
  /** WhatsApp Web version Baileys announces, `2.3000.1234567890`; read at connect time (architecture §12). */
  WA_VERSION: optionalString,
  /** The device the socket announces, as one of Baileys' standard `Browsers`: `os:browser`. */
  WA_BROWSER: z
    .string()
    .trim()
    .default('macos:Chrome')
    .transform((v, ctx) => {
      const [os = '', name = 'Chrome'] = v.split(':');
      const osKey = WA_BROWSER_OS.find((o) => o === os.toLowerCase());
      const browser = WA_BROWSER_NAMES.find((b) => b.toLowerCase() === name.toLowerCase());
      if (osKey && browser && v.split(':').length <= 2) return { os: osKey, name: browser };
      ctx.addIssue({
        code: 'custom',
        message: `expected "os:browser" with os one of ${WA_BROWSER_OS.join(', ')} and browser one of ${WA_BROWSER_NAMES.join(', ')}, e.g. "ubuntu:Chrome"; got "${v}"`,
      });
      return z.NEVER;
    }),

  /** Socket host: identity of this task in shard leases. */
  HOST_ID: optionalString,
  HOST_HEALTH_PORT: int(8080, 0),
  /** A "what is my IP" service; the answer goes into the socket host's metrics (architecture §12). */
  EGRESS_IP_URL: optionalString,
  LEASE_DURATION_MS: int(10_000, 1000),
  LEASE_RENEW_INTERVAL_MS: int(3_000, 100),
  LEASE_SCAN_INTERVAL_MS: int(2_000, 100),

  /** Webhook dispatcher. */
  WEBHOOK_TIMEOUT_MS: int(15_000, 100),
  WEBHOOK_ALLOW_PRIVATE_TARGETS: flag(false),
  /** Per-endpoint circuit breaker: opens after this many failed attempts in a row (architecture §8). */
  WEBHOOK_BREAKER_FAILURE_THRESHOLD: int(5, 1),
  /** First cool-down of an open breaker; it doubles each time a half-open attempt fails, up to the max. */
  WEBHOOK_BREAKER_COOL_DOWN_MS: int(60_000, 1),
  WEBHOOK_BREAKER_MAX_COOL_DOWN_MS: int(900_000, 1),
  /** An endpoint failing without a success for longer than this is disabled (architecture §8: 5 days). */
  WEBHOOK_DISABLE_AFTER_FAILING_MS: int(5 * 86_400_000, 1),

  // SDK endpoints, for DynamoDB Local / fauxqs / LocalStack. Unset in AWS.
  AWS_ENDPOINT_URL: optionalString,
  AWS_ENDPOINT_URL_DYNAMODB: optionalString,
  AWS_ENDPOINT_URL_SQS: optionalString,
  AWS_ENDPOINT_URL_S3: optionalString,
});

export type Env = z.input<typeof schema>;
type Parsed = z.output<typeof schema>;

export interface Config {
  env: Parsed['WAFLEET_ENV'];
  logLevel: Parsed['LOG_LEVEL'];
  port: number;
  region: string;
  resourcePrefix: string;
  bucketName: string;
  shardCount: number;
  adminApiKey?: string;
  adminApiKeySecretArn?: string;
  rateLimit: { windowMs: number; maxRequests: number };
  qrCodeTtlMs: number;
  pairingCodeTtlMs: number;
  pairingCodeWaitMs: number;
  maxQrAttempts: number;
  reconnect: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };
  healthCheckIntervalMs: number;
  sessionTtlMs: number;
  sendMinIntervalMs: number;
  messageRetentionDays: number;
  idempotencyTtlHours: number;
  maxBodyBytes: number;
  mediaMaxBytes: number;
  whatsapp: {
    webSocketUrl?: string;
    simulatorRootKey?: string;
    simulatorMediaCa?: string;
    version?: string;
    browser: Parsed['WA_BROWSER'];
  };
  host: {
    id?: string;
    healthPort: number;
    egressIpUrl?: string;
    leaseDurationMs: number;
    renewIntervalMs: number;
    scanIntervalMs: number;
  };
  webhooks: { timeoutMs: number; allowPrivateTargets: boolean };
  /** Per-endpoint circuit breaker and the failing-too-long limit (architecture §8). */
  webhookHealth: {
    failureThreshold: number;
    coolDownMs: number;
    maxCoolDownMs: number;
    disableAfterFailingMs: number;
  };
  endpoints: { dynamodb?: string; sqs?: string; s3?: string };
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  // An empty variable (`ADMIN_API_KEY=`) means unset, as in most tools.
  const present = Object.fromEntries(
    Object.entries(env).filter(([, value]) => value !== undefined && value !== ''),
  );
  const result = schema.safeParse(present);
  if (!result.success) {
    const problems = result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
    throw new ConfigError(`Invalid configuration: ${problems}`);
  }
  const e = result.data;
  return {
    env: e.WAFLEET_ENV,
    logLevel: e.LOG_LEVEL,
    port: e.PORT,
    region: e.AWS_REGION,
    resourcePrefix: e.RESOURCE_PREFIX,
    bucketName: e.BUCKET_NAME,
    shardCount: e.SHARD_COUNT,
    adminApiKey: e.ADMIN_API_KEY,
    adminApiKeySecretArn: e.ADMIN_API_KEY_SECRET_ARN,
    rateLimit: { windowMs: e.RATE_LIMIT_WINDOW, maxRequests: e.RATE_LIMIT_MAX_REQUESTS },
    qrCodeTtlMs: e.QR_CODE_TTL,
    pairingCodeTtlMs: e.PAIRING_CODE_TTL,
    pairingCodeWaitMs: e.PAIRING_CODE_WAIT_MS,
    maxQrAttempts: e.MAX_QR_ATTEMPTS,
    reconnect: {
      maxAttempts: e.MAX_RECONNECT_ATTEMPTS,
      baseDelayMs: e.RECONNECT_DELAY,
      maxDelayMs: e.RECONNECT_MAX_DELAY,
    },
    healthCheckIntervalMs: e.HEALTH_CHECK_INTERVAL,
    sessionTtlMs: e.SESSION_TTL,
    sendMinIntervalMs: e.SEND_MIN_INTERVAL_MS,
    messageRetentionDays: e.MESSAGE_RETENTION_DAYS,
    idempotencyTtlHours: e.IDEMPOTENCY_TTL_HOURS,
    maxBodyBytes: e.MAX_BODY_BYTES,
    mediaMaxBytes: e.MEDIA_MAX_BYTES,
    whatsapp: {
      webSocketUrl: e.WA_WEB_SOCKET_URL,
      simulatorRootKey: e.WA_SIMULATOR_ROOT_KEY,
      simulatorMediaCa: e.WA_SIMULATOR_MEDIA_CA,
      version: e.WA_VERSION,
      browser: e.WA_BROWSER,
    },
    host: {
      id: e.HOST_ID,
      healthPort: e.HOST_HEALTH_PORT,
      egressIpUrl: e.EGRESS_IP_URL,
      leaseDurationMs: e.LEASE_DURATION_MS,
      renewIntervalMs: e.LEASE_RENEW_INTERVAL_MS,
      scanIntervalMs: e.LEASE_SCAN_INTERVAL_MS,
    },
    webhooks: { timeoutMs: e.WEBHOOK_TIMEOUT_MS, allowPrivateTargets: e.WEBHOOK_ALLOW_PRIVATE_TARGETS },
    webhookHealth: {
      failureThreshold: e.WEBHOOK_BREAKER_FAILURE_THRESHOLD,
      coolDownMs: e.WEBHOOK_BREAKER_COOL_DOWN_MS,
      maxCoolDownMs: Math.max(e.WEBHOOK_BREAKER_MAX_COOL_DOWN_MS, e.WEBHOOK_BREAKER_COOL_DOWN_MS),
      disableAfterFailingMs: e.WEBHOOK_DISABLE_AFTER_FAILING_MS,
    },
    endpoints: {
      dynamodb: e.AWS_ENDPOINT_URL_DYNAMODB ?? e.AWS_ENDPOINT_URL,
      sqs: e.AWS_ENDPOINT_URL_SQS ?? e.AWS_ENDPOINT_URL,
      s3: e.AWS_ENDPOINT_URL_S3 ?? e.AWS_ENDPOINT_URL,
    },
  };
}
