import { timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { AuthenticationError, ForbiddenError } from '../../../shared/errors.js';
import { hashApiKey, type Principal } from '../../../shared/stores/api-keys.js';
import type { ApiDeps } from '../deps.js';
import type { AppEnv } from '../env.js';

const sameHash = (a: string, b: string) => timingSafeEqual(Buffer.from(a, 'hex'), Buffer.from(b, 'hex'));

/** `Authorization: Bearer <key>` → the principal; tenant keys also load their (active) tenant. */
export function authenticate(
  deps: Pick<ApiDeps, 'apiKeys' | 'tenants' | 'adminKeyHash'>,
): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const principal = await principalOf(deps, c.req.header('authorization'));
    if (!principal) throw new AuthenticationError();
    c.set('principal', principal);
    if (principal.role === 'tenant') {
      const tenant = await deps.tenants.find(principal.tenantId);
      if (!tenant) throw new AuthenticationError();
      if (tenant.status !== 'active') throw new ForbiddenError({ message: 'This tenant is disabled' });
      c.set('tenant', tenant);
      c.set('log', c.get('log').child({ tenantId: principal.tenantId }));
    }
    return next();
  };
}

export async function principalOf(
  deps: Pick<ApiDeps, 'apiKeys' | 'adminKeyHash'>,
  header: string | undefined,
): Promise<Principal | undefined> {
  const key = header?.match(/^Bearer\s+(\S+)$/i)?.[1];
  if (!key || key.length > 256) return undefined;
  if (deps.adminKeyHash && sameHash(hashApiKey(key), deps.adminKeyHash)) return { role: 'admin' };
  return deps.apiKeys.resolve(key);
}

export const requireAdmin: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.get('principal').role !== 'admin')
    throw new ForbiddenError({ message: 'This route needs the admin key' });
  return next();
};
