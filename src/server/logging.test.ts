import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logging.js';

describe('logging', () => {
  it('never writes a search query string, and redacts personal fields', () => {
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    // The logger the command line and background work are given, configured as the server's.
    const log = createLogger('info', sink);
    log.info({ req: { method: 'GET', url: '/people?name=Aurelio+Quint&dob-year=2011', id: 'r1' } }, 'request');
    log.info({ person: { givenNames: 'Aurelio', familyName: 'Quint', dateOfBirth: '2011-01-01', summary: 'x' } }, 'oops');
    const text = lines.join('');
    expect(text).toContain('"path":"/people"');
    expect(text).not.toContain('Aurelio');
    expect(text).not.toContain('Quint');
    expect(text).not.toContain('2011');
  });

  it('is made in logging.ts only: every other module logs through the logger its caller gives it', () => {
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const makers = readdirSync(join(root, 'src'), { withFileTypes: true, recursive: true })
      .filter((e) => e.isFile() && e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
      .map((e) => relative(root, join(e.parentPath, e.name)))
      .filter((f) => /from 'pino'/.test(readFileSync(join(root, f), 'utf8')));
    expect(makers).toEqual(['src/server/logging.ts']);
  });
});

describe('log lines on a terminal', () => {
  it('reads as time, level, message and request, after redaction; JSON when not a terminal', async () => {
    const { prettyLine, terminalDestination } = await import('./logging.js');
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    const log = createLogger('info', sink);
    log.info({ req: { method: 'GET', url: '/people?name=Aurelio', id: 'r1' }, res: { statusCode: 200 }, responseTime: 12.4, person: { givenNames: 'Aurelio' } }, 'request completed');
    const pretty = prettyLine(lines[0]!.trim());
    expect(pretty).toMatch(/^\d\d:\d\d:\d\d INFO {2}request completed GET \/people → 200 12 ms /);
    expect(pretty).toContain('person={"givenNames":"[redacted]"}');
    expect(pretty).not.toContain('Aurelio');
    expect(prettyLine('not json')).toBe('not json');
    expect(terminalDestination({ isTTY: false } as NodeJS.WriteStream)).toBeUndefined();
    expect(terminalDestination({ isTTY: true, write: () => true } as unknown as NodeJS.WriteStream)).toBeDefined();
  });
});
