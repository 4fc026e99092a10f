import fc from 'fast-check';
import type { Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../../db/database.js';
import { makeNhsNumber } from '../../../domain/identifiers.js';
import { importText, toJsonl } from '../../../../test/intake-helpers.js';
import { makeOrg, makePerson, TEST_ENGINE, useTestDb } from '../../../../test/helpers.js';
import { writeEntry } from '../../../../test/entries.js';
import { appendEntries } from '../chronology/commands/append-entry.js';
import { entryScope } from '../chronology/chronology.policy.js';
import { exportOrganisationRecords } from './commands/export-records.js';
import { exportPartnership } from '../../../cli/commands/export.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// An organisation's records leave Jigsaw whole: exported and imported into an empty database, every
// child has the same chronology (every version, people and roles, places, factors, gradings,
// restrictions, when recorded), the same relationships, places and online handles its entries carry,
// and the same counts.

const CODES = ['arrest', 'suspension', 'attendance_concern', 'criminal_exploitation_concern', 'stop_and_search'] as const;
const FACTORS = ['criminal_exploitation', 'going_missing', 'poor_attendance', 'carrying_weapon'] as const;
const FAMILY = ['Testington', 'Sampleton', 'Mockridge', 'Fakenham', 'Dummett', 'Placeholt'];
const GIVEN = ['Kai', 'Amara', 'Jonah', 'Priya', 'Tobias', 'Zainab'];

const gradingArb = fc.constantFrom(
  { system: '3x5x2', sourceEvaluation: '2', intelligenceEvaluation: 'B', handlingCode: 'P' },
  { system: '3x5x2', sourceEvaluation: '1', intelligenceEvaluation: 'A', handlingCode: 'C', handlingConditions: 'Not to be shared with the family' },
  { system: '5x5x5', sourceEvaluation: 'B', intelligenceEvaluation: '2', handlingCode: '3' },
);
const entryArb = fc.record({
  org: fc.nat(1), child: fc.nat(3), other: fc.option(fc.record({ child: fc.nat(3), role: fc.constantFrom('victim', 'suspect', 'witness', 'associate') }), { nil: undefined }),
  code: fc.constantFrom(...CODES), day: fc.integer({ min: 1, max: 700 }), timed: fc.boolean(), precision: fc.constantFrom('date', 'month', 'approximate'),
  summary: fc.constantFrom('Seen at the station', 'Left school early', 'Stopped with older males', 'Reported by a neighbour'),
  narrative: fc.option(fc.constantFrom('Longer text as the agency wrote it.', 'Two lines\nof narrative.'), { nil: undefined }),
  place: fc.option(fc.constantFrom('Test Street estate', 'Sample Park'), { nil: undefined }),
  factors: fc.subarray([...FACTORS], { maxLength: 2 }), restricted: fc.boolean(), reliability: fc.constantFrom('confirmed', 'reported', 'unverified'),
  grading: fc.option(gradingArb, { nil: undefined }),
  /** Sent again with another summary: a correction of the first version. */
  resent: fc.boolean(),
  /** Recorded on a page rather than imported (with a correction of its own when resent). */
  byForm: fc.boolean(),
  /** Where it happened, as a place record. */
  where: fc.option(fc.constantFrom(
    { kind: 'park', name: 'Sample Park', postcode: 'ZZ1 1ZZ', ward: 'Riverside', borough: 'Testborough' },
    { kind: 'school', name: 'Sample Academy' },
    { kind: 'online', platform: 'Snapchat', handle: '@sample_group' },
  ), { nil: undefined }),
  /** A relationship between the child and the other person named. */
  relation: fc.option(fc.record({
    kind: fc.constantFrom('friend', 'rival', 'co_accused', 'suspected_exploiter'), grading: fc.option(fc.constantFrom('2B', '1A'), { nil: undefined }),
    validFrom: fc.option(fc.constant('2024-02-01'), { nil: undefined }), validTo: fc.option(fc.constant('2027-01-31'), { nil: undefined }),
    sensitivity: fc.constantFrom('standard', 'restricted'), reverse: fc.boolean(),
  }), { nil: undefined }),
  /** The child's online handle. */
  handle: fc.boolean(),
});
const worldArb = fc.record({
  children: fc.array(fc.record({ dob: fc.integer({ min: 0, max: 3000 }), sex: fc.constantFrom('female', 'male'), ethnicity: fc.constantFrom('WBRI', 'MWBC', 'BAFR', undefined), postcode: fc.boolean(), nicknamed: fc.boolean() }), { minLength: 4, maxLength: 4 }),
  entries: fc.array(entryArb, { minLength: 1, maxLength: 6 }),
  seed: fc.nat(1000),
});
type World = typeof worldArb extends fc.Arbitrary<infer W> ? W : never;

const ORGS = [{ kind: 'police', name: 'Roundtrip police' }, { kind: 'school', name: 'Roundtrip school' }];

async function makeOrgs(db: Kysely<Database>, ids?: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const [i, o] of ORGS.entries()) {
    const row = await db.insertInto('organisation').values({ ...(ids ? { id: ids[i]! } : {}), name: o.name, kind: o.kind, borough: 'Testborough' }).returning('id').executeTakeFirstOrThrow();
    out.push(row.id);
  }
  return out;
}

