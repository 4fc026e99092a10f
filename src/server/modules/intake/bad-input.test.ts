import { readFileSync } from 'node:fs';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { makeOrg, TEST_ENGINE, useTestDb } from '../../../../test/helpers.js';
import { DFE_SAMPLES, importText, policeRecord, silentLog, toJsonl } from '../../../../test/intake-helpers.js';
import type { BatchReport } from './intake.report.js';

// Each kind of bad input gets a clear reason (line, field, why) and every valid record beside it is kept.
describe(`bad input on ${TEST_ENGINE}`, () => {
  const h = useTestDb();
  let org: { id: string };
  beforeAll(async () => {
    org = await makeOrg(h.db, 'police');
  });

  const reasons = (r: BatchReport) => r.rejections.map((x) => [x.row, x.errors.map((e) => `${e.field}: ${e.reason}`).join(' | ')]);
  const jsonl = (id: string, overrides: Record<string, unknown> = {}) => JSON.stringify(policeRecord(org.id, id, overrides));
  const named = (id: string, givenNames: string) => {
    const r = policeRecord(org.id, id);
    return JSON.stringify({ ...r, person: { ...(r.person as object), givenNames } });
  };

  it('malformed lines: the broken line is named, the rest are imported', async () => {
    const text = [jsonl('M-1'), '{"organisation": "oops",', '[1, 2]', jsonl('M-2')].join('\n') + '\n';
    const r = await importText(h.db, org.id, 'jsonl', 'malformed.jsonl', text);
    expect(r).toMatchObject({ received: 4, accepted: 2, rejected: 2, status: 'completed' });
    expect(reasons(r)).toEqual([[2, '(line): is not valid JSON (each line must be one complete JSON object)'], [3, '(line): must be a JSON object, one record per line']]);
  });

  it('Latin-1 sent as UTF-8: the mis-encoded row is refused with advice; named as latin1 it imports', async () => {
    const latin = Buffer.concat([Buffer.from(`${jsonl('E-1')}\n`), Buffer.from(`${named('E-2', 'Zoë')}\n`, 'latin1'), Buffer.from(`${jsonl('E-3')}\n`)]);
    const r = await importText(h.db, org.id, 'jsonl', 'latin1.jsonl', latin);
    expect(r).toMatchObject({ received: 3, accepted: 2, rejected: 1 });
    expect(reasons(r)[0]![1]).toMatch(/^\(encoding\): contains bytes that are not valid UTF-8 \(the file may be Latin-1/);
    const again = await importText(h.db, org.id, 'jsonl', 'latin1.jsonl', Buffer.from(`${named('E-4', 'Zoë')}\n`, 'latin1'), { encoding: 'latin1' });
    expect(again).toMatchObject({ accepted: 1, rejected: 0 });
    const name = await h.db.selectFrom('person_name').innerJoin('intake_record', 'intake_record.person_id', 'person_name.person_id')
      .select('person_name.given_names').where('intake_record.organisation_id', '=', org.id).where('intake_record.source_record_id', '=', 'E-4').executeTakeFirstOrThrow();
    expect(name.given_names).toBe('Zoë');
  });

  it('byte-order marks and UTF-16 (with or without a BOM) are read correctly', async () => {
    const text = `${named('B-1', 'Zoë')}\n`;
    const utf16le = Buffer.from(text, 'utf16le');
    const cases: [string, Buffer, RegExp][] = [
      ['utf8-bom', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]), /UTF-8 byte-order mark/],
      ['utf16-bom', Buffer.concat([Buffer.from([0xff, 0xfe]), utf16le]), /UTF-16 \(little-endian, with a byte-order mark\)/],
      ['utf16-no-bom', utf16le, /UTF-16 little-endian without a byte-order mark/],
    ];
    for (const [name, bytes, note] of cases) {
      const r = await importText(h.db, org.id, 'jsonl', `${name}.jsonl`, bytes);
      expect(r.accepted, name).toBe(1);
      expect(r.notes.join(' '), name).toMatch(note);
    }
  });

  it('unknown codes: event type, agency code and factor are refused by field; an unknown ethnicity is left out with a warning', async () => {
    const person = policeRecord(org.id, 'x').person as Record<string, unknown>;
    const text = toJsonl([
      policeRecord(org.id, 'U-1', { event: { code: 'knife_thing', occurredAt: '2026-01-02', summary: 'x' } }),
      policeRecord(org.id, 'U-2', { event: { agencyCode: 'NICHE-77', occurredAt: '2026-01-02', summary: 'x' } }),
      policeRecord(org.id, 'U-3', { event: { code: 'arrest', occurredAt: '2026-01-02', summary: 'x', factorCodes: ['gangz'] } }),
      policeRecord(org.id, 'U-4', { person: { ...person, ethnicity: 'XXXX' } }),
      policeRecord(org.id, 'U-5'),
    ]);
    const r = await importText(h.db, org.id, 'jsonl', 'codes.jsonl', text);
    expect(r).toMatchObject({ received: 5, accepted: 2, rejected: 3 });
    expect(reasons(r)).toEqual([
      [1, 'event.code: "knife_thing" is not an event type in the vocabulary'],
      [2, 'event.agencyCode: "NICHE-77" is not in your organisation\'s code table: map it to a vocabulary code on the code mappings page, then import the file again'],
      [3, 'event.factorCodes: not in the vocabulary: gangz'],
    ]);
    const kept = await h.db.selectFrom('intake_row').innerJoin('person', 'person.id', 'intake_row.person_id').select(['intake_row.warnings', 'person.ethnicity'])
      .where('intake_row.batch_id', '=', r.batchId).where('intake_row.row_number', '=', 4).executeTakeFirstOrThrow();
    expect(kept.warnings).toEqual([{ field: 'person.ethnicity', reason: 'is not a DfE ethnicity code (such as WBRI, MWBC, BAFR), so it was left out' }]);
    expect(kept.ethnicity).toBeNull();
  });

  it('impossible dates: an event dated 30 February, in the future or before 1900 is refused; such a date of birth is left out with a warning', async () => {
    const person = policeRecord(org.id, 'x').person as Record<string, unknown>;
    const text = toJsonl([
      policeRecord(org.id, 'D-1', { person: { ...person, recordId: 'NOM-D-1', dateOfBirth: '2011-02-30' } }),
      policeRecord(org.id, 'D-2', { event: { code: 'arrest', occurredAt: '2099-01-01T10:00:00Z', summary: 'x' } }),
      policeRecord(org.id, 'D-3', { event: { code: 'arrest', occurredAt: '1850-05-05', summary: 'x' } }),
      policeRecord(org.id, 'D-4', { event: { code: 'arrest', occurredAt: '5 May 2025', summary: 'x' } }),
    ]);
    const r = await importText(h.db, org.id, 'jsonl', 'dates.jsonl', text);
    expect(reasons(r)).toEqual([
      [2, 'event.occurredAt: is in the future'], [3, 'event.occurredAt: is before 1900'],
      [4, 'event.occurredAt: must be a date (2026-03-01) or a date and time with a time zone (2026-03-01T14:30:00Z)'],
    ]);
    // The record with an impossible date of birth is kept, its person without a date of birth, and the field named.
    const kept = await h.db.selectFrom('intake_row').innerJoin('person', 'person.id', 'intake_row.person_id').select(['intake_row.outcome', 'intake_row.warnings', 'person.date_of_birth'])
      .where('intake_row.batch_id', '=', r.batchId).where('intake_row.row_number', '=', 1).executeTakeFirstOrThrow();
    expect(kept).toEqual({ outcome: 'new', warnings: [{ field: 'person.dateOfBirth', reason: 'is not a real date, so it was left out' }], date_of_birth: null });
  });

  it('DfE dates of birth: a CIN census or SSDA903 child born in a month or year is held so; an impossible one is left out with a warning and the child kept', async () => {
    const la = await makeOrg(h.db, 'childrens_social_care');
    const held = async (batchId: string) => (await h.db.selectFrom('intake_row').innerJoin('person', 'person.id', 'intake_row.person_id')
      .select(['intake_row.row_number', 'intake_row.outcome', 'intake_row.warnings', sql<string | null>`to_char(person.date_of_birth, 'YYYY-MM-DD')`.as('dob'), 'person.dob_accuracy'])
      .where('intake_row.batch_id', '=', batchId).where('intake_row.table_name', 'in', ['child', 'header']).orderBy('intake_row.row_number').execute())
      .map((r) => [r.row_number, r.outcome, r.dob, r.dob_accuracy, r.warnings ?? []]);

    const child = (id: string, birth: string) => `<Child><ChildIdentifiers><LAchildID>${id}</LAchildID>${birth}<GenderCurrent>2</GenderCurrent></ChildIdentifiers>`
      + `<ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics><CINdetails><CINreferralDate>2025-09-01</CINreferralDate></CINdetails></Child>\n`;
    const suffix = Math.random().toString(36).slice(2, 8);
    const xml = `<?xml version="1.0"?>\n<Message>\n<Header><Source><LEA>999</LEA></Source></Header>\n<Children>\n${[
      child(`DOBM-${suffix}`, '<PersonBirthDate>2013-06</PersonBirthDate>'),
      child(`DOBY-${suffix}`, '<PersonBirthDate>2013</PersonBirthDate>'),
      child(`DOBX-${suffix}`, '<PersonBirthDate>2013-02-29</PersonBirthDate>'),
    ].join('')}</Children>\n</Message>\n`;
    const cin = await importText(h.db, la.id, 'cin-xml', 'cin.xml', xml);
    expect(cin).toMatchObject({ received: 6, accepted: 6, rejected: 0, warnings: 1 });
    expect(await held(cin.batchId)).toEqual([
      [5, 'new', '2013-06-01', 'month', []],
      [6, 'new', '2013-01-01', 'year', []],
      [7, 'new', null, 'unknown', [{ field: 'PersonBirthDate', reason: 'is not a real date, so it was left out' }]],
    ]);

    const header = `CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n7${suffix},1,06/2014,WBRI,UN1,,\n8${suffix},2,29/02/2014,WBRI,UN1,,\n`;
    const ssda = await importText(h.db, la.id, 'ssda903', 'header.csv', header);
    expect(ssda).toMatchObject({ received: 2, accepted: 2, rejected: 0, warnings: 1 });
    expect(await held(ssda.batchId)).toEqual([
      [2, 'new', '2014-06-01', 'month', []],
      [3, 'new', null, 'unknown', [{ field: 'DOB', reason: 'is not a real date, so it was left out' }]],
    ]);
  });

  it('invalid NHS numbers and UPNs are not used, with a warning, and the record is kept', async () => {
    const person = policeRecord(org.id, 'x').person as Record<string, unknown>;
    const ids = [{ scheme: 'nhs_number', value: '999 600 2064' }, { scheme: 'upn', value: 'A123456789123' }, { scheme: 'nhs_number', value: '9996002063' }];
    const r = await importText(h.db, org.id, 'jsonl', 'ids.jsonl', toJsonl([policeRecord(org.id, 'I-1', { person: { ...person, identifiers: ids } })]));
    expect(r).toMatchObject({ accepted: 1, rejected: 0, warnings: 2 });
    const row = await h.db.selectFrom('intake_row').select(['warnings', 'person_id']).where('batch_id', '=', r.batchId).executeTakeFirstOrThrow();
    expect(row.warnings).toEqual([
      { field: 'person.identifiers.0.value', reason: 'is not a valid NHS number (10 digits with a correct check digit), so it was not used' },
      { field: 'person.identifiers.1.value', reason: 'is not a valid UPN (13 characters with a correct check letter), so it was not used' },
    ]);
    const stored = await h.db.selectFrom('person_identifier').select(['scheme', 'value']).where('person_id', '=', row.person_id!).execute();
    expect(stored.map((s) => s.value)).toContain('9996002063');
    expect(stored.map((s) => s.value)).not.toContain('A123456789123');
  });

  it('duplicate rows: the repeat is refused, naming the line it repeats', async () => {
    const line = jsonl('DUP-1');
    const r = await importText(h.db, org.id, 'jsonl', 'dups.jsonl', [line, jsonl('DUP-2'), line].join('\n'));
    expect(r).toMatchObject({ received: 3, accepted: 2, rejected: 1 });
    expect(reasons(r)).toEqual([[3, 'recordId: duplicates line 1 (same record id and content), so it was not imported twice']]);
  });

  it('a file far too large stops at the configured limit, keeping the records read before it', async () => {
    const lines = Array.from({ length: 400 }, (_, i) => jsonl(`BIG-${i}`));
    const bytes = Buffer.from(lines.join('\n') + '\n');
    const r = await importText(h.db, org.id, 'jsonl', 'big.jsonl', bytes, { maxBytes: 20_000, chunkSize: 50 });
    expect(r.status).toBe('failed');
    expect(r.fileErrors[0]).toMatchObject({ code: 'file_too_large' });
    expect(r.fileErrors[0]!.message).toMatch(/larger than the limit of 19\.5 KB/);
    expect(r.reconciled).toBe(true);
    expect(r.accepted).toBeGreaterThan(0);
    expect(r.accepted).toBeLessThan(400);
  });

  it('a half-written upload: a cut-off last line, a cut-off CSV row and a cut-off XML child', async () => {
    const full = jsonl('H-2');
    const r = await importText(h.db, org.id, 'jsonl', 'half.jsonl', `${jsonl('H-1')}\n${full.slice(0, 60)}`);
    expect(r).toMatchObject({ accepted: 1, rejected: 1 });
    expect(reasons(r)).toEqual([[2, '(line): is incomplete: the file ends part-way through this line, so it may have been cut off during upload']]);

    const csv = 'CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n9001,1,01/02/2012,WBRI,,,\n9002,2,"03/04/20';
    const c = await importText(h.db, org.id, 'ssda903', 'header.csv', csv);
    expect(c).toMatchObject({ accepted: 1, rejected: 1 });
    expect(reasons(c)[0]![1]).toMatch(/the file ends inside a quoted value/);

    const xml = readFileSync(`${DFE_SAMPLES}fake_CIN_data.xml`, 'utf8');
    const cut = xml.slice(0, xml.indexOf('<Child>', xml.indexOf('<Child>', xml.indexOf('<Child>') + 1) + 1) + 200);
    const x = await importText(h.db, org.id, 'cin-xml', 'cut.xml', cut);
    expect(x.status).toBe('failed');
    expect(x.fileErrors[0]!.code).toBe('truncated_file');
    expect(x.fileErrors[0]!.message).toMatch(/may have been cut off.*Every complete child before that point was read/);
    const children = x.tables.find((t) => t.table === 'child')!;
    expect(children).toMatchObject({ received: 3, accepted: 2, rejected: 1 });
    expect(x.reconciled).toBe(true);
  });

  it('an upload that stops part-way keeps the records received before it', async () => {
    const { importBatch } = await import('./commands/import-batch.js');
    async function* dropped(): AsyncGenerator<Uint8Array> {
      yield Buffer.from(`${jsonl('DROP-1')}\n${jsonl('DROP-2')}\n`);
      throw new Error('aborted');
    }
    const r = await importBatch(h.db, { organisationId: org.id, format: 'jsonl', via: 'api', actor: null, route: 'test', maxBytes: 1e6, sources: [{ name: 'stream', bytes: dropped() }], log: silentLog });
    expect(r).toMatchObject({ status: 'failed', accepted: 2, rejected: 0 });
    expect(r.fileErrors).toEqual([{ code: 'upload_interrupted', message: 'The upload stopped before the end of the file: send the file again (records already imported will not be imported twice)' }]);
  });

  it('malformed XML and binary files are refused with what to do instead', async () => {
    const bad = '<Message><Children><Child><ChildIdentifiers><LAchildID>Z1</LAchildID></ChildIdentifier></Child></Children></Message>';
    const x = await importText(h.db, org.id, 'cin-xml', 'bad.xml', bad);
    expect(x.fileErrors[0]).toMatchObject({ code: 'malformed_xml' });
    expect(x.fileErrors[0]!.message).toMatch(/<\/ChildIdentifier> at line 1 does not match <ChildIdentifiers>/);
    const xlsx = await importText(h.db, org.id, 'csv', 'Annex_A.xlsx', readFileSync(`${DFE_SAMPLES}Annex_A.xlsx`), { mappingText: readFileSync(new URL('../../../../test/fixtures/intake/school-mapping.json', import.meta.url), 'utf8') });
    expect(xlsx).toMatchObject({ status: 'failed', received: 0 });
    expect(xlsx.fileErrors[0]!.message).toMatch(/ZIP archive \(an Excel workbook is one\): save the sheet as CSV/);
    const empty = await importText(h.db, org.id, 'jsonl', 'empty.jsonl', '');
    expect(empty.fileErrors[0]).toEqual({ code: 'empty_file', message: 'The file is empty' });
  });
});
