import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { toErrorBody, UnsupportedMediaTypeError, ValidationError } from '../../../shared/errors.js';
import type { AppEnv } from '../env.js';

/** The one place any thrown value becomes the error envelope (STYLE rule 4). */
export function errorResponse(error: unknown, c: Context<AppEnv>): Response {
  const mapped = error instanceof HTTPException ? fromHttpException(error) : error;
  const { status, body } = toErrorBody(mapped);
  const log = c.get('log');
  if (status >= 500) log?.error({ err: error, status, code: body.code }, 'request failed');
  else if (body.code === 'REQUEST_ABORTED')
    log?.debug({ status, code: body.code }, 'client closed the request');
  if (body.retryAfter !== null) c.header('Retry-After', String(body.retryAfter));
  return c.json({ success: false as const, error: body }, status as 400);
}

/** Hono and its validators throw HTTPException: malformed JSON (400) and undeclared media types (415). */
function fromHttpException(error: HTTPException): unknown {
  if (error.status === 400)
    return new ValidationError({ message: error.message || 'Malformed request body' });
  if (error.status === 415) return new UnsupportedMediaTypeError({ details: {} });
  return error;
}