/** The agency files of a world: one per organisation, each child under that organisation's own record id. */
function filesOf(world: World, orgIds: string[], run: number): { records: Record<string, unknown>[][]; form: { org: number; entry: World['entries'][number] }[] } {
  let n = world.seed + run * 7919;
  // Each run's children are its own (another run's family names), so runs sharing a database never link to each other.
  const family = (c: number) => `${FAMILY[c]}${String.fromCharCode(97 + (run % 26))}${String.fromCharCode(97 + Math.floor(run / 26) % 26)}`;
  const nhs = world.children.map(() => makeNhsNumber((max) => (n = (n * 1103515245 + 12345) % 2147483648) % max));
  const person = (org: number, c: number) => {
    const ch = world.children[c]!;
    return {
      recordId: `${org ? 'UPL' : 'NOM'}-${c}`, givenNames: GIVEN[c], familyName: family(c), sex: ch.sex,
      dateOfBirth: new Date(Date.UTC(2008, 0, 1) + ch.dob * 86_400_000).toISOString().slice(0, 10),
      ...(ch.ethnicity ? { ethnicity: ch.ethnicity } : {}),
      ...(ch.nicknamed ? { otherNames: [{ kind: 'nickname', givenNames: `${GIVEN[c]!.slice(0, 2)}-Dog`, familyName: null }] } : {}),
      identifiers: [{ scheme: 'nhs_number', value: nhs[c]! }],
      ...(ch.postcode ? { address: { line: `${c + 1} Test Street`, postcode: 'ZZ1 1ZZ', borough: 'Testborough' } } : {}),
    };
  };
  const records: Record<string, unknown>[][] = [[], []];
  const form: { org: number; entry: World['entries'][number] }[] = [];
  world.entries.forEach((e, i) => {
    // A child is always first sent by an import, so a page entry is about a child the organisation holds.
    records[e.org]!.push({ organisation: orgIds[e.org], sourceSystem: 'Seed', recordId: `HOLD-${e.child}`, person: person(e.org, e.child), event: { code: 'outreach_contact', occurredAt: '2024-01-01', summary: 'First contact' } });
    if (e.byForm) {
      form.push({ org: e.org, entry: e });
      return;
    }
    const occurredAt = new Date(Date.UTC(2024, 0, 1) + e.day * 86_400_000 + (e.timed ? 52_200_000 : 0)).toISOString();
    const event = {
      code: e.code, occurredAt: e.timed ? occurredAt : occurredAt.slice(0, 10), ...(e.timed ? {} : { precision: e.precision }), summary: e.summary,
      ...(e.narrative ? { narrative: e.narrative } : {}), ...(e.place ? { place: e.place } : {}), factorCodes: e.factors,
      sensitivity: e.restricted ? 'restricted' : 'standard', reliability: e.reliability, ...(e.grading ? { grading: e.grading } : {}),
    };
    const other = e.other && e.other.child !== e.child ? e.other : undefined;
    const [from, to] = other ? [person(e.org, e.child).recordId, person(e.org, other.child).recordId] : [];
    const relation = other && e.relation ? { from: e.relation.reverse ? to : from, to: e.relation.reverse ? from : to, kind: e.relation.kind, sensitivity: e.relation.sensitivity,
      ...(e.relation.grading ? { grading: e.relation.grading } : {}), ...(e.relation.validFrom ? { validFrom: e.relation.validFrom } : {}), ...(e.relation.validTo ? { validTo: e.relation.validTo } : {}) } : undefined;
    const record = {
      organisation: orgIds[e.org], sourceSystem: e.org ? 'SchoolMIS' : 'NicheRMS', recordId: `R-${i}`, role: 'subject', event,
      person: { ...person(e.org, e.child), ...(e.handle ? { onlineHandles: [{ platform: 'Instagram', handle: `@${family(e.child).toLowerCase()}` }] } : {}) },
      ...(other ? { otherPeople: [{ role: other.role, person: person(e.org, other.child) }] } : {}),
      ...(e.where ? { place: e.where } : {}),
      ...(relation ? { relationships: [relation] } : {}),
    };
    records[e.org]!.push(record);
    if (e.resent) records[e.org]!.push({ ...record, event: { ...event, summary: `${e.summary} (amended)` } });
  });
  // Each organisation's file holds the children once each before their entries (the same record again changes nothing).
  return { records: records.map((list) => list.filter((r, i) => !String(r.recordId).startsWith('HOLD-') || list.findIndex((x) => x.recordId === r.recordId) === i)), form };
}

