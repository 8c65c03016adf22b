import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { toErrorBody, ValidationError } from '../../../shared/errors.js';
import type { AppEnv } from '../env.js';

/** The one place any thrown value becomes the error envelope (STYLE rule 4). */
export function errorResponse(error: unknown, c: Context<AppEnv>): Response {
  // Hono's own 400s (malformed JSON) arrive as HTTPException.
  const mapped =
    error instanceof HTTPException && error.status === 400
      ? new ValidationError({ message: error.message || 'Malformed request body' })
      : error;
  const { status, body } = toErrorBody(mapped);
  const log = c.get('log');
  if (status >= 500) log?.error({ err: error, status, code: body.code }, 'request failed');
  if (body.retryAfter !== null) c.header('Retry-After', String(body.retryAfter));
  return c.json({ success: false as const, error: body }, status as 400);
}
