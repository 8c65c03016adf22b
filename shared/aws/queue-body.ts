/**
 * SQS accepts only #x9, #xA, #xD, #x20–#xD7FF, #xE000–#xFFFD and #x10000–#x10FFFF in a message
 * body, and emulators such as fauxqs refuse everything outside the BMP too. JSON can escape any
 * UTF-16 code unit as \uXXXX and JSON.parse restores it, so a body with those escaped carries
 * every string (emoji, U+FFFF, even a lone surrogate) and consumers need no change.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: SQS's documented set names tab, LF and CR
const OUTSIDE_SQS_SAFE = /[^\x09\x0A\x0D\x20-\uD7FF\uE000-\uFFFD]/g;

/** JSON for an SQS message body: every code unit SQS or an emulator could refuse is escaped. */
export function queueBody(value: unknown): string {
  return JSON.stringify(value).replace(
    OUTSIDE_SQS_SAFE,
    (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
