import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../shared/errors.js';
import { normalizePhone, phoneFromJid, toUserJid } from '../../shared/phone.js';

describe('normalizePhone', () => {
  it.each([
    ['79001234567', '79001234567'],
    ['+7 900 123-45-67', '79001234567'],
    ['+1 (415) 555-0100', '14155550100'],
    ['  447911123456 ', '447911123456'],
    ['+49.30.901820', '4930901820'],
  ])('normalizes %s to digits %s', (input, digits) => {
    expect(normalizePhone(input)).toBe(digits);
  });

  it.each(['12345', '1234567890123456', '7900abc4567', '', '++79001234567', '0000000000'])(
    'refuses %j with a VALIDATION_ERROR naming the field',
    (input) => {
      expect(() => normalizePhone(input, 'phoneNumber')).toThrow(ValidationError);
      try {
        normalizePhone(input, 'phoneNumber');
      } catch (error) {
        expect((error as ValidationError).details).toEqual({ field: 'phoneNumber' });
      }
    },
  );
});

describe('jids', () => {
  it('round-trips a phone number through its user jid', () => {
    expect(phoneFromJid(toUserJid('79001234567'))).toBe('79001234567');
    expect(phoneFromJid('79001234567:12@s.whatsapp.net')).toBe('79001234567');
    expect(phoneFromJid('123456789012345@lid')).toBeUndefined();
  });
});
