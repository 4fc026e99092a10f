import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { Kysely } from 'kysely';
import type { Database } from '../../src/db/database.js';
import { appendEntries } from '../../src/server/modules/chronology/commands/append-entry.js';
import { drainOutbox } from '../drain-outbox.js';
import { makeOrg, makePerson, makeTeam, makeUser, signIn, TEST_ENGINE, useTestApp } from '../helpers.js';

// Contextual safeguarding across borough lines (issue: peers, places, groups, critical moments).
// A child lives in borough A; the youth centre he goes to, his friends and the police who know his
// rival are in borough B. A's social worker sees the links B's agencies recorded, each with its
// evidence, but a restricted police entry gives her no edge and no cohort reason. When a friend of his
// is killed, the affected cohort lists the expected children with their reasons, each gets a welfare
// check (his from his lead professional, the others from B's front door), and completing them is tracked.

/** Writes one entry naming several people through the chronology's one writer. */
async function entry(db: Kysely<Database>, opts: {
  organisationId: string; type: string; people: { personId: string; role: string }[]; occurredAt: Date; summary: string;
  restricted?: boolean; placeId?: string;
}): Promise<string> {
  const type = await db.selectFrom('event_type').select(['code', 'vocabulary_version']).where('code', '=', opts.type).executeTakeFirstOrThrow();
  return db.transaction().execute(async (trx) => {
    const [e] = await appendEntries(trx, [{
      organisationId: opts.organisationId, eventTypeCode: type.code, vocabularyVersion: type.vocabulary_version, occurredAt: opts.occurredAt, occurredPrecision: 'time',
      recordedByUserId: null, apiKeyId: null, recordedVia: 'api', sourceSystem: 'TestSystem', sourceRecordId: randomUUID(), summary: opts.summary,
      narrative: null, place: null, factorCodes: [], sensitivity: opts.restricted ? 'restricted' : 'standard', reliability: 'reported', supersedes: null, correctionReason: null,
      restriction: opts.restricted ? { contact: 'the exploitation team duty desk', reason: 'Live operation' } : null,
      people: opts.people, audit: null,
    }]);
    if (opts.placeId) await trx.insertInto('event_place').values({ event_id: e!.id, place_id: opts.placeId }).execute();
    return e!.id;
  });
}

