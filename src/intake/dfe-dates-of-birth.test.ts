import { describe, expect, it } from 'vitest';
import { chunks, collect } from '../../test/streams.js';
import { parseCinXml } from './cin.js';
import { parseUkDateOfBirth, todayIso } from './dates.js';
import { newSsda903Context, parseSsda903Table } from './ssda903.js';
import type { IntakeItem } from './types.js';

/** A CIN census return of the given children (each the inside of <ChildIdentifiers>, and one referral dated `referral`). */
function cinReturn(children: { id: string; identifiers: string; referral?: string }[]): string {
  const child = (c: { id: string; identifiers: string; referral?: string }) => `
    <Child>
      <ChildIdentifiers><LAchildID>${c.id}</LAchildID>${c.identifiers}<GenderCurrent>1</GenderCurrent></ChildIdentifiers>
      <ChildCharacteristics><Ethnicity>WBRI</Ethnicity></ChildCharacteristics>
      <CINdetails><CINreferralDate>${c.referral ?? '2025-09-01'}</CINreferralDate><ReferralSource>1A</ReferralSource></CINdetails>
    </Child>`;
  return `<?xml version="1.0"?>\n<Message><Header><Source><LEA>999</LEA></Source></Header><Children>${children.map(child).join('')}\n</Children></Message>\n`;
}

const inFuture = (days: number) => todayIso(new Date(Date.now() + days * 86_400_000));
const person = (item: IntakeItem | undefined) => [item?.record?.person.dateOfBirth ?? null, item?.record?.person.dateOfBirthPrecision ?? null];

