import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeOrg, openTestDb, TEST_ENGINE } from '../../../../test/helpers.js';
import { importText, toJsonl } from '../../../../test/intake-helpers.js';
import type { Db } from '../../../db/client.js';
import type { Database } from '../../../db/database.js';
import { makeNhsNumber } from '../../../domain/identifiers.js';
import type { Log } from '../../logging.js';

/**
 * An import resolves a chunk's people together (one read of candidates, writes a few statements at a
 * time); the decisions must be those of one record at a time. The same file is imported into two empty
 * databases, one record per transaction and all in one chunk, and everything identity resolution
 * decided is compared: links, reviews, people and their names, the match index, and entries' people.
 */
let digits = 0;
const nhs = () => makeNhsNumber(() => (digits = (digits * 7 + 3) % 10));

function person(recordId: string, given: string, family: string, dob: string, over: Record<string, unknown> = {}) {
  return { recordId, givenNames: given, familyName: family, dateOfBirth: dob, sex: 'female', ethnicity: 'BCRB', address: { postcode: 'ZZ9 1AA', line: '1 Test Road' }, ...over };
}

function trickyFile(org: string): string {
  const nhsA = nhs();
  const nhsC1 = nhs();
  const nhsC2 = nhs();
  const nhsV = nhs();
  let n = 0;
  const rec = (sourceSystem: string, p: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    format: 'jigsaw-interchange/1', organisation: org, sourceSystem, recordId: `${sourceSystem}-E${++n}`, person: p,
    event: { code: 'missing_episode', occurredAt: `2025-0${1 + (n % 9)}-1${n % 10}`, summary: `Entry ${n}` }, ...extra,
  });
  const amara = person('CASE-A', 'Amara', 'Okafor', '2011-04-12', { identifiers: [{ scheme: 'nhs_number', value: nhsA }] });
  const records: unknown[] = [
    rec('Mosaic', amara),
    // The same child again, same details: the source record is already held.
    rec('Mosaic', amara),
    // Changed details of the same source record: a new version, the new address added to the person.
    rec('Mosaic', { ...amara, address: { postcode: 'ZZ9 2BB', line: '2 Other Street' } }),
    // Another system's record of the same child, a typing error in the forename: linked to the person made above.
    rec('CareFirst', person('CF-A', 'Amarra', 'Okafor', '2011-04-12', { identifiers: [{ scheme: 'nhs_number', value: nhsA }] })),
    // A child, then a doubtful record of them (date of birth one digit out, nothing else shared): review.
    rec('Mosaic', person('CASE-B', 'Tobias', 'Quennell', '2010-02-03', { address: { postcode: 'ZZ9 3CC' } })),
    rec('CareFirst', person('CF-B', 'Tobias', 'Quennell', '2010-02-08', { address: undefined })),
    // Two people alike but for their NHS numbers and addresses, then a record that fits both equally: review.
    rec('Mosaic', person('CASE-C1', 'Femi', 'Adeyemi', '2012-09-09', { identifiers: [{ scheme: 'nhs_number', value: nhsC1 }], address: { postcode: 'ZZ9 4DD' } })),
    rec('Mosaic', person('CASE-C2', 'Femi', 'Adeyemi', '2012-09-09', { identifiers: [{ scheme: 'nhs_number', value: nhsC2 }], address: { postcode: 'ZZ9 5EE' } })),
    rec('CareFirst', person('CF-C', 'Femi', 'Adeyemi', '2012-09-09', { address: undefined })),
    // A victim named in a record, then named again in another system's record: the sender sees no one, so
    // a likely match goes to review unless the NHS number agrees.
    rec('Mosaic', person('CASE-D', 'Zainab', 'Hollis', '2009-06-30'), { otherPeople: [{ role: 'victim', person: person('V-1', 'Ruby', 'Marsh', '2010-01-01', { identifiers: [{ scheme: 'nhs_number', value: nhsV }] }) }] }),
    rec('CareFirst', person('CF-D', 'Zainab', 'Hollis', '2009-06-30'), { otherPeople: [{ role: 'victim', person: person('V-2', 'Ruby', 'Marsh', '2010-01-01', { identifiers: [{ scheme: 'nhs_number', value: nhsV }] }) }] }),
    rec('Rio', person('RIO-D', 'Lena', 'Carver', '2008-03-03'), { otherPeople: [{ role: 'witness', person: person('V-3', 'Ruby', 'Marsh', '2010-01-01') }] }),
  ];
  // Forty-five children whose names share a name-only blocking key (given name and first letters of the
  // surname), more than that key's limit, then one of them again with a typing error.
  const syllables = ['ba', 'ke', 'li', 'mu', 'ro', 'sa', 'te', 'vi', 'wu', 'xa'];
  const kai = (i: number) => person(`CASE-K${i}`, 'Kai', `Zo${syllables[i % 10]}${syllables[(i * 3 + 1) % 10]}${syllables[Math.floor(i / 10)]}n`,
    `${2004 + (i % 8)}-${String(1 + (i % 12)).padStart(2, '0')}-${String(1 + (i % 28)).padStart(2, '0')}`, { address: { postcode: `ZZ8 ${i}AA` } });
  for (let i = 0; i < 45; i += 1) records.push(rec('Mosaic', kai(i)));
  records.push(rec('CareFirst', { ...kai(7), recordId: 'CF-K7', familyName: `${kai(7).familyName}e` }));
  // Twenty children born the same day whose names start alike (more than a record is compared with, so
  // the candidates are chosen among those sharing the date of birth), then one of them again with a
  // typing error in the surname: each earlier record of the chunk changes who the later ones choose.
  const ria = (i: number) => person(`CASE-R${i}`, `R${syllables[i % 10]}${syllables[(i * 7 + 3) % 10]}a`, `Ul${syllables[(i * 3) % 10]}${syllables[Math.floor(i / 10)]}k`,
    '2013-07-21', { address: { postcode: `ZZ7 ${i}BB` } });
  for (let i = 0; i < 20; i += 1) records.push(rec('Mosaic', ria(i)));
  records.push(rec('CareFirst', { ...ria(5), recordId: 'CF-R5', familyName: `${ria(5).familyName.slice(0, -1)}ck` }));
  // One child sent by five systems in the chunk, each with a new spelling, address, ethnicity or a date of
  // birth known only to the month, then the first system's record again with another address: each adds
  // to the person as the records before it left them (names, shown details, history, the current address).
  const nhsM = nhs();
  const mira = (recordId: string, over: Record<string, unknown>) => person(recordId, 'Mira', 'Castell', '2012-05-17', { identifiers: [{ scheme: 'nhs_number', value: nhsM }], ...over });
  records.push(rec('Mosaic', mira('CASE-M', { address: { postcode: 'ZZ6 1MM', line: '1 Mill Lane' } })));
  records.push(rec('CareFirst', mira('CF-M', { givenNames: 'Myra', ethnicity: 'WBRI', address: { postcode: 'ZZ6 2MM', line: '2 Mill Lane' } })));
  records.push(rec('Rio', mira('RIO-M', { givenNames: 'mira', familyName: 'Castel', ethnicity: null, address: undefined })));
  records.push(rec('Capita', mira('CAP-M', { dateOfBirth: '2012-05', otherNames: [{ kind: 'known_as', givenNames: 'Mimi', familyName: null }], address: { postcode: 'ZZ6 3MM', line: '3 Mill Lane' } })));
  records.push(rec('Liquidlogic', mira('LL-M', { sex: 'not_known', address: { postcode: 'ZZ6 2MM', line: '2 Mill Lane' } })));
  records.push(rec('Mosaic', mira('CASE-M', { address: { postcode: 'ZZ6 4MM', line: '4 Mill Lane' } })));
  records.push(rec('Rio', mira('RIO-M', { givenNames: 'mira', familyName: 'Castel', identifiers: [{ scheme: 'local_id', value: 'RIO-M-1' }], address: undefined })));
  // The very same line twice: the repeat is refused.
  const last = records.at(-1)!;
  records.push(last);
  return toJsonl(records);
}

