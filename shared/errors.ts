import { ZodError } from 'zod';

/**
 * The seed's error hierarchy: every error has a stable code, one HTTP status, and says whether a
 * retry can help. `toErrorBody` turns any thrown value into the envelope's `error` object.
 */

export interface ErrorOptions {
  message?: string;
  details?: Record<string, unknown>;
  /** Seconds the caller should wait before retrying. */
  retryAfter?: number;
  cause?: unknown;
}

export interface ErrorBody {
  code: string;
  message: string;
  details: Record<string, unknown>;
  isRetryable: boolean;
  retryAfter: number | null;
}

export class WhatsAppError extends Error {
  readonly code: string = 'INTERNAL_ERROR';
  readonly status: number = 500;
  readonly isRetryable: boolean = false;
  readonly details: Record<string, unknown>;
  readonly retryAfter: number | undefined;

  constructor(options: ErrorOptions = {}) {
    super(options.message ?? 'Internal error', { cause: options.cause });
    this.name = new.target.name;
    this.details = options.details ?? {};
    this.retryAfter = options.retryAfter;
  }

  toBody(): ErrorBody {
    return {
      code: this.code,
      message: this.message,
      details: this.details,
      isRetryable: this.isRetryable,
      retryAfter: this.retryAfter ?? null,
    };
  }
}

/** Declares one subclass: code, status, retryability and default message. */
function errorClass(code: string, status: number, isRetryable: boolean, defaultMessage: string) {
  return class extends WhatsAppError {
    override readonly code = code;
    override readonly status = status;
    override readonly isRetryable = isRetryable;
    constructor(options: ErrorOptions | string = {}) {
      const opts = typeof options === 'string' ? { message: options } : options;
      super({ ...opts, message: opts.message ?? defaultMessage });
    }
  };
}

// The seed's twelve.
export class ConnectionError extends errorClass(
  'CONNECTION_ERROR',
  503,
  true,
  'WhatsApp connection problem',
) {}
export class AuthenticationError extends errorClass(
  'AUTHENTICATION_ERROR',
  401,
  false,
  'Missing or invalid API key',
) {}
export class SessionError extends errorClass(
  'SESSION_ERROR',
  409,
  true,
  'Session is not in a usable state',
) {}
export class RateLimitError extends errorClass('RATE_LIMIT', 429, true, 'Rate limit exceeded') {}
export class MessageSendError extends errorClass('MESSAGE_SEND_ERROR', 502, true, 'Failed to send message') {}
export class ValidationError extends errorClass('VALIDATION_ERROR', 400, false, 'Invalid request') {}
export class ConfigurationError extends errorClass(
  'CONFIGURATION_ERROR',
  500,
  false,
  'Server misconfigured',
) {}
export class TimeoutError extends errorClass('TIMEOUT_ERROR', 504, true, 'Operation timed out') {}
export class ProviderError extends errorClass('PROVIDER_ERROR', 502, true, 'WhatsApp provider error') {}
export class DatabaseError extends errorClass(
  'DATABASE_ERROR',
  503,
  true,
  'Storage temporarily unavailable',
) {}
export class QRCodeError extends errorClass('QR_CODE_ERROR', 409, true, 'No QR code available') {}
export class PairingCodeError extends errorClass(
  'PAIRING_CODE_ERROR',
  409,
  true,
  'No pairing code available',
) {}

// HTTP-level codes the API needs besides the seed's.
export class NotFoundError extends errorClass('NOT_FOUND', 404, false, 'Not found') {}
export class ForbiddenError extends errorClass('FORBIDDEN', 403, false, 'This key may not do that') {}
export class ConflictError extends errorClass('CONFLICT', 409, false, 'Conflict') {}
export class PayloadTooLargeError extends errorClass(
  'PAYLOAD_TOO_LARGE',
  413,
  false,
  'Request body too large',
) {}
export class UnsupportedMediaTypeError extends errorClass(
  'UNSUPPORTED_MEDIA_TYPE',
  415,
  false,
  'Content-Type must be application/json',
) {}
/** Another request with the same Idempotency-Key is still running: retry after `retryAfter` for its answer. */
export class IdempotencyInProgressError extends errorClass(
  'IDEMPOTENCY_IN_PROGRESS',
  409,
  true,
  'A request with this Idempotency-Key is still in progress',
) {}
/** The client went away before its request body arrived (nginx's 499): its abort, not an outage. */
export class RequestAbortedError extends errorClass(
  'REQUEST_ABORTED',
  499,
  true,
  'The client closed the connection before the request body arrived',
) {}
export class InternalError extends errorClass('INTERNAL_ERROR', 500, false, 'Internal error') {}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'SlowDown',
  'ThrottledException',
]);
const NETWORK = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN']);

/** Turns anything thrown into a WhatsAppError; AWS throttling and timeouts become retryable errors. */
export function standardize(error: unknown): WhatsAppError {
  if (error instanceof WhatsAppError) return error;
  if (error instanceof ZodError) {
    return new ValidationError({
      message: 'Invalid request',
      details: { issues: error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })) },
    });
  }
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } } | undefined;
  const name = e?.name ?? '';
  if (THROTTLING.has(name)) {
    return new DatabaseError({ message: 'AWS throttled the request', retryAfter: 1, cause: error });
  }
  if (name === 'TimeoutError' || name === 'RequestTimeout' || name === 'AbortError') {
    return new TimeoutError({ message: 'An upstream call timed out', retryAfter: 1, cause: error });
  }
  if ((e?.code && NETWORK.has(e.code)) || name === 'NetworkingError') {
    return new DatabaseError({ message: 'Storage unreachable', retryAfter: 1, cause: error });
  }
  const status = e?.$metadata?.httpStatusCode;
  if (status !== undefined && status >= 500) {
    return new DatabaseError({ message: 'AWS service error', retryAfter: 1, cause: error });
  }
  return new InternalError({ cause: error });
}

export function toErrorBody(error: unknown): { status: number; body: ErrorBody } {
  const standard = standardize(error);
  return { status: standard.status, body: standard.toBody() };
}
