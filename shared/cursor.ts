import { z } from 'zod';
import { TENANT_ID_PATTERN } from './domain.js';
import { ValidationError } from './errors.js';

/**
 * Page cursors: the last key DynamoDB read, handed out as opaque base64url JSON together with the
 * list it belongs to (`scope`, e.g. one tenant's deliveries). What comes back is untrusted input: a
 * cursor of another list or tenant, or a key that does not match the index's schema field by field,
 * is a 400 VALIDATION_ERROR, never a starting key DynamoDB refuses with a 500.
 */

/** DynamoDB's own limits on key attributes: partition keys 2,048 bytes, sort keys 1,024. */
const SORT_KEY_MAX = 1024;

export const tenantIdKey = z.string().regex(TENANT_ID_PATTERN);
export const sortKeyString = z.string().min(1).max(SORT_KEY_MAX);

const envelope = z.strictObject({ s: z.string(), k: z.record(z.string(), z.unknown()) });

const invalid = (reason: string) =>
  new ValidationError({ message: `Invalid cursor: ${reason}`, details: { field: 'cursor' } });

export function encodeCursor(scope: string, key: Record<string, unknown> | undefined): string | undefined {
  if (!key) return undefined;
  return Buffer.from(JSON.stringify({ s: scope, k: key })).toString('base64url');
}

/** The key inside `cursor`, checked against `scope` and `keySchema` (use a strict object). */
export function decodeCursor<K extends Record<string, unknown>>(
  scope: string,
  cursor: string | undefined,
  keySchema: z.ZodType<K>,
): K | undefined {
  if (cursor === undefined || cursor === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('not a cursor this API issued');
  }
  const outer = envelope.safeParse(parsed);
  if (!outer.success) throw invalid('not a cursor this API issued');
  if (outer.data.s !== scope) throw invalid('it belongs to another list');
  const key = keySchema.safeParse(outer.data.k);
  if (!key.success) throw invalid('its position is malformed');
  return key.data;
}
