import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../../../shared/logger.js';
import type { AppEnv } from '../env.js';

/** Request id and a scoped logger; one access line per request (never bodies or keys). */
export function requestContext(log: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const requestId = c.req.header('x-request-id') ?? randomUUID();
    c.set('requestId', requestId);
    c.set('log', log.child({ requestId }));
    const started = performance.now();
    await next();
    c.header('X-Request-Id', requestId);
    const principal = c.get('principal');
    c.get('log').info(
      {
        tenantId: principal?.tenantId ?? (principal?.role === 'admin' ? '*admin*' : undefined),
        method: c.req.method,
        route: c.req.routePath,
        status: c.res.status,
        latencyMs: Math.round(performance.now() - started),
      },
      'request',
    );
  };
}
