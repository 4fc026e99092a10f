import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

// A migration must produce the same schema and rows for ever, so it may depend on nothing the
// application can change: no application modules (not even the live Database type), and no data
// files outside this folder. Packages (kysely, node:*) are allowed.

const folder = dirname(fileURLToPath(import.meta.url));
const migrationFiles = readdirSync(folder).filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'));

/** Every module specifier a file imports or re-exports, statically or dynamically. */
function specifiers(source: string): string[] {
  const info = ts.preProcessFile(source, true, true);
  return info.importedFiles.map((f) => f.fileName);
}

/** Files a module opens relative to itself (new URL('…', import.meta.url)); interpolations count as one path segment. */
function fileUrls(source: string): string[] {
  const found: string[] = [];
  const re = /new URL\(\s*([`'"])(.+?)\1\s*,\s*import\.meta\.url\s*\)/g;
  for (let m = re.exec(source); m; m = re.exec(source)) found.push(m[2]!.replace(/\$\{[^}]*\}/g, 'x'));
  return found;
}

function outside(spec: string): boolean {
  const target = resolve(folder, spec);
  const rel = relative(folder, target);
  return rel.startsWith('..') || isAbsolute(rel);
}

/** Why a specifier is not allowed in a migration, or null. */
function refused(spec: string): string | null {
  if (spec.startsWith('.') || spec.startsWith('/')) return outside(spec) ? 'imports from outside the migrations folder' : null;
  if (spec.startsWith('#') || spec.startsWith('src/')) return 'imports application code through an alias';
  return null;
}

describe('frozen migrations', () => {
  it('finds the migrations to check', () => {
    expect(migrationFiles).toContain('index.ts');
    expect(migrationFiles.length).toBeGreaterThan(10);
  });

  it('import nothing from outside the migrations folder', () => {
    const problems: string[] = [];
    for (const file of migrationFiles) {
      const source = readFileSync(resolve(folder, file), 'utf8');
      for (const spec of specifiers(source)) {
        const why = refused(spec);
        if (why) problems.push(`${file} ${why}: '${spec}'`);
      }
      for (const url of fileUrls(source)) {
        if (outside(url)) problems.push(`${file} reads a file outside the migrations folder: '${url}'`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('take the database untyped (Kysely<any>), not the application schema of today', () => {
    const problems: string[] = [];
    for (const file of migrationFiles.filter((f) => /^\d{14}_/.test(f))) {
      const source = readFileSync(resolve(folder, file), 'utf8');
      for (const m of source.matchAll(/export async function (up|down)\((\w+): ([^)]+)\)/g)) {
        if (m[3] !== 'Kysely<any>') problems.push(`${file} ${m[1]} takes ${m[3]}`);
      }
      if (!/export async function up\(/.test(source)) problems.push(`${file} has no up()`);
    }
    expect(problems).toEqual([]);
  });

  it('are each listed once in index.ts under their own name, so every one runs', () => {
    const files = migrationFiles.filter((f) => /^\d{14}_/.test(f)).map((f) => f.replace(/\.ts$/, '')).sort();
    const index = readFileSync(resolve(folder, 'index.ts'), 'utf8');
    const listed = [...index.matchAll(/^\s*'(\d{14}_\w+)': (\w+),$/gm)].map((m) => m[1]!);
    expect([...listed].sort()).toEqual(files);
    for (const name of files) expect(specifiers(index)).toContain(`./${name}.js`);
  });

  it('the checker refuses application imports, and allows packages and files in this folder', () => {
    const source = [
      "import { sql, type Kysely } from 'kysely';",
      "import { createHash } from 'node:crypto';",
      "import type { Database } from '../database.js';",
      "export { loadVocabulary } from '../../domain/vocabulary.js';",
      "import * as other from './20261123100000_create_core.js';",
      "const later = await import('../../server/config.js');",
      "const data = new URL('./vocabulary/vocabulary.v1.json', import.meta.url);",
      'const escaped = new URL(`../../domain/vocabulary/vocabulary.v${VERSION}.json`, import.meta.url);',
    ].join('\n');
    expect(specifiers(source).map((s) => [s, refused(s)])).toEqual([
      ['kysely', null],
      ['node:crypto', null],
      ['../database.js', 'imports from outside the migrations folder'],
      ['../../domain/vocabulary.js', 'imports from outside the migrations folder'],
      ['./20261123100000_create_core.js', null],
      ['../../server/config.js', 'imports from outside the migrations folder'],
    ]);
    expect(fileUrls(source).map((u) => [u, outside(u)])).toEqual([
      ['./vocabulary/vocabulary.v1.json', false],
      ['../../domain/vocabulary/vocabulary.vx.json', true],
    ]);
  });

  it('keep their data files exactly as shipped (a changed vocabulary is a new file and a new migration)', () => {
    const digest = (name: string) => createHash('sha256').update(readFileSync(resolve(folder, 'vocabulary', name))).digest('hex');
    // The checksums recorded in vocabulary_version for versions 1 and 2 since they were first loaded.
    expect(digest('vocabulary.v1.json')).toBe('6938572ce8517c0fc4a4744fb5614836da639b9a3503f20d810744ff37db5fc5');
    expect(digest('vocabulary.v2.json')).toBe('6c835ed134f404cbf7baebc9d31debe5d93d2f6aa8a71af72ac61b6ff6e18681');
  });
});
