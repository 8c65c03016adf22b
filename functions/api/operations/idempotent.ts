import type { Context } from 'hono';
import { ValidationError } from '../../../shared/errors.js';
import { hashRequest, type StoredResponse } from '../../../shared/stores/idempotency.js';
import type { ApiDeps } from '../deps.js';
import type { AppEnv } from '../env.js';
import { loadTarget } from './scope.js';

/**
 * Runs `work` once per Idempotency-Key: a replay with the same request returns the first answer
 * and runs nothing; the same key with a different request is refused. Nothing is claimed or run
 * for a tenant that does not exist (the admin key may name any id): that is a 404.
 */
export async function idempotent(
  c: Context<AppEnv>,
  deps: Pick<ApiDeps, 'idempotency' | 'tenants'>,
  tenantId: string,
  request: unknown,
  work: () => Promise<StoredResponse>,
): Promise<StoredResponse & { replayed: boolean }> {
  await loadTarget(c, deps, tenantId);
  const key = c.req.header('idempotency-key');
  if (key === undefined) return { ...(await work()), replayed: false };
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new ValidationError({ message: 'Idempotency-Key must be 1-255 visible ASCII characters' });
  }
  const claim = await deps.idempotency.claim(
    tenantId,
    key,
    hashRequest([c.req.method, c.req.routePath, request]),
  );
  if (!claim.claimed) return { ...claim.response, replayed: true };
  try {
    const response = await work();
    await deps.idempotency.complete(tenantId, key, response);
    return { ...response, replayed: false };
  } catch (error) {
    await deps.idempotency.release(tenantId, key).catch(() => undefined);
    throw error;
  }
}
