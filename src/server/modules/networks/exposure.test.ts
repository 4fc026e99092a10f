import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { describe, expect, it } from 'vitest';
import type { Database } from '../../../db/database.js';
import { COHORT_CAP } from '../../../domain/networks/kinds.js';
import { evaluateExposure, type Exposure } from '../../../domain/rules/evaluate.js';
import { drainOutbox } from '../../../../test/drain-outbox.js';
import { involve, makeOrg, makePerson, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import type { Actor } from '../../actor.js';
import { appendEntries } from '../chronology/commands/append-entry.js';
import { runRulesFor } from '../considerations/run-rules.js';
import { createMeeting } from '../panels/commands/create-meeting.js';
import { respondToIncident } from './incidents.commands.js';
import { capCohort, cohortOf } from './networks.queries.js';

// Exposure to violence through a network (a friend, or a friend's friend, harmed in serious violence in the
// last 125 days is a prompt to consider the child), links among the children on a panel's agenda, and a cap
// on a critical moment's cohort. Every link is over what the reader may see.

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);
const RULE = { kind: 'network_exposure', incidentKinds: ['homicide', 'stabbing', 'shooting', 'serious_assault'], steps: 2, withinDays: 125 } as const;

describe('exposure to violence (pure)', () => {
  const x = (over: Partial<Exposure>): Exposure => ({
    eventId: 'e1', eventTypeCode: 'victim_of_serious_violence', summary: 'Stabbed', incidentId: null, occurredAt: ago(10), kind: 'stabbing', victimId: 'v1', steps: 1, ...over,
  });
  it('prompts within two steps and 125 days, naming the violence, its date and the steps; not at more steps, older or another kind', () => {
    const m = evaluateExposure({ ...RULE, incidentKinds: [...RULE.incidentKinds] }, [x({ steps: 2 })], new Date());
    expect(m?.eventIds).toEqual(['e1']);
    expect(m?.explanation).toContain('two steps from this child');
    expect(m?.explanation).toContain('victim of a stabbing on');
    expect(evaluateExposure({ ...RULE, incidentKinds: [...RULE.incidentKinds], steps: 1 }, [x({ steps: 2 })], new Date())).toBeNull();
    expect(evaluateExposure({ ...RULE, incidentKinds: [...RULE.incidentKinds] }, [x({ occurredAt: ago(126) })], new Date())).toBeNull();
    expect(evaluateExposure({ ...RULE, incidentKinds: ['shooting'] }, [x({})], new Date())).toBeNull();
  });
  it('counts police and A&E records of one stabbing once, and names the newest victim', () => {
    const hospital = x({ eventId: 'e2', eventTypeCode: 'ae_attendance_stab_wound', occurredAt: new Date(ago(10).getTime() + 3_600_000) });
    const later = x({ eventId: 'e3', victimId: 'v2', occurredAt: ago(2), steps: 2 });
    const d = { ...RULE, incidentKinds: [...RULE.incidentKinds] };
    expect(evaluateExposure(d, [x({}), hospital], new Date())?.explanation).not.toContain('other serious');
    const m = evaluateExposure(d, [x({}), hospital, later], new Date());
    expect(m?.eventIds).toEqual(['e3']);
    expect(m?.explanation).toContain('(and 1 other serious incident of violence');
  });
});

describe('a cohort cut to its closest children (pure)', () => {
  it('keeps the named, then one step, then two steps, then classmates, and says how many were left out', () => {
    const r = (kind: 'named' | 'peer' | 'peer_of_peer' | 'classmate') => [{ kind, via: null, evidence: 'x', reliability: 'x' }];
    const cut = capCohort(new Map([['d', r('classmate')], ['c', r('peer_of_peer')], ['b', r('peer')], ['a', r('named')]]), 3);
    expect([...cut.keys()]).toEqual(['a', 'b', 'c']);
    expect(cut.leftOut).toBe(1);
    expect(capCohort(new Map([['a', r('named')]])).leftOut).toBe(0);
  });
});

/** One entry naming several people, through the chronology's one writer. */
async function entry(db: Kysely<Database>, opts: { organisationId: string; type: string; people: { personId: string; role: string }[]; occurredAt: Date; summary: string; restricted?: boolean }): Promise<string> {
  const type = await db.selectFrom('event_type').select(['code', 'vocabulary_version']).where('code', '=', opts.type).executeTakeFirstOrThrow();
  return db.transaction().execute(async (trx) => (await appendEntries(trx, [{
    organisationId: opts.organisationId, eventTypeCode: type.code, vocabularyVersion: type.vocabulary_version, occurredAt: opts.occurredAt, occurredPrecision: 'time',
    recordedByUserId: null, apiKeyId: null, recordedVia: 'api', sourceSystem: 'TestSystem', sourceRecordId: randomUUID(), summary: opts.summary,
    narrative: null, place: null, factorCodes: [], sensitivity: opts.restricted ? 'restricted' : 'standard', reliability: 'reported', supersedes: null, correctionReason: null,
    restriction: opts.restricted ? { contact: 'the exploitation team duty desk', reason: 'Live operation' } : null, people: opts.people, audit: null,
  }]))[0]!.id);
}

