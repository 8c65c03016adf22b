import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { decodeCursor, encodeCursor, sortKeyString, tenantIdKey } from '../../shared/cursor.js';
import { ValidationError } from '../../shared/errors.js';

const key = z.strictObject({ tenantId: tenantIdKey, eventId: sortKeyString });
const raw = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

const refusal = (scope: string, cursor: string) => {
  try {
    decodeCursor(scope, cursor, key);
  } catch (error) {
    return error;
  }
  return undefined;
};

describe('page cursors', () => {
  it('gives back the key it was made from, for the same scope', () => {
    const cursor = encodeCursor('list:a', { tenantId: 'a', eventId: 'evt_1' });
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor('list:a', cursor, key)).toEqual({ tenantId: 'a', eventId: 'evt_1' });
  });

  it('has no cursor for the last page and reads none from an absent or empty one', () => {
    expect(encodeCursor('list:a', undefined)).toBeUndefined();
    expect(decodeCursor('list:a', undefined, key)).toBeUndefined();
    expect(decodeCursor('list:a', '', key)).toBeUndefined();
  });

  it.each([
    ['another scope (tenant or list)', encodeCursor('list:b', { tenantId: 'a', eventId: 'evt_1' }) as string],
    ['text that is not base64 JSON', '%%%not-a-cursor'],
    ['JSON that is not an object', raw(5)],
    ['JSON null', raw(null)],
    ['a bare key without its scope', raw({ tenantId: 'a', eventId: 'evt_1' })],
    ['a wrong-typed field', raw({ s: 'list:a', k: { tenantId: 'a', eventId: 5 } })],
    ['a missing field', raw({ s: 'list:a', k: { tenantId: 'a' } })],
    ['an extra field', raw({ s: 'list:a', k: { tenantId: 'a', eventId: 'e', other: 'x' } })],
    [
      'a tenant id DynamoDB would refuse',
      raw({ s: 'list:a', k: { tenantId: 'x'.repeat(3000), eventId: 'e' } }),
    ],
    [
      'a sort key past 1,024 characters',
      raw({ s: 'list:a', k: { tenantId: 'a', eventId: 'e'.repeat(1025) } }),
    ],
  ])('refuses %s with VALIDATION_ERROR on the cursor field', (_, cursor) => {
    const error = refusal('list:a', cursor);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).details).toEqual({ field: 'cursor' });
  });
});
