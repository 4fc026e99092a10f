import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { auditRowsFor, involve, lastAuditId, makeOrg, makePerson, makeTeam, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { makeRule, recordAs, uniqueBorough } from '../../../../test/considerations-helpers.js';
import { runFullPass, runRulesFor } from './run-rules.js';

const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY);

describe(`considerations on ${TEST_ENGINE}`, () => {
  // Adds partnership rules, which would run on every other test's children: a database of its own.
  const t = useTestApp({ isolated: 'considerations' });

  async function world() {
    const borough = uniqueBorough();
    const police = await makeOrg(t.db, 'police', borough);
    const officer = await makeUser(t.db, { organisationId: police.id });
    const school = await makeOrg(t.db, 'school', borough);
    const lead = await makeUser(t.db, { organisationId: school.id, roles: ['designated_safeguarding_lead'] });
    const colleague = await makeUser(t.db, { organisationId: school.id });
    const earlyHelp = await makeOrg(t.db, 'early_help', borough);
    const frontDoor = await makeUser(t.db, { organisationId: earlyHelp.id });
    const child = await makePerson(t.db, { given: 'Corin', family: 'Ashby-Lowe', dob: '2011-03-14' });
    // The child lives in the borough, so the borough's partnership's rules run for them.
    await t.db.insertInto('person_address').values({ person_id: child.id, line1: '2 Test Row', borough, valid_from: '2024-01-01' }).execute();
    await involve(t.db, { personId: child.id, organisationId: police.id, userId: officer.id });
    await t.db.insertInto('involvement').values({ person_id: child.id, organisation_id: school.id, user_id: lead.id, role: 'lead_professional', started_on: '2025-09-01' }).execute();
    const rule = await makeRule(t.db, police.id, {
      rationale: 'Seeing serious violence is a critical moment (synthetic test rationale)',
      definition: { kind: 'critical_moment', match: { eventTypes: ['witness_to_serious_violence'] }, withinDays: 60 },
    });
    return { borough, police, officer, school, lead, colleague, earlyHelp, frontDoor, child, rule };
  }

  const ofRule = (ruleVersionId: string, personId: string) =>
    t.db.selectFrom('consideration').selectAll().where('rule_version_id', '=', ruleVersionId).where('person_id', '=', personId).execute();

  it('raises a consideration for the lead professional when an event completes a pattern, listing exactly the events', async () => {
    const w = await world();
    const before = await lastAuditId(t.db);
    const ev = await recordAs(t.db, { id: w.officer.id, organisationId: w.police.id }, w.child.id, 'witness_to_serious_violence', daysAgo(3));
    const rows = await ofRule(w.rule.ruleVersionId, w.child.id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ matched_event_ids: [ev.id], recipient_kind: 'lead_professional', recipient_user_id: w.lead.id, recipient_organisation_id: w.school.id, created_via: 'event' });
    // The starter rule on witnessing serious violence matches too: one consideration per rule, each in the access log.
    const all = await t.db.selectFrom('consideration').select('id').where('person_id', '=', w.child.id).orderBy('id').execute();
    expect(all.length).toBe(2);
    const audit = (await auditRowsFor(t.db, { since: before, personId: w.child.id })).filter((r) => r.action === 'consideration.create');
    expect(audit.map((r) => [r.user_id, r.route, (r.detail as { considerationId: string }).considerationId]).sort((a, b) => String(a[2]).localeCompare(String(b[2]))))
      .toEqual(all.map((c) => [null, 'rules: new event', c.id]));
  });

  it('answers 401, and 404 with a denied row to anyone it was not sent to', async () => {
    const w = await world();
    await recordAs(t.db, { id: w.officer.id, organisationId: w.police.id }, w.child.id, 'witness_to_serious_violence', daysAgo(3));
    const [c] = await ofRule(w.rule.ruleVersionId, w.child.id);
    expect((await t.app.inject({ method: 'GET', url: `/considerations/${c!.id}` })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'GET', url: '/considerations' })).statusCode).toBe(401);
    for (const user of [w.officer, w.colleague, w.frontDoor]) {
      const s = await signIn(t.app, user.email);
      const before = await lastAuditId(t.db);
      const res = await t.app.inject({ method: 'GET', url: `/considerations/${c!.id}`, headers: { cookie: s.cookie } });
      expect(res.statusCode).toBe(404);
      const rows = await auditRowsFor(t.db, { since: before, userId: user.id });
      expect(rows.map((r) => [r.action, r.outcome, r.person_id])).toEqual([['consideration.read', 'denied', w.child.id]]);
      const list = await t.app.inject({ method: 'GET', url: '/considerations', headers: { cookie: s.cookie } });
      expect(list.body).not.toContain('Ashby-Lowe');
    }
  });

  it('shows the recipient the evidence and rationale, and records their decision once', async () => {
    const w = await world();
    const ev = await recordAs(t.db, { id: w.officer.id, organisationId: w.police.id }, w.child.id, 'witness_to_serious_violence', daysAgo(3));
    const [c] = await ofRule(w.rule.ruleVersionId, w.child.id);
    const s = await signIn(t.app, w.lead.email);
    const before = await lastAuditId(t.db);
    const list = await t.app.inject({ method: 'GET', url: '/considerations', headers: { cookie: s.cookie } });
    expect(list.body).toContain('Corin Ashby-Lowe');
    const page = await t.app.inject({ method: 'GET', url: `/considerations/${c!.id}`, headers: { cookie: s.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Seeing serious violence is a critical moment (synthetic test rationale)');
    expect(page.body).toContain('A synthetic witness to serious violence');
    const post = (fields: Record<string, string>) => t.app.inject({
      method: 'POST', url: `/considerations/${c!.id}/decision`,
      headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: s.csrf, ...fields }).toString(),
    });
    const noService = await post({ decision: 'offer_of_help', service: '' });
    expect(noService.statusCode).toBe(400);
    expect(noService.body).toContain('Enter which service is offering help');
    const noReason = await post({ decision: 'no_action', reason: ' ' });
    expect(noReason.body).toContain('Enter the reason for taking no action');
    expect((await post({ decision: 'offer_of_help', service: 'Youth service mentoring' })).statusCode).toBe(303);
    expect((await post({ decision: 'no_action', reason: 'changed my mind' })).statusCode).toBe(404); // decided once
    const decided = await t.db.selectFrom('consideration_decision').selectAll().where('consideration_id', '=', c!.id).execute();
    expect(decided.map((x) => [x.decision, x.service, x.decided_by_user_id])).toEqual([['offer_of_help', 'Youth service mentoring', w.lead.id]]);
    const rows = await auditRowsFor(t.db, { since: before, userId: w.lead.id });
    expect(rows.map((r) => [r.action, r.outcome, r.person_id])).toEqual([
      ['consideration.list', 'allowed', null],
      ['consideration.read', 'allowed', w.child.id],
      ['offer.record', 'allowed', w.child.id],
      ['consideration.decide', 'allowed', w.child.id],
      ['consideration.decide', 'denied', w.child.id],
    ]);
    // The decision records an offer to be made, referred by the decider (offers/offers.test.ts follows it).
    const offers = await t.db.selectFrom('offer_of_help').select(['service_name', 'referred_by_user_id', 'offered_on']).where('consideration_id', '=', c!.id).execute();
    expect(offers).toEqual([{ service_name: 'Youth service mentoring', referred_by_user_id: w.lead.id, offered_on: null }]);
    expect(rows[1]!.detail).toMatchObject({ considerationId: c!.id, eventIds: [ev.id] });
    // Nothing happened to the child: no new chronology entry, involvement or assessment.
    const entries = await t.db.selectFrom('event_person').select('event_id').where('person_id', '=', w.child.id).execute();
    expect(entries.map((e) => e.event_id)).toEqual([ev.id]);
  });

  it('goes to the early help front door of the child\'s borough when there is no lead professional, or its configured team', async () => {
    const w = await world();
    const other = await makePerson(t.db, { given: 'Ione', family: 'Marchetti' });
    await involve(t.db, { personId: other.id, organisationId: w.police.id, userId: w.officer.id });
    await t.db.insertInto('person_address').values({ person_id: other.id, line1: '1 Test Row', borough: w.borough, valid_from: '2024-01-01' }).execute();
    await recordAs(t.db, { id: w.officer.id, organisationId: w.police.id }, other.id, 'witness_to_serious_violence', daysAgo(5));
    const [c] = await ofRule(w.rule.ruleVersionId, other.id);
    expect(c).toMatchObject({ recipient_kind: 'front_door', recipient_user_id: null, recipient_team_id: null, recipient_organisation_id: w.earlyHelp.id });
    const s = await signIn(t.app, w.frontDoor.email);
    expect((await t.app.inject({ method: 'GET', url: `/considerations/${c!.id}`, headers: { cookie: s.cookie } })).statusCode).toBe(200);

    const team = await makeTeam(t.db, w.earlyHelp.id);
    const area = await t.db.selectFrom('partnership_area').select('partnership_id').where('borough', '=', w.borough).executeTakeFirstOrThrow();
    await t.db.insertInto('partnership_front_door').values({ partnership_id: area.partnership_id, organisation_id: w.earlyHelp.id, team_id: team.id }).execute();
    await recordAs(t.db, { id: w.officer.id, organisationId: w.police.id }, other.id, 'witness_to_serious_violence', daysAgo(1));
    const later = (await ofRule(w.rule.ruleVersionId, other.id)).find((x) => x.id !== c!.id);
    expect(later).toMatchObject({ recipient_kind: 'front_door', recipient_team_id: team.id });
  });

  it('never raises the same evidence twice, on new events or in a full pass', async () => {
    const w = await world();
    await recordAs(t.db, { id: w.officer.id, organisationId: w.police.id }, w.child.id, 'witness_to_serious_violence', daysAgo(10));
    await runRulesFor(t.db, [w.child.id]);
    await runRulesFor(t.db, [w.child.id]);
    await runFullPass(t.db);
    expect(await ofRule(w.rule.ruleVersionId, w.child.id)).toHaveLength(1);
    await recordAs(t.db, { id: w.officer.id, organisationId: w.police.id }, w.child.id, 'witness_to_serious_violence', daysAgo(2));
    expect(await ofRule(w.rule.ruleVersionId, w.child.id)).toHaveLength(2); // a new critical moment is new evidence
  });

  it('keeps past considerations as they were when the rule changes', async () => {
    const w = await world();
    const first = await recordAs(t.db, { id: w.officer.id, organisationId: w.police.id }, w.child.id, 'witness_to_serious_violence', daysAgo(20));
    const [original] = await ofRule(w.rule.ruleVersionId, w.child.id);
    const v2 = await makeRule(t.db, w.police.id, {
      code: w.rule.code, rationale: 'Revised rationale: arrests count too (synthetic)',
      definition: { kind: 'critical_moment', match: { eventTypes: ['witness_to_serious_violence', 'arrest'] }, withinDays: 60 },
    });
    expect(v2.version).toBe(2);
    await runRulesFor(t.db, [w.child.id]);
    expect(await ofRule(v2.ruleVersionId, w.child.id)).toHaveLength(0); // the same evidence is not raised again under the new version
    const arrest = await recordAs(t.db, { id: w.officer.id, organisationId: w.police.id }, w.child.id, 'arrest', daysAgo(1));
    expect((await ofRule(v2.ruleVersionId, w.child.id)).map((c) => c.matched_event_ids)).toEqual([[arrest.id]]);

    const [still] = await ofRule(w.rule.ruleVersionId, w.child.id);
    expect(still).toEqual(original);
    expect(still!.matched_event_ids).toEqual([first.id]);
    await expect(sql`UPDATE consideration SET rule_version_id = ${v2.ruleVersionId} WHERE id = ${original!.id}`.execute(t.db)).rejects.toThrow(/append-only/);
    const s = await signIn(t.app, w.lead.email);
    const page = await t.app.inject({ method: 'GET', url: `/considerations/${original!.id}`, headers: { cookie: s.cookie } });
    expect(page.body).toContain('(version 1)');
    expect(page.body).toContain('Seeing serious violence is a critical moment (synthetic test rationale)');
    expect(page.body).not.toContain('Revised rationale');
  });
});