describe(`exposure to violence, agenda links and the cohort cap on ${TEST_ENGINE}`, () => {
  const t = useTestApp();
  const tag = randomUUID().slice(0, 6);
  const borough = `Exposham ${tag}`;
  const page = (cookie: string, url: string) => t.app.inject({ method: 'GET', url, headers: { cookie } });

  async function world() {
    const csc = await makeOrg(t.db, 'childrens_social_care', borough);
    const police = await makeOrg(t.db, 'police', borough);
    const worker = await makeUser(t.db, { organisationId: csc.id });
    const officer = await makeUser(t.db, { organisationId: police.id });
    const person = async (given: string) => {
      const p = await makePerson(t.db, { given, family: `Exp${tag}`, dob: '2010-06-01' });
      await t.db.insertInto('person_address').values({ person_id: p.id, line1: '3 Synthetic Close', borough, valid_from: '2020-01-01' }).execute();
      await t.db.insertInto('involvement').values({ person_id: p.id, organisation_id: csc.id, user_id: worker.id, role: 'lead_professional', started_on: '2024-01-01' }).execute();
      return p.id;
    };
    const rel = (a: string, b: string, source: string | null = null) => ({
      person_id: a, related_person_id: b, kind: 'friend', recorded_by_organisation_id: source ? police.id : csc.id, grading: '2B', valid_from: null, valid_to: null,
      source_event_id: source, recorded_by_user_id: null, note: null,
    });
    return { csc, police, worker, officer, person, rel };
  }

  const considered = async (personId: string) => (await t.db.selectFrom('consideration as c').innerJoin('rule_version as v', 'v.id', 'c.rule_version_id')
    .innerJoin('rule as r', 'r.id', 'v.rule_id').select(['c.id', 'c.explanation']).where('c.person_id', '=', personId).where('r.code', '=', 'exposure_to_violence').execute());

  it('asks about a child whose friend, or friend\'s friend, was stabbed in the last 125 days, never disclosing a link from an entry the reader may not see', async () => {
    const w = await world();
    const [ben, amir, dani, eli, hana, gus, fay] = [await w.person('Ben'), await w.person('Amir'), await w.person('Dani'), await w.person('Eli'), await w.person('Hana'), await w.person('Gus'), await w.person('Fay')];
    // Ben - Amir - Dani - Eli: one, two and three steps. Hana is Ben's friend only in a restricted police entry. Fay's friend Gus was stabbed 200 days ago.
    const secret = await entry(t.db, { organisationId: w.police.id, type: 'group_violence_association_concern', people: [{ personId: hana, role: 'subject' }, { personId: ben, role: 'associate' }], occurredAt: ago(40), summary: 'Synthetic: seen together', restricted: true });
    await t.db.insertInto('person_relationship').values([w.rel(ben, amir), w.rel(dani, amir), w.rel(eli, dani), w.rel(hana, ben, secret), w.rel(fay, gus)]).execute();
    await drainOutbox(t.db);
    await entry(t.db, { organisationId: w.police.id, type: 'victim_of_serious_violence', people: [{ personId: gus, role: 'subject' }], occurredAt: ago(200), summary: 'Synthetic: stabbed in the arm' });
    const stabbing = await entry(t.db, { organisationId: w.police.id, type: 'victim_of_serious_violence', people: [{ personId: ben, role: 'subject' }], occurredAt: ago(10), summary: 'Synthetic: stabbed in the leg near the shops' });
    await drainOutbox(t.db);

    const [forAmir, forDani, forHana] = [await considered(amir), await considered(dani), await considered(hana)];
    expect(forAmir).toHaveLength(1);
    expect(forAmir[0]!.explanation).toMatch(/^Someone one step from this child in their network was a victim of a stabbing on \d{4}-\d\d-\d\d, within the last 125 days\.$/);
    expect(forDani[0]!.explanation).toContain('two steps');
    expect(forHana).toHaveLength(1);
    expect(await considered(eli)).toEqual([]);
    expect(await considered(fay)).toEqual([]);
    expect(await considered(ben)).toEqual([]);
    // The evidence is Ben's record of the stabbing; a second delivery raises nothing again.
    expect((await t.db.selectFrom('consideration').select('matched_event_ids').where('id', '=', forAmir[0]!.id).executeTakeFirstOrThrow()).matched_event_ids).toEqual([stabbing]);
    expect((await runRulesFor(t.db, [ben])).alreadyRaised).toBeGreaterThanOrEqual(3);
    expect(await considered(amir)).toHaveLength(1);

    // The worker reads how Amir and Dani are linked to Ben, with evidence and reliability.
    const s = await signIn(t.app, w.worker.email);
    const a = await page(s.cookie, `/considerations/${forAmir[0]!.id}`);
    expect(a.statusCode).toBe(200);
    expect(a.body).toContain(`One step from Ben Exp${tag}`);
    expect(a.body).toContain('Friend');
    expect(a.body).toContain('graded 2B');
    const d = await page(s.cookie, `/considerations/${forDani[0]!.id}`);
    expect(d.body).toContain(`Two steps from Ben Exp${tag}`);
    expect(d.body).toContain(`Amir Exp${tag} and Ben Exp${tag}`);
    // Hana's link to Ben is in a restricted police entry: the worker is told a link exists, never whom or from what.
    const h = await page(s.cookie, `/considerations/${forHana[0]!.id}`);
    expect(h.statusCode).toBe(200);
    expect(h.body).toContain('runs through records you may not see in full');
    expect(h.body).not.toContain(`Ben Exp${tag}`);
    expect(h.body).not.toContain('Synthetic: seen together');
    // Someone of another partnership: not found.
    const stranger = await makeUser(t.db, { organisationId: (await makeOrg(t.db, 'childrens_social_care', `Elsewhere ${tag}`)).id });
    expect((await page((await signIn(t.app, stranger.email)).cookie, `/considerations/${forAmir[0]!.id}`)).statusCode).toBe(404);

    // The fairness page measures the rule with every other.
    const analyst = await makeUser(t.db, { organisationId: w.csc.id, roles: ['analyst'] });
    const f = await page((await signIn(t.app, analyst.email)).cookie, '/fairness');
    expect(f.statusCode).toBe(200);
    const at = f.body.indexOf('<h2 class="govuk-heading-m">Critical moment: exposure to serious violence through the network</h2>');
    expect(at).toBeGreaterThan(0);
    expect(f.body.slice(at, f.body.indexOf('<h2', at + 10))).toContain('Children considered: fewer than 5');

    // The cohort of Ben's stabbing, cut at two: Ben (named) first, then a friend one step away; the rest are counted.
    const incident = await t.db.selectFrom('incident_entry').select('incident_id').where('event_id', '=', stabbing).executeTakeFirstOrThrow();
    const full = await cohortOf(t.db, { kind: 'partnership', purpose: 'critical_moment' }, incident.incident_id);
    const cut = await cohortOf(t.db, { kind: 'partnership', purpose: 'critical_moment' }, incident.incident_id, 2);
    expect([...cut.keys()][0]).toBe(ben);
    expect(cut.size).toBe(2);
    expect(cut.leftOut).toBe(full.size - 2);
    expect(full.leftOut).toBe(0);
  });

  it('makes welfare checks for the capped cohort only', async () => {
    const w = await world();
    const [ivy, jo, kit, lou] = [await w.person('Ivy'), await w.person('Jo'), await w.person('Kit'), await w.person('Lou')];
    await t.db.insertInto('person_relationship').values([w.rel(ivy, jo), w.rel(ivy, kit), w.rel(kit, lou)]).execute();
    // Recorded long after it happened: the outbox links it but starts no response; the response is asked for here, cut at two.
    const shooting = await entry(t.db, { organisationId: w.police.id, type: 'victim_of_serious_violence', people: [{ personId: ivy, role: 'subject' }], occurredAt: ago(90), summary: 'Synthetic: shot in the leg' });
    await drainOutbox(t.db);
    const incident = await t.db.selectFrom('incident_entry').select('incident_id').where('event_id', '=', shooting).executeTakeFirstOrThrow();
    expect(await t.db.selectFrom('welfare_check').select('id').where('incident_id', '=', incident.incident_id).execute()).toEqual([]);
    const made = await respondToIncident(t.db, incident.incident_id, ago(89), 2);
    expect(made).toHaveLength(2);
    const checked = (await t.db.selectFrom('welfare_check').select('person_id').where('incident_id', '=', incident.incident_id).execute()).map((c) => c.person_id);
    expect(checked).toContain(ivy);
    expect(checked).not.toContain(lou);
  });

  it('says on the incident page how many children were left out beyond the cap, and why', async () => {
    const w = await world();
    const zed = await w.person('Zed');
    const school = await t.db.insertInto('place').values({ kind: 'school', name: `Exposham Academy ${tag}`, borough }).returning('id').executeTakeFirstOrThrow();
    // 201 classmates of the same school year: with Zed, two more than the cap.
    const classmates = (await sql<{ id: string }>`INSERT INTO person (date_of_birth, sex, ethnicity) SELECT '2010-07-01', 'female', 'WBRI' FROM generate_series(1, ${COHORT_CAP + 1}) RETURNING id`.execute(t.db)).rows;
    await t.db.insertInto('person_place').values([zed, ...classmates.map((c) => c.id)].map((id) => ({ person_id: id, place_id: school.id, kind: 'enrolled', recorded_by_organisation_id: w.csc.id, valid_from: '2021-09-01' }))).execute();
    await entry(t.db, { organisationId: w.police.id, type: 'victim_of_serious_violence', people: [{ personId: zed, role: 'subject' }], occurredAt: ago(100), summary: 'Synthetic: stabbed in the hand' });
    await drainOutbox(t.db);
    const incident = await t.db.selectFrom('incident_entry as ie').innerJoin('event_person as ep', 'ep.event_id', 'ie.event_id').select('ie.incident_id').where('ep.person_id', '=', zed).executeTakeFirstOrThrow();
    const res = await page((await signIn(t.app, w.officer.email)).cookie, `/incidents/${incident.incident_id}`);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(`2 more children were found and left out: the cohort stops at the ${COHORT_CAP} closest children`);
  });

  it('lists the links between children on a panel\'s agenda, with evidence and reliability, never one from an entry the reader may not see', async () => {
    const w = await world();
    const coordinator = await makeUser(t.db, { organisationId: w.csc.id, roles: ['panel_coordinator'] });
    const { partnership_id: partnershipId } = await t.db.selectFrom('app_user').select('partnership_id').where('id', '=', coordinator.id).executeTakeFirstOrThrow();
    const actor: Extract<Actor, { kind: 'user' }> = { kind: 'user', userId: coordinator.id, name: coordinator.name, email: coordinator.email, organisationId: w.csc.id, organisationName: w.csc.name, teamId: null, roles: ['panel_coordinator'], partnershipId };
    const [mo, nia, oz] = [await w.person('Mo'), await w.person('Nia'), await w.person('Oz')];
    await involve(t.db, { personId: mo, organisationId: w.csc.id, userId: coordinator.id });
    const secret = await entry(t.db, { organisationId: w.police.id, type: 'group_violence_association_concern', people: [{ personId: nia, role: 'subject' }, { personId: oz, role: 'associate' }], occurredAt: ago(20), summary: 'Synthetic: seen together late at night', restricted: true });
    await t.db.insertInto('person_relationship').values([w.rel(mo, nia), { ...w.rel(nia, oz, secret), kind: 'associate' }]).execute();
    const type = await t.db.insertInto('panel_type').values({ partnership_id: partnershipId, kind: 'mace', name: 'MACE', cadence_days: 28 }).returning('id').executeTakeFirstOrThrow();
    await t.db.insertInto('panel_referral').values([mo, nia, oz].map((p) => ({ person_id: p, partnership_id: partnershipId, source: 'practitioner', reason: 'Synthetic referral' }))).execute();
    const made = await t.db.transaction().execute((trx) => createMeeting(trx, actor, { panelTypeId: type.id, heldAt: new Date(Date.now() + 3 * DAY) }, { route: 'test', requestId: 'test' }));
    if (!made.ok) throw new Error('meeting not made');
    const s = await signIn(t.app, coordinator.email);
    const res = await page(s.cookie, `/panels/meetings/${made.meetingId}`);
    expect(res.statusCode).toBe(200);
    // Oz is a child the coordinator may see (on the agenda): only his link is withheld.
    expect(res.body).toContain(`href="/people/${oz}"`);
    const links = res.body.slice(res.body.indexOf('5. Links between children on the agenda'), res.body.indexOf('6. Places and themes'));
    expect(links).toMatch(new RegExp(`(Mo Exp${tag} and Nia Exp${tag}|Nia Exp${tag} and Mo Exp${tag})`));
    expect(links).toContain('Friend');
    expect(links).toContain('graded 2B');
    expect(links).not.toContain(`Oz Exp${tag}`);
    // Another partnership's coordinator: not found.
    const other = await makeUser(t.db, { organisationId: (await makeOrg(t.db, 'childrens_social_care', `Otherside ${tag}`)).id, roles: ['panel_coordinator'] });
    expect((await page((await signIn(t.app, other.email)).cookie, `/panels/meetings/${made.meetingId}`)).statusCode).toBe(404);
  });
});