/** Everything identity resolution decided, with people named by their first source record. */
async function decisions(db: Kysely<Database>, org: string) {
  const sources = (await sql<{ k: string; person_id: string; outcome: string; w: number | null }>`
    SELECT source_system || '|' || source_record_id AS k, person_id, outcome, match_weight AS w FROM source_record WHERE organisation_id = ${org} ORDER BY 1`.execute(db)).rows;
  const label = new Map<string, string>();
  for (const s of sources) if (!label.has(s.person_id)) label.set(s.person_id, s.k);
  const named = (id: string) => label.get(id) ?? 'someone else';
  const sorted = <T>(rows: T[]) => rows.map((r) => JSON.stringify(r)).sort();
  const rows = await db.selectFrom('intake_row').innerJoin('intake_batch', 'intake_batch.id', 'intake_row.batch_id')
    .select(['seq', 'outcome', 'person_outcome', 'person_id', 'review_item_id', 'errors']).where('intake_batch.organisation_id', '=', org).orderBy('seq').execute();
  const reviews = (await sql<{ k: string; person_id: string; candidate: string; w: number }>`
    SELECT s.source_system || '|' || s.source_record_id AS k, r.person_id, r.candidate_person_id AS candidate, r.match_weight AS w
    FROM identity_review_item r JOIN source_record s ON s.id = r.source_record_ref WHERE s.organisation_id = ${org}`.execute(db)).rows;
  const people = [...label.keys()];
  const names = await db.selectFrom('person_name').select(['person_id', 'kind', 'given_names', 'family_name']).where('person_id', 'in', people).execute();
  const addresses = await db.selectFrom('person_address').select(['person_id', 'postcode', 'valid_to']).where('person_id', 'in', people).execute();
  const identifiers = await db.selectFrom('person_identifier').select(['person_id', 'scheme', 'value']).where('person_id', 'in', people).execute();
  const persons = (await sql<{ id: string; dob: string | null; dob_accuracy: string; sex: string; ethnicity: string | null }>`
    SELECT id, to_char(date_of_birth, 'YYYY-MM-DD') AS dob, dob_accuracy, sex, ethnicity FROM person WHERE id = ANY(${people}::uuid[])`.execute(db)).rows;
  const history = (await sql<{ person_id: string; field: string; value: unknown; source: string | null; postcode: string | null }>`
    SELECT h.person_id, h.field, h.value, s.source_system || '|' || s.source_record_id AS source, a.postcode
    FROM person_detail_history h LEFT JOIN source_record s ON s.id = h.source_record_ref LEFT JOIN person_address a ON a.id = h.address_id
    WHERE h.person_id = ANY(${people}::uuid[])`.execute(db)).rows;
  const keys = await db.selectFrom('person_match_key').select(['person_id', 'key']).where('person_id', 'in', people).execute();
  const profiles = await db.selectFrom('person_match_profile').select(['person_id', 'record']).where('person_id', 'in', people).execute();
  const entryPeople = await db.selectFrom('event_person').innerJoin('event', 'event.id', 'event_person.event_id')
    .select(['event.source_record_id', 'event_person.person_id', 'event_person.role']).where('event.organisation_id', '=', org).execute();
  const logged = await db.selectFrom('access_log').select(['person_id', 'action']).where('person_id', 'in', people).execute();
  return {
    sources: sources.map((s) => [s.k, named(s.person_id), s.outcome, s.w]),
    rows: rows.map((r) => [r.seq, r.outcome, r.person_outcome, r.person_id ? named(r.person_id) : null, r.review_item_id !== null, r.errors]),
    // The candidate a review names, when two are equally likely, is the first by id (random): compared by weight.
    reviews: sorted(reviews.map((r) => [r.k, named(r.person_id), r.w])),
    reviewed: new Map(reviews.map((r) => [r.k, named(r.candidate)])),
    names: sorted(names.map((n) => [named(n.person_id), n.kind, n.given_names, n.family_name])),
    addresses: sorted(addresses.map((a) => [named(a.person_id), a.postcode, a.valid_to === null])),
    identifiers: sorted(identifiers.map((i) => [named(i.person_id), i.scheme, i.value])),
    persons: sorted(persons.map((p) => [named(p.id), p.dob, p.dob_accuracy, p.sex, p.ethnicity])),
    history: sorted(history.map((h) => [named(h.person_id), h.field, h.value, h.source, h.postcode])),
    keys: sorted(keys.map((k) => [named(k.person_id), k.key])),
    profiles: sorted(profiles.map((p) => [named(p.person_id), p.record])),
    entryPeople: sorted(entryPeople.map((e) => [e.source_record_id, named(e.person_id), e.role])),
    logged: sorted(logged.map((l) => [named(l.person_id!), l.action])),
  };
}

