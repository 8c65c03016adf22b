import { describe, expect, it } from 'vitest';
import { queueBody } from '../../shared/aws/queue-body.js';

/** What SQS accepts in a body, less what fauxqs refuses besides (everything outside the BMP). */
const emulatorSafe = (body: string) =>
  [...body].every((c) => {
    const unit = c.codePointAt(0) ?? 0;
    return (
      [0x9, 0xa, 0xd].includes(unit) || (unit >= 0x20 && unit <= 0xd7ff) || (unit >= 0xe000 && unit <= 0xfffd)
    );
  });

describe('queueBody', () => {
  it.each([
    ['emoji with ZWJ and skin tone', '👋🏽 👩‍👩‍👧'],
    ['a letter outside the BMP', '𝒳'],
    ['the noncharacters SQS refuses', '\uFFFE\uFFFF'],
    ['lone surrogates', 'a\uD800b\uDFFFc'],
    ['control characters', '\u0000\u0007\u001b\u007f\u0085'],
    ['CJK and RTL, which SQS accepts as they are', '漢字かな한국어 مرحبا'],
  ])('carries %s in a body SQS and fauxqs accept, and JSON.parse restores it', (_, text) => {
    const value = { payload: { content: { text } } };
    const body = queueBody(value);
    expect(emulatorSafe(body)).toBe(true);
    expect(JSON.parse(body)).toEqual(value);
  });

  it('leaves BMP text other than the refused code units unescaped', () => {
    expect(queueBody({ text: '漢字 é' })).toBe('{"text":"漢字 é"}');
  });
});
