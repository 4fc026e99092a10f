import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { evaluateRule, oneRecordPerIncident, type RuleEvent } from '../../../domain/rules/evaluate.js';
import type { RuleDefinition } from '../../../domain/rules/rule-language.js';
import { drainOutbox } from '../../../../test/drain-outbox.js';
import { writeEntry } from '../../../../test/entries.js';
import { makeOrg, makePerson, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';

// One happening recorded by several agencies is one incident: police and A&E recording one stabbing
// are linked automatically (person, kind and time agree), a record the automatic link misses is linked
// by hand, and the rules count incidents, not records: "a second stabbing within a year" waits for a
// second stabbing.

const SECOND_INJURY: RuleDefinition = { kind: 'critical_moment', match: { eventTypes: ['ae_attendance_stab_wound', 'victim_of_serious_violence'] }, atLeast: 2, withinDays: 365 };
const hoursAgo = (h: number) => new Date(Date.now() - h * 3_600_000);

describe('counting incidents, not records (pure)', () => {
  const police: RuleEvent = { id: 'a', eventTypeCode: 'victim_of_serious_violence', occurredAt: hoursAgo(30), factors: [], summary: 'Stabbed in the thigh outside the station' };
  const hospital: RuleEvent = { id: 'b', eventTypeCode: 'ae_attendance_stab_wound', occurredAt: hoursAgo(28), factors: [] };
  const later: RuleEvent = { id: 'c', eventTypeCode: 'ae_attendance_stab_wound', occurredAt: hoursAgo(2), factors: [] };

  it('takes two agencies\' records of one stabbing as one, and a stabbing a day later as another', () => {
    expect(oneRecordPerIncident([police, hospital]).map((e) => e.id)).toEqual(['a']);
    expect(evaluateRule(SECOND_INJURY, [police, hospital], new Date())).toBeNull();
    expect(evaluateRule(SECOND_INJURY, [police, hospital, later], new Date())?.eventIds).toEqual(['a', 'c']);
  });

  it('keeps records linked into different incidents apart, and joins records linked into one whatever their times', () => {
    const apart = [{ ...police, incidentId: 'i1' }, { ...hospital, incidentId: 'i2' }];
    expect(oneRecordPerIncident(apart).map((e) => e.id)).toEqual(['a', 'b']);
    const byHand = [{ ...police, incidentId: 'i1' }, { ...later, incidentId: 'i1' }];
    expect(oneRecordPerIncident(byHand).map((e) => e.id)).toEqual(['a']);
  });
});

describe(`incidents from several agencies on ${TEST_ENGINE}`, () => {
  const t = useTestApp();
  const tag = randomUUID().slice(0, 6);
  const borough = `Incidentbury ${tag}`;

  const considerations = async (personId: string) => (await t.db.selectFrom('consideration as c')
    .innerJoin('rule_version as v', 'v.id', 'c.rule_version_id').innerJoin('rule as r', 'r.id', 'v.rule_id')
    .select('r.code').where('c.person_id', '=', personId).execute()).map((r) => r.code);

  it('links police and A&E records of one stabbing into one incident, fires "a second stabbing" only on a second one, and links a missed record by hand', async () => {
    const police = await makeOrg(t.db, 'police', borough);
    const hospital = await makeOrg(t.db, 'acute_hospital', borough);
    const csc = await makeOrg(t.db, 'childrens_social_care', borough);
    const worker = await makeUser(t.db, { organisationId: csc.id });
    const child = await makePerson(t.db, { given: 'Incident', family: `Child${tag}` });
    await t.db.insertInto('person_address').values({ person_id: child.id, line1: '2 Synthetic Lane', borough, valid_from: '2020-01-01' }).execute();
    await t.db.insertInto('involvement').values({ person_id: child.id, organisation_id: csc.id, user_id: worker.id, role: 'key_worker', started_on: '2024-01-01' }).execute();

    const first = await writeEntry(t.db, { personId: child.id, organisationId: police.id, eventTypeCode: 'victim_of_serious_violence', occurredAt: hoursAgo(50), summary: 'Synthetic: stabbed in the thigh near the station', role: 'victim' });
    const second = await writeEntry(t.db, { personId: child.id, organisationId: hospital.id, eventTypeCode: 'ae_attendance_stab_wound', occurredAt: hoursAgo(48), summary: 'Synthetic: attended with a stab wound to the thigh', role: 'subject' });
    await drainOutbox(t.db);
    const incidents = await t.db.selectFrom('incident_entry').select(['incident_id', 'event_id', 'linked_by']).where('event_id', 'in', [first.id, second.id]).execute();
    expect(incidents).toHaveLength(2);
    expect(new Set(incidents.map((i) => i.incident_id)).size).toBe(1);
    expect(incidents.every((i) => i.linked_by === 'automatic')).toBe(true);
    expect(await considerations(child.id)).not.toContain('second_serious_injury');

    // A second stabbing a week later is a second incident, and the rule fires.
    const third = await writeEntry(t.db, { personId: child.id, organisationId: hospital.id, eventTypeCode: 'ae_attendance_stab_wound', occurredAt: hoursAgo(2), summary: 'Synthetic: attended with a stab wound to the arm', role: 'subject' });
    await drainOutbox(t.db);
    const thirdIncident = await t.db.selectFrom('incident_entry').select('incident_id').where('event_id', '=', third.id).executeTakeFirstOrThrow();
    expect(thirdIncident.incident_id).not.toBe(incidents[0]!.incident_id);
    expect(await considerations(child.id)).toContain('second_serious_injury');

    // A later police record about the first stabbing, which the automatic link does not take, is linked by hand.
    const late = await writeEntry(t.db, { personId: child.id, organisationId: police.id, eventTypeCode: 'police_welfare_concern', occurredAt: hoursAgo(10), summary: 'Synthetic: follow-up visit about the attack near the station', role: 'subject' });
    await drainOutbox(t.db);
    expect(await t.db.selectFrom('incident_entry').select('incident_id').where('event_id', '=', late.id).execute()).toEqual([]);
    const s = await signIn(t.app, worker.email);
    const form = (fields: Record<string, string>) => t.app.inject({
      method: 'POST', url: `/incidents/${incidents[0]!.incident_id}/entries`, headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: s.csrf, ...fields }).toString(),
    });
    const bad = await form({ eventId: 'not-a-reference' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Enter the reference of an entry you can see in full');
    expect((await form({ eventId: late.id })).statusCode).toBe(303);
    expect((await t.db.selectFrom('incident_entry').select(['incident_id', 'linked_by', 'linked_by_user_id']).where('event_id', '=', late.id).executeTakeFirstOrThrow()))
      .toEqual({ incident_id: incidents[0]!.incident_id, linked_by: 'manual', linked_by_user_id: worker.id });
    // Already in an incident: refused with the reason.
    const again = await form({ eventId: third.id });
    expect(again.statusCode).toBe(400);
    expect(again.body).toContain('That entry is already part of an incident');
    // Someone who sees none of the incident's records is told it does not exist.
    const stranger = await makeUser(t.db, { organisationId: (await makeOrg(t.db, 'housing', `Elsewhere ${tag}`)).id });
    const o = await signIn(t.app, stranger.email);
    const refused = await t.app.inject({
      method: 'POST', url: `/incidents/${incidents[0]!.incident_id}/entries`, headers: { cookie: o.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: o.csrf, eventId: late.id }).toString(),
    });
    expect(refused.statusCode).toBe(404);
  });
});
