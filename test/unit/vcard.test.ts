import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { buildVCard, escapeComponent, escapeText } from '../../shared/vcard.js';
import { parseContactCard } from '../../socket-host/session/inbound-vcard.js';

/**
 * The vCards the gateway writes read back, through an independent parser (Mozilla's ical.js) and
 * through the gateway's own reader of received cards, as exactly the fields they were built from.
 */

const parsed = (vcard: string) => new ICAL.Component(ICAL.parse(vcard));

describe('buildVCard', () => {
  it('writes the vCard 3.0 WhatsApp sends: N, FN, ORG, TITLE, TEL with waid, EMAIL, URL', () => {
    const vcard = buildVCard({
      name: 'Ana Lima',
      firstName: 'Ana',
      lastName: 'Lima',
      organization: 'Beauty Salon',
      title: 'Owner',
      phones: [{ number: '+55 11 98765-4321', waId: '5511987654321' }],
      emails: [{ address: 'ana@example.com' }],
      urls: ['https://salon.example.com/ana'],
    });
    expect(vcard.split('\n')).toEqual([
      'BEGIN:VCARD',
      'VERSION:3.0',
      'N:Lima;Ana;;;',
      'FN:Ana Lima',
      'ORG:Beauty Salon;',
      'TITLE:Owner',
      'TEL;type=CELL;type=VOICE;waid=5511987654321:+55 11 98765-4321',
      'EMAIL;type=INTERNET:ana@example.com',
      'URL:https://salon.example.com/ana',
      'END:VCARD',
    ]);
    expect(parseContactCard(vcard)).toEqual({
      name: 'Ana Lima',
      phones: [{ number: '+55 11 98765-4321', waId: '5511987654321', type: 'cell, voice' }],
      emails: ['ana@example.com'],
      organization: 'Beauty Salon',
      vcard,
    });
  });

  it('escapes separators and line breaks so every field reads back unchanged', () => {
    const tricky = 'Lima; Ana, "the boss" \\ salon\nsecond line\r\nthird';
    const vcard = buildVCard({
      name: tricky,
      firstName: 'A;na',
      lastName: 'Li,ma',
      organization: 'Salon; Spa, Ltd',
      title: 'line\rbreak',
      phones: [{ number: '+7 900\n123 45 67' }],
      emails: [{ address: 'a,b@example.com' }],
    });
    // One property per line: nothing a value holds starts a line of its own.
    expect(vcard.split('\n')).toHaveLength(9);
    const card = parsed(vcard);
    expect(card.getFirstPropertyValue('fn')).toBe(tricky.replace(/\r\n|\r/g, '\n'));
    expect(card.getFirstPropertyValue('n')).toEqual(['Li,ma', 'A;na', '', '', '']);
    expect(card.getFirstPropertyValue('org')).toEqual(['Salon; Spa, Ltd', '']);
    expect(card.getFirstPropertyValue('title')).toBe('line\nbreak');
    expect(card.getFirstPropertyValue('tel')).toBe('+7 900 123 45 67');
    expect(card.getFirstPropertyValue('email')).toBe('a,b@example.com');
  });

  it('keeps a parameter to TYPE characters, so a value cannot add parameters', () => {
    const vcard = buildVCard({
      name: 'Ana',
      phones: [{ number: '+5511987654321', type: 'work;waid=1:evil' }],
      emails: [{ address: 'ana@example.com', type: 'home' }],
    });
    expect(vcard).toContain('TEL;type=WORKWAID1EVIL;type=VOICE:+5511987654321');
    expect(vcard).toContain('EMAIL;type=HOME:ana@example.com');
    expect(parseContactCard(vcard).phones).toEqual([
      { number: '+5511987654321', type: 'workwaid1evil, voice' },
    ]);
  });

  it('writes one TEL and EMAIL per entry, in order, and leaves out what the card lacks', () => {
    const vcard = buildVCard({
      name: 'Front desk',
      phones: [
        { number: '+5511987654321', waId: '5511987654321', type: 'work' },
        { number: '+551133334444', type: 'home' },
      ],
    });
    expect(vcard).not.toMatch(/ORG|TITLE|EMAIL|URL/);
    expect(vcard).toContain('N:;;;;');
    expect(parseContactCard(vcard).phones.map((p) => [p.number, p.waId])).toEqual([
      ['+5511987654321', '5511987654321'],
      ['+551133334444', undefined],
    ]);
  });
});

describe('escaping', () => {
  it.each([
    ['a\\b', 'a\\\\b'],
    ['a,b', 'a\\,b'],
    ['a\nb', 'a\\nb'],
    ['a\r\nb', 'a\\nb'],
    ['a;b', 'a;b'],
    ['plain 👋🏽 漢字', 'plain 👋🏽 漢字'],
  ])('text %j → %j', (input, expected) => {
    expect(escapeText(input)).toBe(expected);
  });

  it.each([
    ['a;b', 'a\\;b'],
    ['\\;', '\\\\\\;'],
    ['a,b;c', 'a\\,b\\;c'],
  ])('a structured part %j → %j', (input, expected) => {
    expect(escapeComponent(input)).toBe(expected);
  });
});
