import { describe, expect, it } from 'vitest';
import { makeRule, recordAs, uniqueBorough } from '../../../../test/considerations-helpers.js';
import { makeEvent, makeOrg, makePerson, makeTeam, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';

const DAY = 86_400_000;

describe(`naming a lead professional routes the next consideration on ${TEST_ENGINE}`, () => {
  // Adds a partnership rule, which would run on other test files' children: a database of its own.
  const t = useTestApp({ isolated: 'allocation' });

  it('after a team manager names a new lead through the page, the next consideration goes to them, not to the previous lead', async () => {
    const borough = uniqueBorough();
    const police = await makeOrg(t.db, 'police', borough);
    const officer = await makeUser(t.db, { organisationId: police.id });
    const school = await makeOrg(t.db, 'school', borough);
    const previousLead = await makeUser(t.db, { organisationId: school.id, roles: ['designated_safeguarding_lead'] });
    const care = await makeOrg(t.db, 'childrens_social_care', borough);
    const team = await makeTeam(t.db, care.id);
    const manager = await makeUser(t.db, { organisationId: care.id, teamId: team.id, roles: ['team_manager'] });
    const newLead = await makeUser(t.db, { organisationId: care.id, teamId: team.id });
    const child = await makePerson(t.db, { given: 'Perrin', family: 'Leadwell' });
    await t.db.insertInto('person_address').values({ person_id: child.id, line1: '3 Test Row', borough, valid_from: '2024-01-01' }).execute();
    await t.db.insertInto('involvement').values({ person_id: child.id, organisation_id: school.id, user_id: previousLead.id, role: 'lead_professional', started_on: '2025-09-01' }).execute();
    await t.db.insertInto('involvement').values({ person_id: child.id, organisation_id: police.id, user_id: officer.id, role: 'key_worker', started_on: '2025-09-01' }).execute();
    await makeEvent(t.db, { personId: child.id, organisationId: care.id, summary: 'Referral received' });
    const rule = await makeRule(t.db, police.id, {
      rationale: 'Seeing serious violence is a critical moment (synthetic test rationale)',
      definition: { kind: 'critical_moment', match: { eventTypes: ['witness_to_serious_violence'] }, withinDays: 60 },
    });

    const s = await signIn(t.app, manager.email);
    const today = new Date();
    const named = await t.app.inject({
      method: 'POST', url: `/people/${child.id}/involvements`, headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({
        _csrf: s.csrf, userId: newLead.id, role: 'lead_professional', note: 'The multi-agency plan names social care as lead from today.',
        'startedOn-day': String(today.getUTCDate()), 'startedOn-month': String(today.getUTCMonth() + 1), 'startedOn-year': String(today.getUTCFullYear()),
      }).toString(),
    });
    expect(named.statusCode, named.body.slice(0, 300)).toBe(303);

    await recordAs(t.db, { id: officer.id, organisationId: police.id }, child.id, 'witness_to_serious_violence', new Date(Date.now() - 2 * DAY));
    const raised = await t.db.selectFrom('consideration').selectAll().where('rule_version_id', '=', rule.ruleVersionId).where('person_id', '=', child.id).execute();
    expect(raised).toHaveLength(1);
    expect(raised[0]).toMatchObject({ recipient_kind: 'lead_professional', recipient_user_id: newLead.id, recipient_organisation_id: care.id });
  });
});
