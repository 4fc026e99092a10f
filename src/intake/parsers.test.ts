import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCinXml } from './cin.js';
import { readCsv } from './csv.js';
import { parseCsvMapping, parseMappedCsv } from './csv-mapping.js';
import { decodeText } from './decode.js';
import { checkInterchangeRecord, interchangeJsonSchema } from './interchange.js';
import { missingDetailsFromNarrative } from './missing-details.js';
import { detectFormat } from './read.js';
import { newSsda903Context, parseSsda903Table } from './ssda903.js';
import { readXml } from './xml.js';
import { join } from 'node:path';
import { sharedDataDir } from '../../test/shared-data.js';
import { chunks, collect } from '../../test/streams.js';


describe('CSV reader', () => {
  it('reads quoted commas, doubled quotes, line breaks inside quotes and CRLF, whatever the chunk size', async () => {
    const text = 'a,b,c\r\n1,"x, y","say ""hi"""\r\n2,"two\nlines",\r\n\r\n3,,z';
    for (const size of [1, 3, 7, 1000]) {
      const recs = await collect(readCsv(chunks(text, size)));
      expect(recs.map((r) => [r.line, r.fields]), `chunk ${size}`).toEqual([
        [1, ['a', 'b', 'c']], [2, ['1', 'x, y', 'say "hi"']], [3, ['2', 'two\nlines', '']], [6, ['3', '', 'z']],
      ]);
    }
  });

  it('marks a record cut off inside a quoted field', async () => {
    const recs = await collect(readCsv(chunks('a,b\n1,"unfinished', 4)));
    expect(recs[1]).toEqual({ line: 2, fields: ['1', 'unfinished'], unterminatedQuote: true });
  });
});

describe('XML reader', () => {
  it('reads elements, attributes, entities, CDATA and self-closing tags, across chunk boundaries', async () => {
    const xml = '<?xml version="1.0"?>\n<!-- census -->\n<A x="1 &amp; 2"><B>fish &amp; chips &#233;</B><C/><D><![CDATA[<raw>]]></D></A>';
    for (const size of [1, 5, 1000]) {
      const tokens = await collect(readXml(chunks(xml, size)));
      const texts = tokens.filter((t) => t.kind === 'text').map((t) => (t as { text: string }).text).join('|');
      expect(texts, `chunk ${size}`).toBe('fish & chips é|<raw>');
      expect(tokens[0]).toMatchObject({ kind: 'open', name: 'A', attributes: { x: '1 & 2' }, line: 3 });
      expect(tokens.filter((t) => t.kind === 'open').map((t) => (t as { name: string }).name)).toEqual(['A', 'B', 'C', 'D']);
    }
  });

  it('names the line of a mismatched tag, and says when the file ends early', async () => {
    await expect(collect(readXml(chunks('<A>\n<B></C></A>', 4)))).rejects.toThrow('</C> at line 2 does not match <B> opened at line 2');
    await expect(collect(readXml(chunks('<A><B>text', 4)))).rejects.toThrow('The file ends inside <B> (opened at line 1): it may have been cut off');
    await expect(collect(readXml(chunks('<A>&nbsp;</A>', 4)))).rejects.toThrow('Unknown entity "&nbsp;" at line 1');
  });
});

describe('CIN census', () => {
  it('maps assessment factors 1A–24A to vocabulary factors and keeps every code in the narrative', async () => {
    const xml = readFileSync(join(sharedDataDir(), 'dfe-samples/cin-2022.xml'), 'utf8');
    const items = await collect(parseCinXml(chunks(xml, 256)));
    const completed = items.find((i) => i.table === 'assessment_completed')!;
    // 2A: drug misuse by the child; 2B: by the parents.
    expect(completed.record!.event!.factorCodes.sort()).toEqual(['parental_substance_misuse', 'substance_misuse']);
    expect(completed.record!.event!.narrative).toContain('Factors identified at assessment (DfE codes): 2A, 2B');
    expect(completed.record!.sourceSystem).toBe('CIN census (LA 201)');
    expect(completed.recordId).toBe('DfEX0000001/cin/1970-10-06/assessment/1970-06-03/completed');
  });
});

