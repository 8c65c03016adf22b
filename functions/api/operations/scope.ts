import type { Context } from 'hono';
import { NotFoundError, ValidationError } from '../../../shared/errors.js';
import type { AppEnv } from '../env.js';

/**
 * The tenant a request acts for. A tenant key reaches only itself: naming another tenant answers
 * 404, as if it did not exist (STYLE rule 14). The admin key must name the tenant.
 */
export function targetTenant(c: Context<AppEnv>, requested: string | undefined): string {
  const principal = c.get('principal');
  if (principal.role === 'tenant') {
    if (requested !== undefined && requested !== principal.tenantId) {
      throw new NotFoundError({
        message: `Company ${requested} not found`,
        details: { companyId: requested },
      });
    }
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
