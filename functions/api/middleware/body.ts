import type { MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import {
  PayloadTooLargeError,
  RequestAbortedError,
  UnsupportedMediaTypeError,
  WhatsAppError,
} from '../../../shared/errors.js';
import type { AppEnv } from '../env.js';

/**
 * Reading a request body can only fail because the client went away mid-upload (or sent a
 * chunked body it never finished): that is the client's abort, never a storage outage, although
 * Node reports it as ECONNRESET.
 */
const clientAbort = (error: unknown) =>
  error instanceof WhatsAppError ? error : new RequestAbortedError({ cause: error });

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
  // bodyLimit reads a chunked body itself before calling next: what fails before then is the read.
  const bounded: MiddlewareHandler<AppEnv> = async (c, next) => {
    let read = false;
    try {
      return await limit(c, () => {
        read = true;
        return next();
      });
    } catch (error) {
      throw read ? error : clientAbort(error);
    }
  };
  // A body with a Content-Length is read here too (Hono keeps it for the validator), so an
  // upload cut short is an abort, not malformed JSON.
  const readWhole: MiddlewareHandler<AppEnv> = async (c, next) => {
    if (c.req.raw.body) {
      await c.req.arrayBuffer().catch((error: unknown) => {
        throw clientAbort(error);
      });
    }
    return next();
  };
  return [bounded, contentType, readWhole];
}
