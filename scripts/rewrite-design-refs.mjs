#!/usr/bin/env node
// One-off (delete it once run): rewrites the comments that cite the design handbook beside the
// checkout, `DESIGN` followed by `§N`, into citations of the repository's own docs/architecture.md,
// `architecture §N`. The document keeps the handbook's section numbers and topics for 1–12 (see
// MAPPING), so each comment stays true; test/unit/architecture-doc.test.ts checks the result.
//
//   node scripts/rewrite-design-refs.mjs            rewrite in place, print what changed
//   node scripts/rewrite-design-refs.mjs --check    print what would change, write nothing
//   node scripts/rewrite-design-refs.mjs --root DIR run on another checkout (a scratch copy)
//
// Exits 1 without writing anything if a citation names a section the mapping does not know.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

/** Handbook section → docs/architecture.md section. */
const MAPPING = {
  1: '1', // shape → components and data flow
  2: '2', // runtime and packaging
  3: '3', // tenancy and access
  4: '4', // HTTP API (routes, edge, errors, rate limits, idempotency)
  5: '5', // commands and ownership (shards, FIFO order, leases, self-fencing, fencing token, stop)
  6: '6', // auth state
  7: '7', // session lifecycle (reconnect policy, QR and pairing code)
  8: '8', // events and webhooks (signing, retries, parking, breaker, dead letters, SSRF guard)
  9: '9', // data (tables, queues, bucket from shared/resources.ts)
  10: '10', // local and test infrastructure, the simulator
  11: '11', // observability
  12: '12', // lessons from other gateways → known failure modes and how wafleet avoids each
  13: '13', // second-round decisions; its send semantics and statuses → delivery guarantees
};
/** Citations of these handbook sections are rewritten but listed for a human look. */
const REVIEW = new Set(['13']);

const SKIPPED_DIRS = new Set(['node_modules', '.git', 'cdk.out', '.wafleet', 'coverage']);
const SCANNED = /(\.(ts|mts|mjs|js|md)|(^|\/)Dockerfile)$/;
/** `DESIGN §5`, `§5.6`, `§5–7`, `§5, §12`, `§7 and §12` (no literal of the old form in this file). */
const CITATION = /\bDESIGN\s+(§[\d.–-]*\d(?:(?:,\s*|\s+and\s+)§[\d.–-]*\d)*)/g;
const SECTION = /§(\d+)((?:\.\d+)?(?:[–-]\d+(?:\.\d+)?)?)/g;

const { values } = parseArgs({
  options: { check: { type: 'boolean', default: false }, root: { type: 'string' } },
});
const root = values.root ?? join(dirname(fileURLToPath(import.meta.url)), '..');

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return SKIPPED_DIRS.has(entry.name) ? [] : files(path);
    return SCANNED.test(path) ? [path] : [];
  });
}

const unknown = [];
const review = [];
const changes = [];
for (const file of files(root)) {
  const before = readFileSync(file, 'utf8');
  if (!CITATION.test(before)) continue;
  CITATION.lastIndex = 0;
  const where = relative(root, file);
  let count = 0;
  const after = before.replace(CITATION, (whole, list, offset) => {
    const line = before.slice(0, offset).split('\n').length;
    count++;
    // A range keeps its shape: every number in it is mapped (`§5–7` → `§5–7`).
    const mapped = list.replace(SECTION, (_section, major, rest) => {
      const end = rest.match(/[–-](\d+)/)?.[1];
      for (const n of end ? [major, end] : [major]) {
        if (MAPPING[n] === undefined) unknown.push(`${where}:${line}: ${whole}`);
        if (REVIEW.has(n)) review.push(`${where}:${line}: ${whole}`);
      }
      const tail = rest.replace(/([–-])(\d+)/, (_, dash, last) => `${dash}${MAPPING[last] ?? last}`);
      return `§${MAPPING[major] ?? major}${tail}`;
    });
    return `architecture ${mapped}`;
  });
  if (after !== before) changes.push({ file, where, after, count });
}

if (unknown.length) {
  console.error(
    `Not rewritten: these cite handbook sections MAPPING does not know:\n  ${unknown.join('\n  ')}`,
  );
  process.exit(1);
}
for (const { file, where, after, count } of changes) {
  if (!values.check) writeFileSync(file, after);
  console.log(`${values.check ? 'would rewrite' : 'rewrote'} ${count} in ${where}`);
}
const total = changes.reduce((sum, c) => sum + c.count, 0);
console.log(`${total} citations in ${changes.length} files${values.check ? ' (nothing written)' : ''}`);
if (review.length)
  console.log(`Check that these still fit docs/architecture.md §13:\n  ${review.join('\n  ')}`);