describe('SSDA903 reviews', () => {
  it('become looked-after review entries at the review date, keeping the participation code', async () => {
    const ctx = newSsda903Context();
    await collect(parseSsda903Table(chunks('CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n900001,1,14/03/2010,WBRI,UN1,,\n', 16), ctx));
    const rows = ['900001,14/03/2010,08/10/2018,PN4', '900001,14/03/2010,09/04/2019,XX9', '900001,14/03/2010,31/02/2019,PN1', '900001,14/03/2010,08/10/2018,PN4', '900001,14/03/2010,08/10/2018,PN6'];
    const items = await collect(parseSsda903Table(chunks(`CHILD,DOB,REVIEW,REVIEW_CODE\n${rows.join('\n')}\n`, 16), ctx));
    expect(items.map((i) => [i.table, i.row, i.recordId])).toEqual([
      ['reviews', 2, '900001/review/08/10/2018'], ['reviews', 3, '900001/review/09/04/2019'], ['reviews', 4, '900001/review/31/02/2019'],
      ['reviews', 5, '900001/review/08/10/2018'], ['reviews', 6, '900001/review/08/10/2018'],
    ]);
    const [pn4, odd, badDate, repeated, conflicting] = items;
    expect(pn4!.record!.event).toMatchObject({ code: 'looked_after_review', agencyCode: null, occurredAt: '2018-10-08T00:00:00.000Z', precision: 'date', summary: 'Looked-after child review' });
    expect(pn4!.record!.event!.narrative).toBe('Participation code (SSDA903 REVIEW_CODE): PN4');
    expect(pn4!.warnings).toEqual([]);
    // The child was described by this batch's header table, so the review stands on its own.
    expect(pn4!.record!.requiresKnownPerson).toBeUndefined();
    expect(odd!.record!.event!.narrative).toBe('Participation code (SSDA903 REVIEW_CODE): XX9');
    expect(odd!.warnings).toEqual([{ field: 'REVIEW_CODE', reason: 'is not an SSDA903 participation code (PN0 to PN7); it is kept in the narrative as given' }]);
    expect(badDate!.record).toBeNull();
    expect(badDate!.errors.map((e) => e.field)).toEqual(['REVIEW']);
    // An exact repeat is left to the pipeline's duplicate check; a repeat with another participation code is refused here.
    expect(repeated!.record).toEqual(pn4!.record);
    expect(conflicting!.record).toBeNull();
    expect(conflicting!.errors).toEqual([{ field: 'REVIEW_CODE', reason: 'has the same child and review date as line 2 but a different participation code, so it was not imported: correct the return and import it again' }]);
  });
});

describe('decoding and format detection', () => {
  it('honours an XML declaration of ISO-8859-1', async () => {
    const bytes = Buffer.from('<?xml version="1.0" encoding="ISO-8859-1"?><A>Zoë</A>', 'latin1');
    const decoded = await decodeText((async function* () { yield bytes; })(), { encoding: 'utf-8' });
    expect((await collect(decoded.text)).join('')).toContain('Zoë');
    expect(decoded.notes).toEqual(['The file declares the latin1 encoding; it was read as such.']);
  });

  it('guesses the format from the name or the first bytes', () => {
    expect(detectFormat('x.ndjson', '', false)).toBe('jsonl');
    expect(detectFormat('census.txt', '\uFEFF<?xml version="1.0"?>', false)).toBe('cin-xml');
    expect(detectFormat('header.csv', 'CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n', false)).toBe('ssda903');
    expect(detectFormat('export.csv', 'Name,DOB\n', true)).toBe('csv');
    expect(detectFormat('export.csv', 'Name,DOB\n', false)).toBeNull();
  });
});

