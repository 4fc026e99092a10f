import { describe, expect, it } from 'vitest';
import { chunks, collect } from '../../test/streams.js';
import { IntakeFileError } from './types.js';
import { parseCsvMapping, parseMappedCsv } from './csv-mapping.js';

const ORG = '6f1c2a4e-0000-4000-8000-000000000001';

function mapping(extra: Record<string, unknown>) {
  return parseCsvMapping(JSON.stringify({
    format: 'jigsaw-csv-mapping/1', constants: { sourceSystem: 'HousingMIS', 'event.code': 'temporary_accommodation', 'event.summary': 'Placed in temporary accommodation' },
    columns: { recordId: 'Ref', 'person.recordId': 'Tenant', 'person.dateOfBirth': 'DOB', 'event.occurredAt': 'Placed' }, ...extra,
  }));
}

describe('CSV column mappings', () => {
  it('reads dates written YYYYMMDD, DD/MM/YYYY or ISO, with a format of their own for one field', async () => {
    const compact = mapping({ dateFormat: 'YYYYMMDD' });
    const [a] = await collect(parseMappedCsv(chunks('Ref,Tenant,DOB,Placed\nH-1,T-1,20110214,20260203\n', 64), compact, { organisationId: ORG }));
    expect(a!.errors).toEqual([]);
    expect(a!.record).toMatchObject({ person: { dateOfBirth: '2011-02-14' }, event: { occurredAt: '2026-02-03T00:00:00.000Z', precision: 'date' } });

    const mixed = mapping({ dateFormat: 'DD/MM/YYYY', dateFormats: { 'event.occurredAt': 'YYYY-MM-DD' } });
    const [b] = await collect(parseMappedCsv(chunks('Ref,Tenant,DOB,Placed\nH-2,T-2,14/02/2011,2026-02-03\n', 64), mixed, { organisationId: ORG }));
    expect(b!.errors).toEqual([]);
    expect(b!.record).toMatchObject({ person: { dateOfBirth: '2011-02-14' }, event: { occurredAt: '2026-02-03T00:00:00.000Z' } });
  });

  it('an unreadable date of birth is left out with a warning naming the column; an unreadable event date refuses the row', async () => {
    const m = mapping({ dateFormat: 'YYYYMMDD' });
    const items = await collect(parseMappedCsv(chunks('Ref,Tenant,DOB,Placed\nH-3,T-3,20110230,20260203\nH-4,T-4,20110214,2026-02-03\n', 64), m, { organisationId: ORG }));
    expect(items[0]!.errors).toEqual([]);
    expect(items[0]!.record?.person.dateOfBirth).toBeNull();
    expect(items[0]!.warnings).toEqual([{ field: 'person.dateOfBirth (column DOB)', reason: 'is not a real date, so it was left out' }]);
    expect(items[1]!.record).toBeNull();
    expect(items[1]!.errors).toEqual([{ field: 'event.occurredAt (column Placed)', reason: 'must be a date written YYYYMMDD' }]);
  });

  it('joins several columns into one field (address lines), skipping empty ones', async () => {
    const m = mapping({ columns: { recordId: 'Ref', 'person.recordId': 'Tenant', 'event.occurredAt': 'Placed', 'person.address.line': ['Address 1', 'Address 2', 'Town'], 'person.address.postcode': 'Postcode' } });
    const csv = 'Ref,Tenant,Placed,Address 1,Address 2,Town,Postcode\nH-5,T-5,2026-02-03,Flat 4,12 Test Street,Testborough,ZZ1 1ZZ\nH-6,T-6,2026-02-03,3 Sample Road,,Testborough,ZZ1 1ZZ\n';
    const items = await collect(parseMappedCsv(chunks(csv, 64), m, { organisationId: ORG }));
    expect(items.map((i) => i.record?.person.addressLine)).toEqual(['Flat 4, 12 Test Street, Testborough', '3 Sample Road, Testborough']);
  });

  it('names every joined column the file lacks', async () => {
    const m = mapping({ columns: { recordId: 'Ref', 'person.recordId': 'Tenant', 'event.occurredAt': 'Placed', 'person.address.line': ['Address 1', 'Address 9'] } });
    await expect(collect(parseMappedCsv(chunks('Ref,Tenant,Placed,Address 1\nH-7,T-7,2026-02-03,x\n', 64), m, { organisationId: ORG })))
      .rejects.toThrow(new IntakeFileError('missing_columns', 'The file has no column named "Address 9", which the mapping uses'));
  });
});
