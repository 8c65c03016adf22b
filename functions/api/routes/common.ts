import { ErrorBody } from '../../../shared/schemas/api.js';

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorBody } },
});

/** Error answers every authenticated route may give, in the standard envelope. */
export const errorResponses = {
  400: error('VALIDATION_ERROR: the request is malformed or a field is invalid'),
  401: error('AUTHENTICATION_ERROR: missing or invalid API key'),
  403: error('FORBIDDEN: the key may not do this, or the tenant is disabled'),
  404: error('NOT_FOUND: no such resource for this tenant'),
  409: error('The resource is not in a state that allows this (SESSION_ERROR, QR_CODE_ERROR, CONFLICT, …)'),
  413: error('PAYLOAD_TOO_LARGE'),
  415: error('UNSUPPORTED_MEDIA_TYPE: send application/json'),
  429: error('RATE_LIMIT: see Retry-After'),
  500: error('INTERNAL_ERROR or CONFIGURATION_ERROR'),
  503: error('DATABASE_ERROR or CONNECTION_ERROR: retry after Retry-After'),
} as const;

export const json = <T>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

export const jsonBody = <T>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});

export const security = [{ bearer: [] }];
