import { type Logger, type LoggerOptions, pino } from 'pino';

export type { Logger };

/**
 * pino JSON logs. Callers scope with `log.child({ tenantId })` so the tenant id is on every line.
 * Secrets and message bodies are redacted wherever they appear under these names.
 */
const REDACT = [
  'authorization',
  '*.authorization',
  'headers.authorization',
  '*.headers.authorization',
  'apiKey',
  '*.apiKey',
  'secret',
  '*.secret',
  'webhookSecret',
  '*.webhookSecret',
  'text',
  '*.text',
  'caption',
  '*.caption',
  'body',
  '*.body',
  'qr',
  '*.qr',
  '*.pairingCode',
  'pairingCode',
];

export function createLogger(options: { level?: string; service: string } & Partial<LoggerOptions>): Logger {
  const { service, level = 'info', ...rest } = options;
  return pino({
    level,
    base: { service },
    redact: { paths: REDACT, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    ...rest,
  });
}
