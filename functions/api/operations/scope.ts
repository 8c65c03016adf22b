import type { Context } from 'hono';
import { NotFoundError, ValidationError } from '../../../shared/errors.js';
import type { Tenant } from '../../../shared/stores/tenants.js';
import type { ApiDeps } from '../deps.js';
import type { AppEnv } from '../env.js';

const companyNotFound = (tenantId: string) =>
  new NotFoundError({ message: `Company ${tenantId} not found`, details: { companyId: tenantId } });

/**
 * The id of the tenant a request acts for. A tenant key reaches only itself: naming another tenant
 * answers 404, as if it did not exist (STYLE rule 14). The admin key must name the tenant; whether it
 * exists is checked by `resolveTenant` / `loadTarget`.
 */
export function targetTenant(c: Context<AppEnv>, requested: string | undefined): string {
  const principal = c.get('principal');
  if (principal.role === 'tenant') {
    if (requested !== undefined && requested !== principal.tenantId) throw companyNotFound(requested);
    return principal.tenantId;
  }
  if (!requested) {
    throw new ValidationError({
      message: 'companyId is required with the admin key',
      details: { field: 'companyId' },
    });
  }
  return requested;
}

/**
 * The tenant a request acts for, loaded: the admin key naming a tenant that does not exist gets the
 * same 404 as a tenant key naming another, before anything is recorded or queued for it.
 */
export async function resolveTenant(
  c: Context<AppEnv>,
  deps: Pick<ApiDeps, 'tenants'>,
  requested: string | undefined,
): Promise<Tenant> {
  return loadTarget(c, deps, targetTenant(c, requested));
}

/** Loads `tenantId` (from `targetTenant`); a tenant key's own tenant was loaded by authentication. */
export async function loadTarget(
  c: Context<AppEnv>,
  deps: Pick<ApiDeps, 'tenants'>,
  tenantId: string,
): Promise<Tenant> {
  const own = c.get('tenant');
  if (own?.tenantId === tenantId) return own;
  const tenant = await deps.tenants.find(tenantId);
  if (!tenant) throw companyNotFound(tenantId);
  return tenant;
}