/** Entries recorded on a page: the person as the organisation holds them (its import), with a correction when resent. */
async function recordByForm(db: Kysely<Database>, orgIds: string[], form: { org: number; entry: World['entries'][number] }[]): Promise<void> {
  for (const { org, entry: e } of form) {
    const person = await db.selectFrom('intake_record').select('person_id').where('organisation_id', '=', orgIds[org]!).where('source_record_id', '=', `HOLD-${e.child}`).executeTakeFirstOrThrow();
    const type = await db.selectFrom('event_type').select(['code', 'vocabulary_version']).where('code', '=', e.code).executeTakeFirstOrThrow();
    const base = {
      organisationId: orgIds[org]!, eventTypeCode: type.code, vocabularyVersion: type.vocabulary_version,
      occurredAt: new Date(Date.UTC(2024, 2, 1) + e.day * 86_400_000), occurredPrecision: 'date', recordedByUserId: null, apiKeyId: null, recordedVia: 'form',
      sourceSystem: 'jigsaw', sourceRecordId: null, summary: e.summary, narrative: e.narrative ?? null, place: e.place ?? null, factorCodes: e.factors,
      sensitivity: e.restricted ? 'restricted' : 'standard', reliability: e.reliability, supersedes: null, correctionReason: null,
      people: [{ personId: person.person_id, role: 'subject' }],
      restriction: e.restricted ? { contact: 'The exploitation team duty desk', reason: 'Live investigation' } : null, audit: null,
    };
    await db.transaction().execute(async (trx) => {
      const [first] = await appendEntries(trx, [base]);
      if (e.resent) await appendEntries(trx, [{ ...base, summary: `${e.summary} (corrected)`, supersedes: first!.id, correctionReason: 'Wrong date of the visit' }]);
    });
  }
}

/**
 * Every child of the organisations, keyed by the agency record ids that name them, with their
 * chronology as the partnership reads it (every version) and their details; and the row counts.
 */
