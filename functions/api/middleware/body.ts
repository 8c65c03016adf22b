import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { PayloadTooLargeError, UnsupportedMediaTypeError } from '../../../shared/errors.js';
import type { AppEnv } from '../env.js';

/** Bodies are JSON and bounded; an empty body (POST /disconnect) needs no content type. */
export function jsonBody(maxBytes: number): MiddlewareHandler<AppEnv>[] {
  const contentType: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (c.req.method === 'GET' || c.req.method === 'DELETE' || c.req.method === 'HEAD') return next();
    const length = c.req.header('content-length');
    const hasBody =
      (length !== undefined && length !== '0') || c.req.header('transfer-encoding') !== undefined;
    const type = c.req.header('content-type') ?? '';
    if (hasBody && !/^application\/(?:[\w.+-]+\+)?json\b/i.test(type)) {
      throw new UnsupportedMediaTypeError({ details: { contentType: type || null } });
    }
    if (!hasBody && type) {
      // `Content-Type: application/json` with no body (POST /disconnect from many clients):
      // treat it as no body rather than as malformed JSON.
      const headers = new Headers(c.req.raw.headers);
      headers.delete('content-type');
      c.req.raw = new Request(c.req.raw, { headers });
    }
    return next();
  };
  const limit = bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw new PayloadTooLargeError({ details: { maxBytes } });
    },
  });
  return [limit as MiddlewareHandler<AppEnv>, contentType];
}
