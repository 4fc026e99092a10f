/**
 * docs/asvs.md quotes tests as its evidence (a file, then the test's name as written). A renamed or
 * removed test leaves a row pointing at nothing (security review L7: stale rows): every quoted name
 * must be a test in the file the row names.
 */
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const ROOT = new URL('../../', import.meta.url).pathname;

/** The names of the tests and groups a file declares, as written (templates keep their `${…}`). */
function testNames(path: string): Set<string> {
  const source = readFileSync(`${ROOT}${path}`, 'utf8');
  const names = new Set<string>();
  const call = /\b(?:it|test|describe)(?:\.each\([^)]*\))?\(\s*(?:'((?:\\.|[^'\\])*)'|`((?:\\.|[^`\\])*)`|"((?:\\.|[^"\\])*)")/g;
  for (const m of source.matchAll(call)) names.add((m[1] ?? m[2] ?? m[3] ?? '').replace(/\\'/g, '\''));
  return names;
}

describe('the ASVS mapping\'s evidence', () => {
  it('names, for every quoted test, a file that exists and a test in it with that name', () => {
    const rows = readFileSync(`${ROOT}docs/asvs.md`, 'utf8').split('\n').filter((l) => /^\| (V\d|[CHML]\d|earlier)/.test(l));
    const missing: string[] = [];
    let quoted = 0;
    for (const row of rows) {
      const evidence = row.replace(/^\|/, '').replace(/\|\s*$/, '').split(' | ').at(-1)!;
      // The evidence cell alternates: `path` then the names quoted from it.
      const parts = evidence.split(/`([^`]+\.test\.ts)`/);
      for (let i = 1; i < parts.length; i += 2) {
        const path = parts[i]!;
        if (!existsSync(`${ROOT}${path}`)) {
          missing.push(`${row.slice(0, 14)}: no file ${path}`);
          continue;
        }
        const names = testNames(path);
        // A quoted name ends before ";", "(", "," or the end of the cell (it may hold quoted words itself).
        for (const m of parts[i + 1]!.matchAll(/"((?:[^"]|"(?=[a-z ]))+?)"(?=;|$|\s*\(|\s*$|,)/g)) {
          quoted++;
          if (!names.has(m[1]!)) missing.push(`${row.slice(0, 14)}: ${path} has no test "${m[1]}"`);
        }
      }
    }
    expect(quoted).toBeGreaterThan(150);
    expect(missing).toEqual([]);
  });
});