describe('dates of birth in the DfE formats', () => {
  it('SSDA903 DOB: DD/MM/YYYY, or MM/YYYY or YYYY when only the month or year is known, read by the one parser', () => {
    expect(parseUkDateOfBirth('14/05/2011', '2026-11-26')).toEqual({ ok: true, date: '2011-05-14', precision: 'day' });
    expect(parseUkDateOfBirth('4/5/2011', '2026-11-26')).toEqual({ ok: true, date: '2011-05-04', precision: 'day' });
    expect(parseUkDateOfBirth('05/2011', '2026-11-26')).toEqual({ ok: true, date: '2011-05-01', precision: 'month' });
    expect(parseUkDateOfBirth('2011', '2026-11-26')).toEqual({ ok: true, date: '2011-01-01', precision: 'year' });
    expect(parseUkDateOfBirth('30/02/2011', '2026-11-26')).toEqual({ ok: false, reason: 'is not a real date' });
    expect(parseUkDateOfBirth('13/2011', '2026-11-26')).toEqual({ ok: false, reason: 'is not a real month' });
    expect(parseUkDateOfBirth('01/01/2027', '2026-11-26')).toEqual({ ok: false, reason: 'is in the future' });
    expect(parseUkDateOfBirth('1899', '2026-11-26')).toEqual({ ok: false, reason: 'is before 1900' });
    expect(parseUkDateOfBirth('May 2011', '2026-11-26')).toEqual({ ok: false, reason: 'must be a date written DD/MM/YYYY (or MM/YYYY, or YYYY, when only the month or year is known)' });
  });

  it('SSDA903 header: full, month and year dates of birth are kept at their precision; a bad one is left out with a warning and the child kept', async () => {
    const ctx = newSsda903Context();
    const rows = ['900101,1,14/03/2010,WBRI,UN1,,', '900102,2,03/2010,WBRI,UN1,,', '900103,1,2010,WBRI,UN1,,', '900104,2,31/02/2010,WBRI,UN1,,', '900105,1,14-03-2010,WBRI,UN1,,', '900106,1,,WBRI,UN1,,'];
    const items = await collect(parseSsda903Table(chunks(`CHILD,SEX,DOB,ETHNIC,UPN,MOTHER,MC_DOB\n${rows.join('\n')}\n`, 16), ctx));
    expect(items.map((i) => [i.row, i.errors])).toEqual([[2, []], [3, []], [4, []], [5, []], [6, []], [7, []]]);
    expect(items.map(person)).toEqual([['2010-03-14', null], ['2010-03-01', 'month'], ['2010-01-01', 'year'], [null, null], [null, null], [null, null]]);
    expect(items.map((i) => i.warnings)).toEqual([
      [], [], [],
      [{ field: 'DOB', reason: 'is not a real date, so it was left out' }],
      [{ field: 'DOB', reason: 'must be a date written DD/MM/YYYY (or MM/YYYY, or YYYY, when only the month or year is known), so it was left out' }],
      [{ field: 'DOB', reason: 'is missing, so it was left out' }],
    ]);
    // A later table's rows for these children carry the person as the header table gave it.
    const reviews = await collect(parseSsda903Table(chunks('CHILD,DOB,REVIEW,REVIEW_CODE\n900102,03/2010,08/10/2018,PN4\n', 16), ctx));
    expect(person(reviews[0])).toEqual(['2010-03-01', 'month']);
  });

  it('SSDA903 rows without their header in the batch: a partial DOB is kept, a bad one left out with a warning and the row kept', async () => {
    const ctx = newSsda903Context();
    const reviews = await collect(parseSsda903Table(chunks('CHILD,DOB,REVIEW,REVIEW_CODE\n900201,2009,08/10/2018,PN4\n900202,31/09/2009,08/10/2018,PN4\n', 16), ctx));
    expect(reviews.map((i) => [i.row, i.errors, i.record?.requiresKnownPerson])).toEqual([[2, [], 'child/900201'], [3, [], 'child/900202']]);
    expect(reviews.map(person)).toEqual([['2009-01-01', 'year'], [null, null]]);
    expect(reviews[1]!.warnings).toEqual([{ field: 'DOB', reason: 'is not a real date, so it was left out' }]);
    const uasc = await collect(parseSsda903Table(chunks('CHILD,SEX,DOB,DUC\n900203,1,00/2012,13/10/2030\n', 16), ctx));
    expect(uasc[0]!.record).not.toBeNull();
    expect(uasc[0]!.warnings.map((w) => `${w.field}: ${w.reason}`)[0]).toBe('DOB: is not a real month, so it was left out');
  });

  it('CIN census PersonBirthDate: a full date, or a month or year only, is kept at its precision; a bad one is left out with a warning and the child kept', async () => {
    const items = await collect(parseCinXml(chunks(cinReturn([
      { id: 'C1', identifiers: '<PersonBirthDate>2012-07-09</PersonBirthDate>' },
      { id: 'C2', identifiers: '<PersonBirthDate>2012-07</PersonBirthDate>' },
      { id: 'C3', identifiers: '<PersonBirthDate>2012</PersonBirthDate>' },
      { id: 'C4', identifiers: '<PersonBirthDate>2012-02-30</PersonBirthDate>' },
      { id: 'C5', identifiers: '<PersonBirthDate>09/07/2012</PersonBirthDate>' },
      { id: 'C6', identifiers: `<PersonBirthDate>${inFuture(30)}</PersonBirthDate>` },
    ]), 64)));
    const children = items.filter((i) => i.table === 'child');
    expect(children.map((i) => [i.recordId, i.errors])).toEqual(['C1', 'C2', 'C3', 'C4', 'C5', 'C6'].map((id) => [`child/${id}`, []]));
    expect(children.map(person)).toEqual([['2012-07-09', null], ['2012-07-01', 'month'], ['2012-01-01', 'year'], [null, null], [null, null], [null, null]]);
    expect(children.map((i) => i.warnings)).toEqual([
      [], [], [],
      [{ field: 'PersonBirthDate', reason: 'is not a real date, so it was left out' }],
      [{ field: 'PersonBirthDate', reason: 'must be a date written YYYY-MM-DD (or YYYY-MM, or YYYY, when only the month or year is known), so it was left out' }],
      [{ field: 'PersonBirthDate', reason: 'is in the future, so it was left out' }],
    ]);
    // Each child's referral is imported with the child as read.
    const referrals = items.filter((i) => i.table === 'referral');
    expect(referrals.map((i) => i.errors)).toEqual([[], [], [], [], [], []]);
    expect(person(referrals[1])).toEqual(['2012-07-01', 'month']);
  });

  it('CIN census ExpectedPersonBirthDate: an unborn child is kept without a date of birth, and the facts are checked against the expected date', async () => {
    const expected = inFuture(60);
    const items = await collect(parseCinXml(chunks(cinReturn([
      // A pre-birth referral of an unborn child.
      { id: 'U1', identifiers: `<ExpectedPersonBirthDate>${expected}</ExpectedPersonBirthDate>`, referral: todayIso() },
      // A referral more than a year before the expected birth cannot be of this child.
      { id: 'U2', identifiers: `<ExpectedPersonBirthDate>${expected}</ExpectedPersonBirthDate>`, referral: '2020-01-06' },
      { id: 'U3', identifiers: `<ExpectedPersonBirthDate>${inFuture(400)}</ExpectedPersonBirthDate>` },
      { id: 'U4', identifiers: '<ExpectedPersonBirthDate>2026-13-01</ExpectedPersonBirthDate>' },
      // Born: PersonBirthDate is the date of birth, whatever was expected.
      { id: 'U5', identifiers: '<PersonBirthDate>2019-04-02</PersonBirthDate><ExpectedPersonBirthDate>2019-03-28</ExpectedPersonBirthDate>' },
    ]), 64)));
    const children = items.filter((i) => i.table === 'child');
    expect(children.map((i) => [i.recordId, i.errors.length])).toEqual(['U1', 'U2', 'U3', 'U4', 'U5'].map((id) => [`child/${id}`, 0]));
    expect(children.map(person)).toEqual([[null, null], [null, null], [null, null], [null, null], ['2019-04-02', null]]);
    expect(children.map((i) => i.warnings)).toEqual([
      [], [],
      [{ field: 'ExpectedPersonBirthDate', reason: 'is more than a year from now, so it was left out' }],
      [{ field: 'ExpectedPersonBirthDate', reason: 'is not a real date, so it was left out' }],
      [],
    ]);
    const referrals = items.filter((i) => i.table === 'referral');
    expect(referrals.map((i) => [i.recordId, i.errors])).toEqual([
      [`U1/cin/${todayIso()}/referral`, []],
      ['U2/cin/2020-01-06/referral', [{ field: 'CINreferralDate', reason: "is more than a year before the child's expected date of birth (ExpectedPersonBirthDate)" }]],
      ['U3/cin/2025-09-01/referral', []], ['U4/cin/2025-09-01/referral', []], ['U5/cin/2025-09-01/referral', []],
    ]);
  });
});
