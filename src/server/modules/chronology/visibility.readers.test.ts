import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../../db/database.js';
import type { Db } from '../../../db/client.js';
import { buildTestApp, makeOrg, makePerson, makeUser, signIn, TEST_ENGINE } from '../../../../test/helpers.js';
import { openIsolatedTestDb } from '../../../../test/isolated-db.js';
import { drainOutbox } from '../../../../test/drain-outbox.js';
import { makeRule } from '../../../../test/considerations-helpers.js';
import type { Actor } from '../../actor.js';
import { appendEntry, type RecordEventInput } from './commands/append-entry.js';
import { getChronology, getTimelineMarks } from './chronology.queries.js';
import { entryScope } from './chronology.policy.js';
import { mergePersons } from '../identity/identity.merges.js';
import { createApiKey } from '../api/api-key.js';
import { loadRiskPanel } from '../assessments/person-panel.js';
import { myChildren } from '../people/people.queries.js';
import { getConsideration } from '../considerations/considerations.queries.js';
import { whatWeHold } from '../transparency/what-we-hold.js';
import { buildSubjectAccessExport } from '../transparency/subject-access.js';

const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY);

/**
 * Every reader of chronology entries against one set of fixtures: sharing narrowed by the
 * partnership administrator, restricted entries with and without a grant, two records of one child
 * merged, and a corrected entry. Each reader must withhold exactly what the chronology withholds,
 * and read the merged records as one child. The fixtures change partnership-wide settings (sharing,
 * rules), so they live in a database of their own.
 */