describe(`a chunk's people resolved together decide as one record at a time, on ${TEST_ENGINE}`, () => {
  let one: Db;
  let batched: Db;
  beforeAll(async () => {
    [one, batched] = await Promise.all([openTestDb('one_by_one'), openTestDb('batched')]);
  });
  afterAll(async () => {
    await Promise.all([one?.close(), batched?.close()]);
  });

  it('gives the same links, reviews, people, match index and entries', async () => {
    const org = '0b5e7c2a-4d1f-4c8e-9a3b-5f6e7d8c9b01';
    for (const d of [one, batched]) {
      await d.db.insertInto('organisation').values({ id: org, name: 'Batchvale children\'s services', kind: 'childrens_social_care', borough: 'Batchvale' }).execute();
    }
    const file = trickyFile(org);
    const a = await importText(one.db, org, 'jsonl', 'tricky.jsonl', file, { chunkSize: 1, chunkBudgetMs: Infinity });
    // A chunk the database refuses is stored again one record at a time: the batched path must not need that.
    const warned: unknown[] = [];
    const log = { info: () => {}, warn: (...a: unknown[]) => warned.push(a), error: (...a: unknown[]) => warned.push(a) } as unknown as Log;
    const b = await importText(batched.db, org, 'jsonl', 'tricky.jsonl', file, { chunkSize: 1_000, chunkBudgetMs: Infinity, log });
    expect(warned).toEqual([]);
    expect(b).toEqual({ ...a, batchId: b.batchId });
    expect(a.received).toBe(87);
    expect(a.rejected).toBe(1);
    const [x, y] = [await decisions(one.db, org), await decisions(batched.db, org)];
    expect(y).toEqual({ ...x, reviewed: y.reviewed });
    expect(y.reviewed.get('CareFirst|CF-B')).toBe(x.reviewed.get('CareFirst|CF-B'));
    expect([x.reviewed.get('CareFirst|CF-C'), y.reviewed.get('CareFirst|CF-C')].every((c) => c === x.sources.find((s) => s[0] === 'Mosaic|CASE-C1')?.[1] || c === x.sources.find((s) => s[0] === 'Mosaic|CASE-C2')?.[1])).toBe(true);
    // The file's tricky cases happened: a link within the chunk, reviews, a refused repeat, a new version.
    const outcome = (k: string) => x.sources.find((s) => s[0] === k)?.[2];
    const samePerson = (k: string, other: string) => x.sources.find((s) => s[0] === k)?.[1] === x.sources.find((s) => s[0] === other)?.[1];
    expect([outcome('CareFirst|CF-A'), samePerson('CareFirst|CF-A', 'Mosaic|CASE-A')]).toEqual(['linked', true]);
    expect([outcome('CareFirst|V-2'), samePerson('CareFirst|V-2', 'Mosaic|V-1')]).toEqual(['linked', true]);
    expect([outcome('CareFirst|CF-K7'), samePerson('CareFirst|CF-K7', 'Mosaic|CASE-K7')]).toEqual(['linked', true]);
    expect([outcome('CareFirst|CF-R5'), samePerson('CareFirst|CF-R5', 'Mosaic|CASE-R5')]).toEqual(['linked', true]);
    expect([outcome('CareFirst|CF-B'), outcome('CareFirst|CF-C'), outcome('Rio|V-3')]).toEqual(['review', 'review', 'review']);
    // The child five systems sent is one person, their details chosen again at each record, with their history.
    for (const k of ['CareFirst|CF-M', 'Rio|RIO-M', 'Capita|CAP-M', 'Liquidlogic|LL-M']) expect([k, samePerson(k, 'Mosaic|CASE-M')]).toEqual([k, true]);
    const mira = x.sources.find((s) => s[0] === 'Mosaic|CASE-M')?.[1];
    expect(x.addresses.filter((r) => r.startsWith(`["${mira}"`) && r.endsWith('true]'))).toEqual([`["${mira}","ZZ6 4MM",true]`]);
    expect(x.history.filter((r) => r.startsWith(`["${mira}","address"`)).length).toBeGreaterThanOrEqual(4);
    expect(x.names.filter((r) => r.startsWith(`["${mira}"`)).length).toBeGreaterThanOrEqual(4);
    const versions = await batched.db.selectFrom('source_record_version as v').innerJoin('source_record as s', 's.id', 'v.source_record_ref')
      .select('v.id').where('s.source_record_id', '=', 'CASE-A').execute();
    expect(versions).toHaveLength(2);
  });
});
