import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  AuthenticationError,
  ConfigurationError,
  ConnectionError,
  DatabaseError,
  MessageSendError,
  PairingCodeError,
  ProviderError,
  QRCodeError,
  RateLimitError,
  SessionError,
  standardize,
  TimeoutError,
  toErrorBody,
  ValidationError,
  WhatsAppError,
} from '../../shared/errors.js';

describe('the seed’s error hierarchy', () => {
  it.each([
    [ConnectionError, 'CONNECTION_ERROR', 503, true],
    [AuthenticationError, 'AUTHENTICATION_ERROR', 401, false],
    [SessionError, 'SESSION_ERROR', 409, true],
    [RateLimitError, 'RATE_LIMIT', 429, true],
    [MessageSendError, 'MESSAGE_SEND_ERROR', 502, true],
    [ValidationError, 'VALIDATION_ERROR', 400, false],
    [ConfigurationError, 'CONFIGURATION_ERROR', 500, false],
    [TimeoutError, 'TIMEOUT_ERROR', 504, true],
    [ProviderError, 'PROVIDER_ERROR', 502, true],
    [DatabaseError, 'DATABASE_ERROR', 503, true],
    [QRCodeError, 'QR_CODE_ERROR', 409, true],
    [PairingCodeError, 'PAIRING_CODE_ERROR', 409, true],
  ])('%o has a stable code, one status and says whether to retry', (ErrorClass, code, status, retryable) => {
    const error = new ErrorClass({ details: { phone: '79001234567' }, retryAfter: 5 });
    expect(error).toBeInstanceOf(WhatsAppError);
    expect(error).toBeInstanceOf(Error);
    expect(error.name).toBe(ErrorClass.name);
    expect(toErrorBody(error)).toEqual({
      status,
      body: {
        code,
        message: expect.any(String),
        details: { phone: '79001234567' },
        isRetryable: retryable,
        retryAfter: 5,
      },
    });
  });

  it('takes a plain message', () => {
    expect(new SessionError('Session not connected').message).toBe('Session not connected');
  });
});

describe('standardize', () => {
  it('turns a zod failure into VALIDATION_ERROR listing the fields', () => {
    const result = z.object({ phone: z.string() }).safeParse({});
    const error = standardize(result.error);
    expect(error.code).toBe('VALIDATION_ERROR');
    expect(error.details).toEqual({ issues: [{ path: 'phone', message: expect.any(String) }] });
  });

  it.each(['ThrottlingException', 'ProvisionedThroughputExceededException', 'RequestLimitExceeded'])(
    'maps AWS %s to a retryable DATABASE_ERROR with retryAfter',
    (name) => {
      const error = standardize(Object.assign(new Error('slow down'), { name }));
      expect(error).toMatchObject({ code: 'DATABASE_ERROR', status: 503, isRetryable: true, retryAfter: 1 });
    },
  );

  it('maps timeouts to TIMEOUT_ERROR and connection failures to a retryable error', () => {
    expect(standardize(Object.assign(new Error('t'), { name: 'TimeoutError' })).code).toBe('TIMEOUT_ERROR');
    expect(standardize(Object.assign(new Error('c'), { code: 'ECONNREFUSED' })).isRetryable).toBe(true);
  });

  it('hides unknown errors behind INTERNAL_ERROR without leaking their message', () => {
    const body = toErrorBody(new Error('secret connection string')).body;
    expect(body).toMatchObject({ code: 'INTERNAL_ERROR', isRetryable: false });
    expect(body.message).not.toContain('secret');
  });
});
