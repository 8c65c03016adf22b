import ICAL from 'ical.js';
import type { EventData } from '../../shared/events.js';

export type ContactCard = NonNullable<EventData<'message.received'>['contacts']>[number];

/**
 * Reads the fields a bot needs from a received contact card's vCard (WhatsApp sends 3.0, with the
 * contact's account in TEL's `waid` parameter). A card that does not parse keeps its raw vCard and
 * the display name WhatsApp sent beside it.
 */
export function parseContactCard(vcard: string, displayName?: string): ContactCard {
  const fallback: ContactCard = { name: displayName || undefined, phones: [], vcard };
  let card: ICAL.Component;
  try {
    card = new ICAL.Component(ICAL.parse(vcard));
  } catch {
    return fallback;
  }
  if (card.name !== 'vcard') return fallback;
  const phones = card.getAllProperties('tel').flatMap((tel) => {
    const number = text(tel.getFirstValue());
    if (!number) return [];
    const waId = text(tel.getParameter('waid'));
    const type = text(tel.getParameter('type'));
    return [{ number, ...(waId ? { waId } : {}), ...(type ? { type: type.toLowerCase() } : {}) }];
  });
  const emails = card
    .getAllProperties('email')
    .map((email) => text(email.getFirstValue()))
    .filter((email): email is string => Boolean(email));
  const organization = text(card.getFirstPropertyValue('org'));
  return {
    name: text(card.getFirstPropertyValue('fn')) ?? fallback.name,
    phones,
    ...(emails.length > 0 ? { emails } : {}),
    ...(organization ? { organization } : {}),
    vcard,
  };
}

/** A property value as one string: structured values (ORG's units, several TYPEs) joined. */
function text(value: unknown): string | undefined {
  const parts = (Array.isArray(value) ? value : [value])
    .filter((part): part is string => typeof part === 'string')
    .map((part) => part.trim())
    .filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : undefined;
}