async function snapshot(db: Kysely<Database>, orgIds: string[]) {
  const sources = await db.selectFrom('source_record').select(['person_id', 'source_record_id']).where('organisation_id', 'in', orgIds).execute();
  const keyOf = new Map<string, string[]>();
  for (const s of sources) keyOf.set(s.person_id, [...new Set([...(keyOf.get(s.person_id) ?? []), s.source_record_id])].sort());
  const rows = await db.selectFrom(entryScope({ kind: 'partnership', purpose: 'rules' }, { all: true }).as('v')).selectAll()
    .where('v.organisation_id', 'in', orgIds).execute();
  const byId = new Map(rows.map((r) => [r.id, r]));
  const gradings = new Map((await db.selectFrom('event_grading').selectAll().where('event_id', 'in', rows.length ? rows.map((r) => r.id) : ['00000000-0000-0000-0000-000000000000']).execute())
    .map((g) => [g.event_id, [g.grading_system, g.source_evaluation, g.intelligence_evaluation, g.handling_code, g.handling_conditions]]));
  const restrictions = new Map((await db.selectFrom('event_restriction').selectAll().where('event_id', 'in', rows.length ? rows.map((r) => r.id) : ['00000000-0000-0000-0000-000000000000']).execute())
    .map((r) => [r.event_id, [r.contact, r.reason]]));
  const children: Record<string, string[]> = {};
  for (const r of rows) {
    const key = `${orgIds.indexOf(r.organisation_id)}:${(keyOf.get(r.person_id) ?? ['?']).join('+')}`;
    const corrects = r.supersedes ? byId.get(r.supersedes)?.summary ?? '?' : null;
    (children[key] ??= []).push(JSON.stringify([
      r.event_type_code, r.occurred_at.toISOString(), r.occurred_precision, r.summary, r.narrative, r.place, [...r.factor_codes].sort(), r.sensitivity, r.reliability,
      r.current, r.roles, r.recorded_at?.toISOString(), r.source_system, r.source_system === 'jigsaw' ? null : r.source_record_id, r.correction_reason, corrects, r.restricted_contact, gradings.get(r.id) ?? null, restrictions.get(r.id) ?? null,
    ]));
  }
  for (const list of Object.values(children)) list.sort();
  const people = [...new Set(sources.map((s) => s.person_id))];
  const details: Record<string, unknown> = {};
  for (const p of people) {
    const [row, names, ids, addresses] = await Promise.all([
      db.selectFrom('person').select(['date_of_birth', 'sex', 'ethnicity']).where('id', '=', p).executeTakeFirstOrThrow(),
      db.selectFrom('person_name').select(['given_names', 'family_name']).where('person_id', '=', p).execute(),
      db.selectFrom('person_identifier').select(['scheme', 'value']).where('person_id', '=', p).execute(),
      db.selectFrom('person_address').select(['line1', 'postcode', 'borough']).where('person_id', '=', p).execute(),
    ]);
    details[keyOf.get(p)!.join('+')] = { ...row, names: names.map((n) => `${n.given_names}|${n.family_name}`).sort(), ids: ids.map((i) => `${i.scheme}:${i.value}`).sort(), addresses: addresses.map((a) => `${a.line1}|${a.postcode}|${a.borough}`).sort() };
  }
  const count = async (table: 'event_person' | 'event_grading' | 'event_restriction') => Number((await db.selectFrom(table).select((eb) => eb.fn.countAll().as('n'))
    .where('event_id', 'in', db.selectFrom('event').select('id').where('organisation_id', 'in', orgIds)).executeTakeFirstOrThrow()).n);
  const counts = {
    people: people.length, entries: rows.length === 0 ? 0 : new Set(rows.map((r) => r.id)).size, current: new Set(rows.filter((r) => r.current).map((r) => r.id)).size,
    event_person: await count('event_person'), event_grading: await count('event_grading'), event_restriction: await count('event_restriction'),
  };
  // What the entries carry: relationships (between which children, of what kind and grading), where
  // each entry happened, and the children's online handles, each counted by what it is.
  const personKey = (id: string) => (keyOf.get(id) ?? ['?']).join('+');
  const ofEntries = db.selectFrom('event').select('id').where('organisation_id', 'in', orgIds);
  const tally = (keys: string[]) => keys.reduce<Record<string, number>>((acc, k) => ({ ...acc, [k]: (acc[k] ?? 0) + 1 }), {});
  const network = {
    relationships: tally((await db.selectFrom('person_relationship').select(['person_id', 'related_person_id', 'kind', 'grading', 'valid_from', 'valid_to', 'sensitivity'])
      .where('source_event_id', 'in', ofEntries).execute())
      .map((r) => [personKey(r.person_id), personKey(r.related_person_id), r.kind, r.grading, r.valid_from, r.valid_to, r.sensitivity].join('|'))),
    event_places: tally((await db.selectFrom('event_place as ep').innerJoin('place as p', 'p.id', 'ep.place_id')
      .select(['p.kind', 'p.name', 'p.postcode', 'p.ward', 'p.borough', 'p.platform', 'p.handle']).where('ep.event_id', 'in', ofEntries).execute())
      .map((p) => [p.kind, p.name, p.postcode, p.ward, p.borough, p.platform, p.handle].join('|'))),
    person_places: tally((await db.selectFrom('person_place as pp').innerJoin('place as p', 'p.id', 'pp.place_id')
      .select(['pp.person_id', 'pp.kind', 'p.platform', 'p.handle']).where('pp.source_event_id', 'in', ofEntries).execute())
      .map((p) => [personKey(p.person_id), p.kind, p.platform, p.handle].join('|'))),
  };
  return { children, details, counts, network };
}

