import type { Logger } from '../../shared/logger.js';
import type { Principal } from '../../shared/stores/api-keys.js';
import type { Tenant } from '../../shared/stores/tenants.js';

/** Per-request values the middleware sets for the routes. */
export interface AppEnv {
  Variables: {
    requestId: string;
    log: Logger;
    principal: Principal;
    /** The caller's tenant (tenant keys only). */
    tenant?: Tenant;
  };
}