describe(`contextual safeguarding across boroughs on ${TEST_ENGINE}`, () => {
  const t = useTestApp();
  const tag = randomUUID().slice(0, 6);
  const [A, B] = [`Ashmoor ${tag}`, `Brookfell ${tag}`];
  const days = (n: number) => new Date(Date.now() - n * 86_400_000);

  const form = (cookie: string, url: string, fields: Record<string, string>) => t.app.inject({
    method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString(),
  });
  const page = async (cookie: string, url: string) => t.app.inject({ method: 'GET', url, headers: { cookie } });

  it('shows A\'s worker the links B recorded, never one from an entry she may not see; a homicide\'s cohort gets welfare checks, tracked to done', async () => {
    const cscA = await makeOrg(t.db, 'childrens_social_care', A);
    const worker = await makeUser(t.db, { organisationId: cscA.id });
    const youthCentre = await makeOrg(t.db, 'youth_centre', B);
    const police = await makeOrg(t.db, 'police', B);
    const officer = await makeUser(t.db, { organisationId: police.id });
    const cscB = await makeOrg(t.db, 'childrens_social_care', B);
    const doorTeam = await makeTeam(t.db, cscB.id);
    const doorManager = await makeUser(t.db, { organisationId: cscB.id, teamId: doorTeam.id, roles: ['team_manager'] });
    const partnershipB = (await t.db.selectFrom('partnership_area').select('partnership_id').where('borough', '=', B).executeTakeFirstOrThrow()).partnership_id;
    await t.db.insertInto('partnership_front_door').values({ partnership_id: partnershipB, organisation_id: cscB.id, team_id: doorTeam.id })
      .onConflict((oc) => oc.column('partnership_id').doUpdateSet({ organisation_id: cscB.id, team_id: doorTeam.id })).execute();

    const person = async (given: string, borough: string, dob = '2009-03-10') => {
      const p = await makePerson(t.db, { given, family: `Net${tag}`, dob });
      await t.db.insertInto('person_address').values({ person_id: p.id, line1: '1 Synthetic Row', borough, valid_from: '2020-01-01' }).execute();
      return p.id;
    };
    const kai = await person('Kai', A);
    const pete = await person('Pete', B);        // friend of Kai, at the youth centre
    const priya = await person('Priya', B);      // named with Kai at the youth centre
    const rio = await person('Rio', B);          // a rival known only from a restricted police entry
    const victor = await person('Victor', B);    // killed
    const sian = await person('Sian', B);        // Victor's sister
    const cole = await person('Cole', B);        // Victor's classmate (same school year)
    const older = await person('Olly', B, '2007-02-01'); // same school, another year: not a classmate
    await t.db.insertInto('involvement').values({ person_id: kai, organisation_id: cscA.id, user_id: worker.id, role: 'lead_professional', started_on: '2024-01-01' }).execute();

    const hub = await t.db.insertInto('place').values({ kind: 'youth_centre', name: `Brookfell Youth Hub ${tag}`, postcode: 'BF1 2AB', ward: 'Riverside', borough: B, recorded_by_organisation_id: youthCentre.id }).returning('id').executeTakeFirstOrThrow();
    const school = await t.db.insertInto('place').values({ kind: 'school', name: `Brookfell Academy ${tag}`, borough: B }).returning('id').executeTakeFirstOrThrow();
    await t.db.insertInto('person_place').values([
      { person_id: kai, place_id: hub.id, kind: 'attends', recorded_by_organisation_id: youthCentre.id, valid_from: '2025-01-01' },
      { person_id: pete, place_id: hub.id, kind: 'attends', recorded_by_organisation_id: youthCentre.id, valid_from: '2025-01-01' },
      { person_id: victor, place_id: hub.id, kind: 'attends', recorded_by_organisation_id: youthCentre.id, valid_from: '2025-01-01' },
      { person_id: victor, place_id: school.id, kind: 'enrolled', recorded_by_organisation_id: cscB.id, valid_from: '2020-09-01' },
      { person_id: cole, place_id: school.id, kind: 'enrolled', recorded_by_organisation_id: cscB.id, valid_from: '2020-09-01' },
      { person_id: older, place_id: school.id, kind: 'enrolled', recorded_by_organisation_id: cscB.id, valid_from: '2018-09-01' },
    ]).execute();
    await t.db.insertInto('person_relationship').values([
      { person_id: kai, related_person_id: pete, kind: 'friend', recorded_by_organisation_id: youthCentre.id, grading: '2B', valid_from: null, valid_to: null, source_event_id: null, recorded_by_user_id: null, note: null },
      { person_id: victor, related_person_id: kai, kind: 'friend', recorded_by_organisation_id: youthCentre.id, grading: null, valid_from: null, valid_to: null, source_event_id: null, recorded_by_user_id: null, note: null },
      { person_id: sian, related_person_id: victor, kind: 'sibling', recorded_by_organisation_id: cscB.id, grading: null, valid_from: null, valid_to: null, source_event_id: null, recorded_by_user_id: null, note: null },
    ]).execute();
    // The youth centre records Kai and Priya together at the hub.
    await entry(t.db, { organisationId: youthCentre.id, type: 'youth_club_attendance', people: [{ personId: kai, role: 'subject' }, { personId: priya, role: 'associate' }], occurredAt: days(40), summary: 'Synthetic: Kai and Priya at the evening session', placeId: hub.id });
    // The police know Kai's and Victor's rival only from a restricted entry: the relationship's source is that entry.
    const secret = await entry(t.db, { organisationId: police.id, type: 'group_violence_association_concern', people: [{ personId: kai, role: 'subject' }, { personId: victor, role: 'associate' }, { personId: rio, role: 'associate' }], occurredAt: days(30), summary: 'Synthetic: rivalry between groups', restricted: true });
    await t.db.insertInto('person_relationship').values([
      { person_id: rio, related_person_id: kai, kind: 'rival', source_event_id: secret, recorded_by_organisation_id: police.id, grading: '2B', valid_from: null, valid_to: null, recorded_by_user_id: null, note: null },
      { person_id: rio, related_person_id: victor, kind: 'rival', source_event_id: secret, recorded_by_organisation_id: police.id, grading: '2B', valid_from: null, valid_to: null, recorded_by_user_id: null, note: null },
    ]).execute();
    await drainOutbox(t.db);

    // A's worker: the links in borough B, with evidence and reliability; nothing from the restricted entry.
    const a = await signIn(t.app, worker.email);
    const net = await page(a.cookie, `/people/${kai}/network?steps=2`);
    expect(net.statusCode).toBe(200);
    expect(net.body).toContain(`Pete Net${tag}`);
    expect(net.body).toContain('Friend');
    expect(net.body).toContain('graded 2B');
    expect(net.body).toContain(`Priya Net${tag}`);
    expect(net.body).toContain('Named together in an entry');
    expect(net.body).toContain(`Brookfell Youth Hub ${tag}`);
    expect(net.body).toContain(`Victor Net${tag}`);
    expect(net.body).not.toContain(`Rio Net${tag}`);
    expect(net.body).not.toContain('govuk-table__cell">Rival');
    // Two steps: Victor's sister, through Victor.
    expect(net.body).toContain(`Sian Net${tag}`);
    // A measure over what she may see, in words about Kai alone: he links groups that are otherwise apart
    // (Pete and Victor, who attend the same youth hub, are one group; Priya, named with him, another).
    expect(net.body).toContain(`Within what you may see, Kai Net${tag} links 2 groups of people that are otherwise apart`);
    // The officer whose organisation recorded it sees the rival, from the entry.
    const o = await signIn(t.app, officer.email);
    // (The officer has no relationship with Kai: the network page is refused as missing.)
    expect((await page(o.cookie, `/people/${kai}/network`)).statusCode).toBe(404);
    // Every person shown is on their own access log.
    const logged = await t.db.selectFrom('access_log').select(['person_id', 'detail']).where('user_id', '=', worker.id).where('action', '=', 'network.read').execute();
    expect(logged.map((l) => l.person_id)).toEqual([kai]);
    expect(new Set((logged[0]!.detail as { personIds: string[] }).personIds)).toEqual(new Set([pete, priya, victor, sian]));
    // One step cannot show whether the people around him are linked: no prompt there.
    expect((await page(a.cookie, `/people/${kai}/network?steps=1`)).body).not.toContain('otherwise apart');

    // The place's view: children linked, and when things happen there.
    const place = await page(a.cookie, `/places/${hub.id}`);
    expect(place.statusCode).toBe(200);
    expect(place.body).toContain(`Kai Net${tag}`);
    expect(place.body).not.toContain(`Priya Net${tag}`);
    expect(place.body).toContain('3 other children are linked to this place');
    expect(place.body).toContain('Entries at this place you may see (1)');

    // A peer group's page: members over time, named only to someone who may see them; a group that does not exist is refused as missing.
    const group = await t.db.insertInto('peer_group').values({ name: `Hub group ${tag}`, borough: B, recorded_by_organisation_id: youthCentre.id }).returning('id').executeTakeFirstOrThrow();
    await t.db.insertInto('peer_group_member').values([
      { group_id: group.id, person_id: kai, recorded_by_organisation_id: youthCentre.id, valid_from: '2025-01-01' },
      { group_id: group.id, person_id: pete, recorded_by_organisation_id: youthCentre.id, valid_from: '2025-01-01' },
      { group_id: group.id, person_id: rio, source_event_id: secret, recorded_by_organisation_id: police.id, valid_from: '2025-01-01' },
    ]).execute();
    const groupPage = await page(a.cookie, `/groups/${group.id}`);
    expect(groupPage.statusCode).toBe(200);
    expect(groupPage.body).toContain(`Kai Net${tag}`);
    expect(groupPage.body).toContain('1 other member is recorded');
    expect((await page(a.cookie, `/groups/${randomUUID()}`)).statusCode).toBe(404);

    // Victor is killed: the police record the homicide, naming a witness.
    const homicide = await entry(t.db, { organisationId: police.id, type: 'homicide', people: [{ personId: victor, role: 'victim' }, { personId: pete, role: 'witness' }], occurredAt: days(1), summary: 'Synthetic: fatal stabbing outside the hub' });
    await drainOutbox(t.db);
    const incident = await t.db.selectFrom('incident_entry as ie').innerJoin('incident as i', 'i.id', 'ie.incident_id').select(['i.id', 'i.kind', 'i.serious']).where('ie.event_id', '=', homicide).executeTakeFirstOrThrow();
    expect(incident).toMatchObject({ kind: 'homicide', serious: true });

    // Each child of the cohort (everything, as the partnership) has a welfare check; Victor, who died, has none.
    const checks = await t.db.selectFrom('welfare_check').select(['id', 'person_id', 'assignee_user_id', 'front_door_organisation_id', 'status']).where('incident_id', '=', incident.id).execute();
    const checked = new Map(checks.map((c) => [c.person_id, c]));
    expect(new Set(checked.keys())).toEqual(new Set([kai, pete, sian, cole, rio]));
    expect(checked.get(kai)).toMatchObject({ assignee_user_id: worker.id, front_door_organisation_id: null, status: 'open' });
    expect(checked.get(sian)).toMatchObject({ assignee_user_id: null, front_door_organisation_id: cscB.id });
    // They reach people through the alerts: the lead professional, and the front door's manager.
    const alerts = await t.db.selectFrom('alert').select(['recipient_user_id', 'person_id', 'kind']).where('welfare_check_id', 'in', checks.map((c) => c.id)).execute();
    expect(alerts.filter((x) => x.recipient_user_id === worker.id)).toEqual([{ recipient_user_id: worker.id, person_id: kai, kind: 'welfare_check' }]);
    expect(new Set(alerts.filter((x) => x.recipient_user_id === doorManager.id).map((x) => x.person_id))).toEqual(new Set([pete, sian, cole, rio]));
    const alertsPage = await page(a.cookie, '/alerts');
    expect(alertsPage.body).toContain('A welfare check is asked after a serious incident');
    // A second delivery of the same work adds nothing.
    await drainOutbox(t.db);
    expect((await t.db.selectFrom('welfare_check').select('id').where('incident_id', '=', incident.id).execute()).length).toBe(5);

    // The cohort as A's worker sees it: each child with their reasons; the rival is not there, and no reason she reads comes from the restricted entry.
    const cohortA = await page(a.cookie, `/incidents/${incident.id}`);
    expect(cohortA.statusCode).toBe(200);
    expect(cohortA.body).toContain(`Friend or associate of Victor Net${tag}`);            // Kai
    expect(cohortA.body).toContain(`Sibling of Victor Net${tag}`);                        // Sian
    expect(cohortA.body).toContain(`Classmate of Victor Net${tag}`);                      // Cole
    expect(cohortA.body).toContain(`Goes to the same youth provision as Victor Net${tag}`); // Kai and Pete
    expect(cohortA.body).toContain('Named in the incident as witness');                   // Pete
    expect(cohortA.body).not.toContain(`Olly Net${tag}`);
    expect(cohortA.body).not.toContain(`Rio Net${tag}`);
    expect(cohortA.body).not.toContain('Rival of');
    expect(cohortA.body).toContain('Support for children who grieve');
    // The police, who recorded the restricted entry, see the rival and why.
    const cohortPolice = await page(o.cookie, `/incidents/${incident.id}`);
    expect(cohortPolice.body).toContain(`Rio Net${tag}`);
    expect(cohortPolice.body).toContain(`Rival of (retaliation risk) Victor Net${tag}`);
    // Someone who sees none of its entries is told it does not exist.
    const stranger = await makeUser(t.db, { organisationId: (await makeOrg(t.db, 'housing', A)).id });
    const s = await signIn(t.app, stranger.email);
    expect((await page(s.cookie, `/incidents/${incident.id}`)).statusCode).toBe(404);
    expect((await page(s.cookie, `/welfare-checks/${checked.get(kai)!.id}`)).statusCode).toBe(404);
    expect((await form(s.cookie, `/welfare-checks/${checked.get(kai)!.id}/complete`, { _csrf: s.csrf, outcome: 'Trying to close a check that is not mine' })).statusCode).toBe(404);

    // Completing the checks is tracked.
    expect(cohortA.body).toContain('Welfare checks done: 0 of 4');
    const tooShort = await form(a.cookie, `/welfare-checks/${checked.get(kai)!.id}/complete`, { _csrf: a.csrf, outcome: 'ok' });
    expect(tooShort.statusCode).toBe(400);
    expect(tooShort.body).toContain('Say how the child is and what was done, in at least 10 characters');
    const done = await form(a.cookie, `/welfare-checks/${checked.get(kai)!.id}/complete`, { _csrf: a.csrf, outcome: 'Seen at home with his mother; shaken, offered bereavement support.' });
    expect(done.statusCode).toBe(303);
    const m = await signIn(t.app, doorManager.email);
    expect((await form(m.cookie, `/welfare-checks/${checked.get(sian)!.id}/complete`, { _csrf: m.csrf, outcome: 'Visited with the school nurse; family support in place.' })).statusCode).toBe(303);
    expect((await page(a.cookie, `/incidents/${incident.id}`)).body).toContain('Welfare checks done: 2 of 4');
    const after = await t.db.selectFrom('welfare_check').select(['person_id', 'status', 'completed_by_user_id']).where('incident_id', '=', incident.id).where('status', '=', 'done').execute();
    expect(new Set(after.map((x) => x.person_id))).toEqual(new Set([kai, sian]));
    // The front door's manager puts the cohort on the next panel's agenda: the children she may see the reasons for, with a check.
    const referred = await form(m.cookie, `/incidents/${incident.id}/refer`, { _csrf: m.csrf });
    expect(referred.statusCode).toBe(303);
    const referrals = await t.db.selectFrom('panel_referral').select(['person_id', 'source', 'reason']).where('person_id', 'in', [kai, pete, sian, cole, rio, victor]).execute();
    expect(new Set(referrals.map((x) => x.person_id))).toEqual(new Set([kai, pete, sian, cole]));
    expect(referrals.every((x) => x.source === 'critical_moment' && x.reason.startsWith('Critical-moment cohort after a homicide'))).toBe(true);
    // Referring again adds nothing; a practitioner may not refer.
    expect((await form(m.cookie, `/incidents/${incident.id}/refer`, { _csrf: m.csrf })).statusCode).toBe(303);
    expect((await t.db.selectFrom('panel_referral').select('id').where('person_id', 'in', [kai, pete, sian, cole]).execute()).length).toBe(4);
    expect((await form(a.cookie, `/incidents/${incident.id}/refer`, { _csrf: a.csrf })).statusCode).toBe(404);
    const acknowledged = await t.db.selectFrom('alert').select('acknowledged_at').where('welfare_check_id', '=', checked.get(kai)!.id).executeTakeFirstOrThrow();
    expect(acknowledged.acknowledged_at).not.toBeNull();
  });
});
