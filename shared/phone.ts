import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { ValidationError } from './errors.js';

/**
 * Phone numbers travel as digits only, country code first, 10–15 digits (what WhatsApp jids use).
 * Input may carry `+`, spaces, dashes or brackets; libphonenumber checks it is a possible number.
 */
export function normalizePhone(input: string, field = 'phone'): string {
  const trimmed = input.trim();
  const digits = trimmed.replace(/[\s\-().]/g, '').replace(/^\+/, '');
  if (!/^\d{10,15}$/.test(digits)) {
    throw new ValidationError({
      message: `${field} must be 10-15 digits with country code, e.g. 79001234567`,
      details: { field },
    });
  }
  const parsed = parsePhoneNumberFromString(`+${digits}`);
  if (!parsed?.isPossible()) {
    throw new ValidationError({ message: `${field} is not a possible phone number`, details: { field } });
  }
  return parsed.number.slice(1);
}

export const toUserJid = (digits: string): string => `${digits}@s.whatsapp.net`;

/** `79001234567@s.whatsapp.net` or `79001234567:3@s.whatsapp.net` → `79001234567`; other jids → undefined. */
export function phoneFromJid(jid: string | undefined | null): string | undefined {
  const match = jid?.match(/^(\d{10,15})(?::\d+)?@s\.whatsapp\.net$/);
  return match?.[1];
}
