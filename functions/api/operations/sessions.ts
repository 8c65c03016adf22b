import { randomUUID } from 'node:crypto';
import type { Command } from '../../../shared/commands.js';
import type { LinkMethod } from '../../../shared/domain.js';
import { shardOf } from '../../../shared/shard.js';
import type { SessionRow } from '../../../shared/stores/sessions.js';
import type { ApiDeps } from '../deps.js';

type Deps = Pick<ApiDeps, 'sessions' | 'commands' | 'config' | 'now'>;

/** The tenant's session row, created as `stopped` on first use. */
export const ensureSession = (deps: Deps, tenantId: string): Promise<SessionRow> =>
  deps.sessions.ensure(tenantId, shardOf(tenantId, deps.config.shardCount));

/** Queues a command for the tenant's socket host; returns its id. */
export async function issue<T extends Command['type']>(
  deps: Deps,
  tenantId: string,
  type: T,
  payload: Extract<Command, { type: T }>['payload'],
): Promise<string> {
  const id = randomUUID();
  await deps.commands.publish({ id, type, tenantId, issuedAt: deps.now().toISOString(), payload } as Command);
  return id;
}

export async function startSession(deps: Deps, tenantId: string, method: LinkMethod, phoneNumber?: string) {
  const row = await ensureSession(deps, tenantId);
  await deps.sessions.setDesired(tenantId, 'running', { method, phoneNumber });
  const commandId = await issue(deps, tenantId, 'session.start', { method, phoneNumber });
  return { row, commandId };
}

/** Polls the session row until `pick` returns a value or the deadline passes. */
export async function waitForSession<T>(
  deps: Deps,
  tenantId: string,
  pick: (row: SessionRow) => T | undefined,
  timeoutMs: number,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const row = await deps.sessions.find(tenantId);
    const value = row ? pick(row) : undefined;
    if (value !== undefined || Date.now() >= deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
