import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Comments cite docs/architecture.md as `architecture §N` or `architecture §N.M`. These tests keep
 * every citation pointing at a heading that exists, and keep citations of the design handbook that
 * lived outside the repository from coming back.
 */

const root = join(import.meta.dirname, '..', '..');
const DOC = 'docs/architecture.md';
const SKIPPED_DIRS = new Set(['node_modules', '.git', 'cdk.out', '.wafleet', 'coverage']);
const SCANNED = /(\.(ts|mts|mjs|js|md)|(^|\/)Dockerfile)$/;

/** The handbook outside the repository, cited by section or by file (written so this file does not match). */
const OUTSIDE_DOC = /\bDESIGN\s+§|shared\/DESIGN\.md/;
/** A citation: the word architecture, then §5, §5.6, §5–7, §8.3–8.6, "§5, §12" or "§7 and §12". */
const CITATION = /architecture\s+§[\d.–-]*\d(?:(?:,\s*|\s+and\s+)§[\d.–-]*\d)*/g;
/** One section or a range: §5, §5.6, §5–7, §8.3–8.6. */
const SECTION = /§(\d+)(?:\.(\d+))?(?:[–-](\d+)(?:\.(\d+))?)?/g;

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : files(path);
    return SCANNED.test(path) ? [path] : [];
  });
}

/** Every line of the scanned files, with where it is. */
const lines = files(root).flatMap((file) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .map((text, index) => ({ where: `${relative(root, file)}:${index + 1}`, text })),
);

/** Section numbers (`5`) and subsection numbers (`5.6`) that docs/architecture.md has as headings. */
function headings(): Set<string> {
  const found = new Set<string>();
  for (const line of readFileSync(join(root, DOC), 'utf8').split('\n')) {
    const section = line.match(/^## (\d+)\. /);
    const subsection = line.match(/^### (\d+\.\d+) /);
    if (section?.[1]) found.add(section[1]);
    if (subsection?.[1]) found.add(subsection[1]);
  }
  return found;
}

const span = (from: number, to: number) =>
  Array.from({ length: Math.max(1, to - from + 1) }, (_, i) => from + i);

/** The sections one citation names; a range names each one: `§5–7` is 5, 6 and 7, `§8.3–8.6` is 8.3 to 8.6. */
function sectionsOf(citation: string): string[] {
  return [...citation.matchAll(SECTION)].flatMap(([, major = '', minor, last, lastMinor]) => {
    if (!minor) return span(Number(major), Number(last ?? major)).map(String);
    // `§8.3–8.6`, or `§8.3–6` for short.
    const end = lastMinor ?? last ?? minor;
    if (lastMinor !== undefined && last !== major) return [`${major}.${minor}`, `${last}.${lastMinor}`];
    return span(Number(minor), Number(end)).map((n) => `${major}.${n}`);
  });
}

const missing = (known: Set<string>, where: string, citation: string) =>
  sectionsOf(citation)
    .filter((section) => !known.has(section))
    .map((section) => `${where}: "${citation}" names §${section}, which ${DOC} has no heading for`);

describe('docs/architecture.md citations', () => {
  it('no file cites the design handbook outside the repository', () => {
    const offenders = lines
      .filter((l) => OUTSIDE_DOC.test(l.text))
      .map((l) => `${l.where}: ${l.text.trim()}`);
    expect(offenders).toEqual([]);
  });

  it('every `architecture §N` in the code names a section the document has', () => {
    const known = headings();
    const offenders = lines.flatMap(({ where, text }) =>
      [...text.matchAll(CITATION)].flatMap(([citation]) => missing(known, where, citation)),
    );
    expect(offenders).toEqual([]);
  });

  it("the document's own cross-references (§N, §N.M) name sections it has", () => {
    const known = headings();
    const offenders = readFileSync(join(root, DOC), 'utf8')
      .split('\n')
      .flatMap((text, index) =>
        [...text.matchAll(SECTION)].flatMap(([citation]) => missing(known, `${DOC}:${index + 1}`, citation)),
      );
    expect(offenders).toEqual([]);
  });

  it('numbers its sections 1, 2, 3, … in order, so citations keep meaning what they meant', () => {
    const numbers = readFileSync(join(root, DOC), 'utf8')
      .split('\n')
      .flatMap((line) => line.match(/^## (\d+)\. /)?.[1] ?? [])
      .map(Number);
    expect(numbers).toEqual(Array.from({ length: numbers.length }, (_, i) => i + 1));
    expect(numbers.length).toBeGreaterThanOrEqual(12);
  });
});
