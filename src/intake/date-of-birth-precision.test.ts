import { describe, expect, it } from 'vitest';
import { chunks, collect } from '../../test/streams.js';
import { parseCsvMapping, parseMappedCsv } from './csv-mapping.js';
import { parseDateOfBirth, partialUkDateOfBirth } from './dates.js';
import { checkInterchangeRecord } from './interchange.js';

const ORG = '6f1c2a4e-0000-4000-8000-000000000001';

describe('dates of birth known to their month or year only', () => {
  it('are read as such, and an impossible or future month or year is refused', () => {
    expect(parseDateOfBirth('2011-05-14', '2026-11-26')).toEqual({ ok: true, date: '2011-05-14', precision: 'day' });
    expect(parseDateOfBirth('2011-05', '2026-11-26')).toEqual({ ok: true, date: '2011-05-01', precision: 'month' });
    expect(parseDateOfBirth('2011', '2026-11-26')).toEqual({ ok: true, date: '2011-01-01', precision: 'year' });
    expect(parseDateOfBirth('2011-13', '2026-11-26')).toEqual({ ok: false, reason: 'is not a real month' });
    expect(parseDateOfBirth('2027', '2026-11-26')).toEqual({ ok: false, reason: 'is in the future' });
    expect(parseDateOfBirth('May 2011', '2026-11-26').ok).toBe(false);
    expect(partialUkDateOfBirth('05/2011')).toBe('2011-05');
    expect(partialUkDateOfBirth('5/2011')).toBe('2011-05');
    expect(partialUkDateOfBirth('2011')).toBe('2011');
    expect(partialUkDateOfBirth('14/05/2011')).toBeNull();
  });

  it('an interchange record keeps the precision; a full date carries none (its content is as before)', () => {
    const record = (dateOfBirth: string) => checkInterchangeRecord({
      organisation: ORG, sourceSystem: 'NicheRMS', recordId: 'R-1', person: { recordId: 'P-1', familyName: 'Okafor', dateOfBirth },
      event: { code: 'outreach_contact', occurredAt: '2026-01-02', summary: 'Seen' },
    });
    expect(record('2011-05').record?.person).toMatchObject({ dateOfBirth: '2011-05-01', dateOfBirthPrecision: 'month' });
    expect(record('2011').record?.person).toMatchObject({ dateOfBirth: '2011-01-01', dateOfBirthPrecision: 'year' });
    const full = record('2011-05-14');
    expect(full.record?.person.dateOfBirth).toBe('2011-05-14');
    expect(full.record?.person).not.toHaveProperty('dateOfBirthPrecision');
    const bad = record('2011-00');
    expect(bad.record?.person.dateOfBirth).toBeNull();
    expect(bad.warnings).toEqual([{ field: 'person.dateOfBirth', reason: 'is not a real month, so it was left out' }]);
  });

  it('a CSV mapping in day/month/year reads 05/2011 and 2011 at their precision', async () => {
    const m = parseCsvMapping(JSON.stringify({
      format: 'jigsaw-csv-mapping/1', dateFormat: 'DD/MM/YYYY',
      constants: { sourceSystem: 'HousingMIS', 'event.code': 'temporary_accommodation', 'event.summary': 'Placed in temporary accommodation' },
      columns: { recordId: 'Ref', 'person.recordId': 'Tenant', 'person.dateOfBirth': 'DOB', 'event.occurredAt': 'Placed' },
    }));
    const items = await collect(parseMappedCsv(chunks('Ref,Tenant,DOB,Placed\nH-1,T-1,05/2011,03/02/2026\nH-2,T-2,2011,03/02/2026\nH-3,T-3,14/05/2011,03/02/2026\n', 64), m, { organisationId: ORG }));
    expect(items.map((i) => i.errors)).toEqual([[], [], []]);
    expect(items.map((i) => [i.record?.person.dateOfBirth, i.record?.person.dateOfBirthPrecision])).toEqual([
      ['2011-05-01', 'month'], ['2011-01-01', 'year'], ['2011-05-14', undefined],
    ]);
  });
});
