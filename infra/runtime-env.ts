import type { Env } from '../shared/config.js';

/**
 * Environment for a deployed process. Keyed by shared/config.ts's variable names, so a renamed or
 * misspelt variable fails the typecheck instead of silently falling back to a default.
 */
export type RuntimeEnv = { [K in keyof Env]?: string };

/** What every deployed process shares: production rules, and the names and shard count of the resources. */
export const commonRuntimeEnv = (settings: { resourcePrefix: string; shardCount: number }): RuntimeEnv => ({
  WAFLEET_ENV: 'production',
  LOG_LEVEL: 'info',
  RESOURCE_PREFIX: settings.resourcePrefix,
  SHARD_COUNT: String(settings.shardCount),
});
