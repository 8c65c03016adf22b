import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * `.wafleet/` keeps what must survive an `npm start` restart: DynamoDB Local's database and the
 * generated admin key (readable only by its owner).
 */
export interface DataDir {
  root: string;
  dynamoPath: string;
  /** The admin key: ADMIN_API_KEY when set, else the one generated on first run. */
  adminKey(fromEnv: string | undefined): { key: string; generated: boolean };
}

export const demoDataDir = () =>
  join(process.env.WAFLEET_DATA_DIR ?? join(process.cwd(), '.wafleet'), 'demo');

export function openDataDir(
  root = process.env.WAFLEET_DATA_DIR ?? join(process.cwd(), '.wafleet'),
  options: { fresh?: boolean } = {},
): DataDir {
  if (options.fresh) rmSync(root, { recursive: true, force: true });
  const dynamoPath = join(root, 'dynamodb');
  mkdirSync(dynamoPath, { recursive: true });
  const keyFile = join(root, 'admin-key');
  return {
    root,
    dynamoPath,
    adminKey(fromEnv) {
      if (fromEnv) return { key: fromEnv, generated: false };
      if (existsSync(keyFile)) return { key: readFileSync(keyFile, 'utf8').trim(), generated: false };
      const key = `wfk_admin_${randomBytes(24).toString('base64url')}`;
      writeFileSync(keyFile, `${key}\n`, { mode: 0o600 });
      return { key, generated: true };
    },
  };
}