describe(`one visibility rule for every reader of entries on ${TEST_ENGINE}`, () => {
  let d: Db;
  let drop: () => Promise<void>;
  let app: FastifyInstance;
  let db: Kysely<Database>;
  let reader: Actor & { kind: 'user' };
  let readerEmail = '';
  let childA = '';
  let childB = '';
  const ids: Record<string, string> = {};
  let ruleVersionId = '';

  // What each entry says, and what the school's designated safeguarding lead may see of it.
  const SECRETS = ['SECRET-P1 arrest at the station', 'SECRET-M1 missing overnight', 'SECRET-Y2 custody detail'];
  // Corrected: shown only as the earlier version of its correction.
  const EARLIER = 'H1 original wording';
  const SEEN = ['S1 suspension for a fight', 'Y1 knife found in bag', 'Y3 disposal the named worker may see', 'H2 corrected wording'];

  beforeAll(async () => {
    ({ d, drop } = await openIsolatedTestDb('visibility'));
    db = d.db;
    app = await buildTestApp(d);
    await app.ready();
    const school = await makeOrg(db, 'school');
    const police = await makeOrg(db, 'police');
    const yjs = await makeOrg(db, 'youth_justice');
    const health = await makeOrg(db, 'community_health');
    const dsl = await makeUser(db, { organisationId: school.id, roles: ['designated_safeguarding_lead'] });
    readerEmail = dsl.email;
    reader = { kind: 'user', userId: dsl.id, name: dsl.name, email: dsl.email, organisationId: school.id, organisationName: school.name, teamId: null, roles: ['designated_safeguarding_lead'], partnershipId: '00000000-0000-4000-8000-000000000000' };
    childA = (await makePerson(db, { given: 'Rowan', family: 'Testfield' })).id;
    childB = (await makePerson(db, { given: 'Rowan', family: 'Testfield' })).id;
    await db.insertInto('involvement').values({ person_id: childA, organisation_id: school.id, user_id: dsl.id, role: 'lead_professional', started_on: '2024-01-01' }).execute();

    // The partnership administrator narrows sharing: the partnership-wide agreement ends; youth
    // justice shares everything, health shares only health entries; the police share nothing.
    const admin = await makeUser(db, { organisationId: school.id, roles: ['partnership_admin'] });
    const a = await signIn(app, admin.email);
    const wide = await db.selectFrom('sharing_agreement').select('id').where('provider_organisation_id', 'is', null).where('recipient_organisation_id', 'is', null).executeTakeFirstOrThrow();
    const ended = await app.inject({ method: 'POST', url: `/admin/sharing-agreements/${wide.id}/end`, headers: { cookie: a.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: a.csrf }).toString() });
    expect(ended.statusCode).toBe(303);
    for (const [provider, categories] of [[yjs.id, ''], [health.id, 'health']] as const) {
      const res = await app.inject({
        method: 'POST', url: '/admin/sharing-agreements', headers: { cookie: a.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        payload: new URLSearchParams({ _csrf: a.csrf, name: `Agreement ${provider.slice(0, 4)}`, purpose: 'Safeguarding', provider, ...(categories ? { categories } : {}) }).toString(),
      });
      expect(res.statusCode).toBe(303);
    }

    // A sequence that only the two records together complete: a suspension on one, then going missing on the other.
    ruleVersionId = (await makeRule(db, school.id, { definition: { kind: 'sequence', first: { eventTypes: ['suspension'] }, then: { eventTypes: ['missing_episode'] }, withinDays: 90 } })).ruleVersionId;

    const as = (organisationId: string, userId: string): Actor => ({ ...reader, userId, organisationId });
    const write = async (key: string, actor: Actor, input: Omit<RecordEventInput, 'occurredPrecision' | 'sourceSystem'>) => {
      const { id } = await db.transaction().execute((trx) => appendEntry(trx, actor, { occurredPrecision: 'date', sourceSystem: 'TestSystem', ...input }, { via: 'form', route: 'TEST', requestId: `test-${key}` }));
      ids[key] = id;
    };
    const schoolUser = as(school.id, dsl.id);
    const policeUser = as(police.id, (await makeUser(db, { organisationId: police.id })).id);
    const yjsUser = as(yjs.id, (await makeUser(db, { organisationId: yjs.id })).id);
    const healthUser = as(health.id, (await makeUser(db, { organisationId: health.id })).id);
    await write('S1', schoolUser, { personId: childA, eventTypeCode: 'suspension', occurredAt: daysAgo(20), summary: SEEN[0]! });
    await write('M1', policeUser, { personId: childB, eventTypeCode: 'missing_episode', occurredAt: daysAgo(15), summary: SECRETS[1]! });
    await write('Y1', yjsUser, { personId: childB, eventTypeCode: 'weapon_incident', occurredAt: daysAgo(12), summary: SEEN[1]! });
    await write('Y2', yjsUser, { personId: childA, eventTypeCode: 'custody', occurredAt: daysAgo(8), summary: SECRETS[2]!, sensitivity: 'restricted', restriction: { contact: 'YOT duty manager' } });
    await write('Y3', yjsUser, { personId: childA, eventTypeCode: 'out_of_court_disposal', occurredAt: daysAgo(7), summary: SEEN[2]!, sensitivity: 'restricted', restriction: { contact: 'YOT duty manager', grantUserIds: [dsl.id] } });
    await write('H1', healthUser, { personId: childA, eventTypeCode: 'camhs_referral', occurredAt: daysAgo(30), summary: EARLIER });
    await write('H2', healthUser, { personId: childA, eventTypeCode: 'camhs_referral', occurredAt: daysAgo(29), summary: SEEN[3]!, supersedes: ids.H1!, correctionReason: 'Wrong date' });
    await write('P1', policeUser, { personId: childA, eventTypeCode: 'arrest', occurredAt: daysAgo(2), summary: SECRETS[0]! });
    await drainOutbox(db);
    // Before the merge no one record completes the sequence.
    expect(await db.selectFrom('consideration').select('id').where('rule_version_id', '=', ruleVersionId).execute()).toHaveLength(0);
    await db.transaction().execute((trx) => mergePersons(trx, { survivorPersonId: childA, mergedPersonId: childB, reason: 'Same child', userId: null }));
  });
  afterAll(async () => {
    await app.close();
    await drop();
  });

  const FULL = () => [ids.S1, ids.Y1, ids.Y3, ids.H2].sort();
  const WITHHELD = () => ({ [ids.P1!]: 'not_shared', [ids.M1!]: 'not_shared', [ids.Y2!]: 'restricted' });

  it('the chronology: current entries of both records, shared and unrestricted ones in full, the rest withheld', async () => {
    for (const personId of [childA, childB]) {
      const page = await getChronology(db, reader, personId, {});
      expect(page.entries.filter((e) => e.access === 'full').map((e) => e.id).sort()).toEqual(FULL());
      expect(Object.fromEntries(page.entries.filter((e) => e.access !== 'full').map((e) => [e.id, e.access]))).toEqual(WITHHELD());
      for (const e of page.entries.filter((x) => x.access !== 'full')) {
        expect([e.summary, e.type_label, e.event_type_code, e.narrative, e.recorded_by_name, e.supersedes]).toEqual([null, null, null, null, null, null]);
        expect([e.factor_codes, e.implied_factors]).toEqual([[], []]);
      }
      // The correction shows the version it replaced.
      expect(page.entries.find((e) => e.id === ids.H2)!.earlierVersions.map((e) => e.id)).toEqual([ids.H1]);
      // A filter by a factor cannot find a withheld entry.
      const byFactor = await getChronology(db, reader, personId, { factors: ['involved_in_offending', 'going_missing', 'carrying_weapon'] });
      expect(byFactor.entries.map((e) => e.id).sort()).toEqual([ids.Y1, ids.Y3].sort());
    }
  });

  it('the person page and the API: no withheld content in the chronology, the timeline or the risk panel', async () => {
    const me = await signIn(app, readerEmail);
    for (const personId of [childA, childB]) {
      const page = await app.inject({ method: 'GET', url: `/people/${personId}`, headers: { cookie: me.cookie } });
      expect(page.statusCode).toBe(200);
      for (const s of SECRETS) expect(page.body).not.toContain(s);
      for (const s of SEEN) expect(page.body).toContain(s);
      const panel = page.body.slice(page.body.indexOf('id="risk-heading"'), page.body.indexOf('</section>', page.body.indexOf('id="risk-heading"')));
      // The weapon incident on the merged record evidences its factor; the arrest the school may not see does not.
      expect(panel).toContain('Weapon incident');
      expect(panel).not.toContain('Arrest');
      expect(panel).not.toContain('Remanded or sentenced to custody');
      expect(page.body.split(EARLIER).length - 1).toBe(1);
    }
    // The school's own system, through the API, sees the same entries withheld; the restricted entry
    // that names the school's lead is withheld from the system, which no grant names.
    const { key } = await createApiKey(db, reader.organisationId, 'School MIS');
    const api = await app.inject({ method: 'GET', url: `/api/v1/people/${childB}/chronology`, headers: { authorization: `Bearer ${key}` } });
    expect(api.statusCode).toBe(200);
    const body = api.json() as { entries: { id: string; withheld: string | null; summary: string | null }[] };
    expect(Object.fromEntries(body.entries.filter((e) => e.withheld).map((e) => [e.id, e.withheld]))).toEqual({ ...WITHHELD(), [ids.Y3!]: 'restricted' });
    for (const s of SECRETS) expect(api.body).not.toContain(s);
    const marks = await getTimelineMarks(db, reader, childB, {});
    expect(marks.filter((m) => m.access === 'full').map((m) => m.id).sort()).toEqual(FULL());
    expect(marks.filter((m) => m.access !== 'full').every((m) => m.type_label === null)).toBe(true);
  });

  it('the risk panel reads the merged record and withholds what the chronology withholds', async () => {
    const panel = await loadRiskPanel(db, reader, childA);
    const evidence = panel.factors.flatMap((f) => f.events.map((e) => e.eventId));
    expect([...new Set(evidence)].sort()).toEqual(FULL());
    expect(panel.factors.map((f) => f.code)).toContain('carrying_weapon');
    expect(panel.factors.map((f) => f.code)).not.toContain('going_missing');
    expect(panel.hiddenRestricted).toBe(3);
  });

  it('the home page lists the merged child once, with the latest entry as the reader may see it', async () => {
    const children = await myChildren(db, reader);
    expect(children.map((c) => c.id)).toEqual([childA]);
    expect(children[0]!.latest).toMatchObject({ label: 'Entry not shared with your organisation', restricted: true });
    const me = await signIn(app, readerEmail);
    const home = await app.inject({ method: 'GET', url: '/', headers: { cookie: me.cookie } });
    expect(home.body).not.toContain('Arrest');
    expect(home.body.split('Rowan Testfield').length - 1).toBe(1);
    // Finding the child by name gives one hit, the surviving record, though both records match.
    const found = await app.inject({ method: 'GET', url: '/people?name=Rowan+Testfield', headers: { cookie: me.cookie } });
    expect(found.statusCode).toBe(200);
    expect(found.body.split(`href="/people/${childA}"`).length - 1).toBe(1);
    expect(found.body).not.toContain(`href="/people/${childB}"`);
  });

  it('the rules read the merged records as one child, and the evidence withholds what the chronology withholds', async () => {
    const raised = await db.selectFrom('consideration').select(['id', 'person_id', 'matched_event_ids', 'recipient_user_id']).where('rule_version_id', '=', ruleVersionId).execute();
    // The merge itself does not run the rules; a new entry on either record does, for the child.
    expect(raised).toHaveLength(0);
    const schoolActor = reader;
    await db.transaction().execute((trx) => appendEntry(trx, schoolActor, {
      personId: childB, eventTypeCode: 'attendance_concern', occurredAt: daysAgo(1), occurredPrecision: 'date', summary: 'Attendance has dropped', sourceSystem: 'TestSystem',
    }, { via: 'form', route: 'TEST', requestId: 'test-late' }));
    await drainOutbox(db);
    const after = await db.selectFrom('consideration').select(['id', 'person_id', 'matched_event_ids', 'recipient_user_id']).where('rule_version_id', '=', ruleVersionId).execute();
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ person_id: childA, recipient_user_id: reader.userId });
    expect([...after[0]!.matched_event_ids].sort()).toEqual([ids.S1, ids.M1].sort());
    const detail = await getConsideration(db, reader, after[0]!.id);
    expect(detail!.events.map((e) => [e.id, e.label, e.summary, e.restricted])).toEqual([
      [ids.S1, 'Suspension', SEEN[0], false],
      [ids.M1, 'Entry not shared with your organisation', null, true],
    ]);
    const me = await signIn(app, readerEmail);
    const page = await app.inject({ method: 'GET', url: `/considerations/${after[0]!.id}`, headers: { cookie: me.cookie } });
    expect(page.statusCode).toBe(200);
    for (const s of SECRETS) expect(page.body).not.toContain(s);
  });

  it('"what we hold" counts only what the reader sees in full, and subject access holds everything of both records', async () => {
    const held = await whatWeHold(db, reader, childB);
    // S1, Y1, H2 and the attendance concern: Y3 is seen in full but restricted, so not for the family.
    expect(held!.agencies.reduce((n, a) => n + a.entries, 0)).toBe(4);
    expect(held!.restrictedLeftOut).toBe(2);
    expect(held!.notSharedLeftOut).toBe(2);
    const exported = await buildSubjectAccessExport(db, childB);
    for (const key of ['S1', 'M1', 'Y1', 'Y2', 'Y3', 'H1', 'H2', 'P1']) expect(exported!.chronology.map((e) => e.id)).toContain(ids[key]);
    expect(exported!.chronology.find((e) => e.id === ids.H1)!.supersededBy).toBe(ids.H2);
  });

  it('narrowed to some entries, the scope gives exactly those entries of the children as it gives them whole', async () => {
    const asRows = async (people: { ids: string[]; entries?: string[] }) => (await db.selectFrom(entryScope(reader, people).as('v')).selectAll('v').execute())
      .map((r) => JSON.stringify(r)).sort();
    // One child (either record of the merged child) and several children (with another child, of no entries here).
    const other = (await makePerson(db, { given: 'Sage', family: 'Otherfield' })).id;
    for (const people of [[childA], [childB], [childB, other]]) {
      const whole = await asRows({ ids: people });
      const picked = [ids.M1!, ids.Y2!, ids.H1!, ids.S1!];
      const narrowed = await asRows({ ids: people, entries: [...picked, '00000000-0000-4000-8000-0000000000ee'] });
      expect(narrowed).toHaveLength(picked.length);
      expect(narrowed).toEqual(whole.filter((r) => picked.includes((JSON.parse(r) as { id: string }).id)));
      // Withheld stays withheld, and an earlier version is still marked as not current.
      const byId = new Map(narrowed.map((r) => { const v = JSON.parse(r) as { id: string; access: string; current: boolean; summary: string | null }; return [v.id, v]; }));
      expect([byId.get(ids.M1!)!.access, byId.get(ids.M1!)!.summary, byId.get(ids.Y2!)!.access, byId.get(ids.H1!)!.current]).toEqual(['not_shared', null, 'restricted', false]);
      // Another child's entries are not reached by naming them.
      expect(await asRows({ ids: [other], entries: picked })).toEqual([]);
      expect(await asRows({ ids: people, entries: [] })).toEqual([]);
    }
  });

  it('an organisation\'s system sees no restricted content, even where a user of it is named', async () => {
    const system: Actor = { kind: 'system', apiKeyId: '00000000-0000-4000-8000-000000000001', organisationId: reader.organisationId, organisationName: 'School' };
    const rows = await db.selectFrom(entryScope(system, { ids: [childA] }).as('v')).select(['v.id', 'v.access']).where('v.current', '=', true).execute();
    expect(Object.fromEntries(rows.map((r) => [r.id, r.access]))).toMatchObject({ [ids.Y3!]: 'restricted', [ids.Y1!]: 'full', [ids.P1!]: 'not_shared' });
  });
});
