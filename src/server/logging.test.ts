import { Writable } from 'node:stream';
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
});