describe(`export and import back on ${TEST_ENGINE}`, () => {
  // Opening a database takes seconds, so the runs share two: each run's organisations are new, and
  // the target holds nothing of theirs until their export is imported (an empty database for them).
  const source = useTestDb();
  const target = useTestDb({ isolated: 'export_target' });
  let run = 0;

  it('importing an export into an empty database gives identical chronologies and counts', async () => {
    await fc.assert(fc.asyncProperty(worldArb, async (world) => {
      run += 1;
      const orgIds = await makeOrgs(source.db);
      const { records, form } = filesOf(world, orgIds, run);
      for (const [i, list] of records.entries()) {
        if (list.length) expect((await importText(source.db, orgIds[i]!, 'jsonl', 'agency.jsonl', toJsonl(list))).rejected).toBe(0);
      }
      await recordByForm(source.db, orgIds, form);

      await makeOrgs(target.db, orgIds);
      for (const orgId of orgIds) {
        const lines: string[] = [];
        await exportOrganisationRecords(source.db, { organisationId: orgId, actor: null, route: 'TEST export', write: (r) => { lines.push(JSON.stringify(r)); } });
        if (!lines.length) continue;
        const report = await importText(target.db, orgId, 'jsonl', 'export.jsonl', `${lines.join('\n')}\n`);
        expect(report.rejections).toEqual([]);
        expect(report.accepted).toBe(lines.length);
      }
      const before = await snapshot(source.db, orgIds);
      const after = await snapshot(target.db, orgIds);
      expect(after.counts).toEqual(before.counts);
      expect(after.children).toEqual(before.children);
      expect(after.details).toEqual(before.details);
      expect(after.network).toEqual(before.network);
    }), { numRuns: 6 });
  }, 60_000);

  it('logs the export on each person\'s access log; a child the organisation never sent is written as its workers see them', async () => {
    const org = await makeOrg(source.db, 'school');
    const other = await makeOrg(source.db, 'gp');
    const child = await makePerson(source.db, { given: 'Ona', family: 'Exportwell', dob: '2011-06-02' });
    await source.db.insertInto('person_identifier').values([
      { person_id: child.id, scheme: 'upn', value: 'A123456789012', issuer_organisation_id: org.id },
      { person_id: child.id, scheme: 'nhs_number', value: '9990000018', issuer_organisation_id: other.id },
    ]).execute();
    await writeEntry(source.db, { organisationId: org.id, personId: child.id, eventTypeCode: 'suspension', sourceSystem: 'jigsaw', occurredAt: '2026-01-05T00:00:00Z', occurredPrecision: 'date' });
    await writeEntry(source.db, { organisationId: other.id, personId: child.id, eventTypeCode: 'ae_attendance_injury', summary: 'Not the school\'s to export' });
    const since = Number((await source.db.selectFrom('access_log').select((eb) => eb.fn.max('id').as('m')).executeTakeFirstOrThrow()).m ?? 0);
    const lines: Record<string, unknown>[] = [];
    const summary = await exportOrganisationRecords(source.db, { organisationId: org.id, actor: null, route: 'TEST export', write: (r) => { lines.push(r); } });
    expect(summary).toMatchObject({ records: 1, corrections: 0, people: 1 });
    expect(lines).toHaveLength(1);
    // Its own identifier only: the NHS number another agency recorded does not leave with the school's records.
    expect(lines[0]).toMatchObject({
      organisation: org.id, sourceSystem: 'jigsaw', role: 'subject',
      person: { recordId: child.id, givenNames: 'Ona', familyName: 'Exportwell', dateOfBirth: '2011-06-02', sex: 'male', ethnicity: 'WBRI', identifiers: [{ scheme: 'upn', value: 'A123456789012' }] },
      event: { code: 'suspension', occurredAt: '2026-01-05T00:00:00.000Z', precision: 'date' },
    });
    const log = await source.db.selectFrom('access_log').select(['action', 'person_id', 'outcome', 'detail']).where('id', '>', since).orderBy('id').execute();
    expect(log.map((r) => [r.action, r.person_id, r.outcome])).toEqual([['export.records', child.id, 'allowed'], ['export.records', null, 'allowed']]);
    expect(log[1]!.detail).toMatchObject({ organisationId: org.id, records: 1, people: 1 });
  });

  it('a partnership\'s export is one file per member organisation, with a list of them', async () => {
    const borough = `Exportmere ${Date.now().toString(36)}`;
    const school = await makeOrg(source.db, 'school', borough);
    const police = await makeOrg(source.db, 'police', borough);
    const child = await makePerson(source.db);
    await writeEntry(source.db, { organisationId: school.id, personId: child.id, eventTypeCode: 'suspension' });
    await writeEntry(source.db, { organisationId: police.id, personId: child.id, eventTypeCode: 'arrest' });
    await writeEntry(source.db, { organisationId: police.id, personId: child.id, eventTypeCode: 'stop_and_search' });
    const p = await source.db.selectFrom('partnership_area as a').innerJoin('partnership as p', 'p.id', 'a.partnership_id').select('p.code').where('a.borough', '=', borough).executeTakeFirstOrThrow();
    const dir = mkdtempSync(join(tmpdir(), 'jigsaw-export-'));
    try {
      const summaries = await exportPartnership(source.db, p.code, dir, 'TEST export');
      expect(summaries.map((s) => [s.organisationId, s.records]).sort()).toEqual([[police.id, 2], [school.id, 1]].sort());
      const manifest = JSON.parse(readFileSync(join(dir, 'organisations.json'), 'utf8')) as { organisations: { id: string; file: string }[] };
      expect(manifest.organisations.map((o) => o.id).sort()).toEqual([police.id, school.id].sort());
      const lines = readFileSync(join(dir, `${police.id}.jsonl`), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { organisation: string; event: { code: string } });
      expect(lines.map((l) => [l.organisation, l.event.code]).sort()).toEqual([[police.id, 'arrest'], [police.id, 'stop_and_search']]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