describe('the published JSON Schema', () => {
  it('is the one generated from the validator (regenerate docs/formats/interchange-v1.schema.json when this fails)', () => {
    const published = JSON.parse(readFileSync(new URL('../../docs/formats/interchange-v1.schema.json', import.meta.url), 'utf8'));
    expect(published).toEqual(interchangeJsonSchema());
  });
});

describe('a missing episode\'s details in an interchange record', () => {
  const record = (event: Record<string, unknown>) => ({
    organisation: '6f1c2a4e-0000-4000-8000-000000000001', sourceSystem: 'NicheRMS', recordId: 'MIS-1', person: { recordId: 'NOM-1' },
    event: { code: 'missing_episode', occurredAt: '2026-03-13T22:00:00Z', summary: 'Found by officers', ...event },
  });

  it('keeps found, where, who with, reference and grading as narrative lines the missing episodes processor reads back', () => {
    const { record: r, errors } = checkInterchangeRecord(record({
      narrative: 'Officer notes.', missing: { foundAt: '2026-03-14T10:30:00+01:00', whereFound: 'Synthetic Park', whoWith: 'Friend A', policeReference: 'MP/0001/26', riskGrading: 'medium' },
    }));
    expect(errors).toEqual([]);
    expect(r!.event!.narrative).toBe('Officer notes.\n\nPolice reference: MP/0001/26\nPolice risk grading: Medium\nFound: 2026-03-14 09:30 UTC\nWhere found: Synthetic Park\nWho with: Friend A');
    expect(missingDetailsFromNarrative(r!.event!.narrative)).toEqual({
      found: { at: new Date('2026-03-14T09:30:00.000Z'), precision: 'time' }, whereFound: 'Synthetic Park', whoWith: 'Friend A', policeReference: 'MP/0001/26', riskGrading: 'medium',
    });
    // A record without the field is read as before; SSDA903's return is read the same way.
    expect(checkInterchangeRecord(record({})).record!.event!.narrative).toBeNull();
    expect(missingDetailsFromNarrative('Kind: Missing\nReturned: 14/03/2026').found).toEqual({ at: new Date('2026-03-14T00:00:00.000Z'), precision: 'date' });
  });

  it('reads a found date from a mapped CSV column in the mapping\'s date format', async () => {
    const mapping = parseCsvMapping(JSON.stringify({
      format: 'jigsaw-csv-mapping/1', dateFormat: 'DD/MM/YYYY', constants: { sourceSystem: 'NicheRMS', 'event.code': 'missing_episode' },
      columns: { recordId: 'Ref', 'person.recordId': 'Nominal', 'event.occurredAt': 'Reported', 'event.summary': 'Summary', 'event.missing.foundAt': 'Found', 'event.missing.policeReference': 'Ref' },
    }));
    const csv = 'Ref,Nominal,Reported,Summary,Found\nMP/1/26,NOM-1,13/03/2026,Found by officers,14/03/2026\n';
    const [item] = await collect(parseMappedCsv(chunks(csv, 1000), mapping, { organisationId: '6f1c2a4e-0000-4000-8000-000000000001' }));
    expect(item!.errors).toEqual([]);
    expect(missingDetailsFromNarrative(item!.record!.event!.narrative)).toMatchObject({ found: { at: new Date('2026-03-14T00:00:00.000Z'), precision: 'date' }, policeReference: 'MP/1/26' });
  });

  it('refuses the details on another kind of event, and a found time that is not a real moment', () => {
    expect(checkInterchangeRecord(record({ code: 'arrest', missing: { policeReference: 'X' } })).errors).toEqual([{ field: 'event.missing', reason: 'is only for a missing_episode' }]);
    expect(checkInterchangeRecord(record({ missing: { foundAt: '2026-02-30' } })).errors.map((e) => e.field)).toEqual(['event.missing.foundAt']);
    expect(checkInterchangeRecord(record({ missing: { riskGrading: 'extreme' } })).errors.map((e) => e.field)).toEqual(['event.missing.riskGrading']);
  });
});
