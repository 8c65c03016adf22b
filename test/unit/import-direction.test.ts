import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sourceFiles(path) : path.endsWith('.ts') ? [path] : [];
  });
}

describe('import direction', () => {
  it('keeps shared/ free of imports from functions/, socket-host/, infra/, local/ and test/', () => {
    const offenders = sourceFiles(join(root, 'shared')).flatMap((file) => {
      const text = readFileSync(file, 'utf8');
      const imports = [...text.matchAll(/from\s+['"]([^'"]+)['"]/g)].map((m) => m[1] ?? '');
      return imports
        .filter((spec) => /(^|\/)(functions|socket-host|infra|local|test)\//.test(spec))
        .map((spec) => `${relative(root, file)} → ${spec}`);
    });
    expect(offenders).toEqual([]);
  });
});
