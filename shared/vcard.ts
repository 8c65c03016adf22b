import type { ContactCardContent } from './commands.js';

/**
 * Writes a contact card as the vCard 3.0 WhatsApp's apps send (RFC 2426): `N` and `FN`, `ORG`,
 * `TITLE`, one `TEL` per number with the account in the `waid` parameter, `EMAIL` and `URL`.
 * Text values are escaped (backslash, comma, line breaks); a structured value (`N`, `ORG`) also
 * escapes `;` in each part, so a `;` in a name cannot shift the parts after it.
 */
export function buildVCard(card: ContactCardContent): string {
  const lines = [
    'BEGIN:VCARD',
    'VERSION:3.0',
    `N:${[card.lastName, card.firstName, '', '', ''].map((part) => escapeComponent(part ?? '')).join(';')}`,
    `FN:${escapeText(card.name)}`,
  ];
  if (card.organization) lines.push(`ORG:${escapeComponent(card.organization)};`);
  if (card.title) lines.push(`TITLE:${escapeText(card.title)}`);
  for (const phone of card.phones) {
    const params = [`type=${parameter(phone.type ?? 'CELL')}`, 'type=VOICE'];
    if (phone.waId) params.push(`waid=${phone.waId}`);
    lines.push(`TEL;${params.join(';')}:${singleLine(phone.number)}`);
  }
  for (const email of card.emails ?? []) {
    lines.push(`EMAIL;type=${parameter(email.type ?? 'INTERNET')}:${escapeText(email.address)}`);
  }
  for (const url of card.urls ?? []) lines.push(`URL:${singleLine(url)}`);
  lines.push('END:VCARD');
  return lines.join('\n');
}

/**
 * A text value (RFC 2426 §4): backslash first, then commas and line breaks. A `;` stays as it is,
 * as vCard 4.0 allows and parsers (ical.js among them) read it back unchanged.
 */
export function escapeText(value: string): string {
  return value
    .replace(/\\/g, '\\\\')
    .replace(/,/g, '\\,')
    .replace(/\r\n|\r|\n/g, '\\n');
}

/** One part of a structured value, where `;` separates the parts. */
export function escapeComponent(value: string): string {
  return escapeText(value).replace(/;/g, '\\;');
}

/** Values that are not text (a phone number, a URI) have no escapes: a line break would end the property. */
function singleLine(value: string): string {
  return value.replace(/[\r\n]+/g, ' ');
}

/** A parameter value: letters, digits and `-` only (TYPE names), upper-cased as WhatsApp writes them. */
function parameter(value: string): string {
  return value.replace(/[^A-Za-z0-9-]/g, '').toUpperCase() || 'OTHER';
}
