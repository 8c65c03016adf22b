import type { MiddlewareHandler } from 'hono';
import { RateLimitError } from '../../../shared/errors.js';
import type { ApiDeps } from '../deps.js';
import type { AppEnv } from '../env.js';

/** Per-tenant fixed window (the tenant's own limit, else the configured default). Admin calls are not limited. */
export function rateLimit(deps: Pick<ApiDeps, 'rateLimiter' | 'config'>): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const tenant = c.get('tenant');
    if (!tenant) return next();
    const limit = tenant.rateLimit ?? deps.config.rateLimit;
    const decision = await deps.rateLimiter.hit(tenant.tenantId, limit);
    c.header('X-RateLimit-Limit', String(decision.limit));
    c.header('X-RateLimit-Remaining', String(decision.remaining));
    if (!decision.allowed) {
      throw new RateLimitError({
        message: `Rate limit of ${limit.maxRequests} requests per ${limit.windowMs / 1000} s exceeded`,
        retryAfter: decision.retryAfterSeconds,
        details: { limit: limit.maxRequests, windowMs: limit.windowMs },
      });
    }
    return next();
  };
}
