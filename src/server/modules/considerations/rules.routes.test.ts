import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { auditRowsFor, lastAuditId, makeOrg, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { decideConsideration, visibleConsiderationIds, type ConsiderationAddress } from './considerations.policy.js';
import type { Actor } from '../../actor.js';

describe(`rules pages on ${TEST_ENGINE}`, () => {
  // Adds partnership rules, which would run on every other test's children: a database of its own.
  const t = useTestApp({ isolated: 'rules' });

  const post = (s: { cookie: string; csrf: string }, fields: Record<string, string>) => t.app.inject({
    method: 'POST', url: '/rules',
    headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: s.csrf, ...fields }).toString(),
  });

  it('shows every rule, with its rationale, to anyone signed in; only the partnership administrator changes them', async () => {
    expect((await t.app.inject({ method: 'GET', url: '/rules' })).statusCode).toBe(401);
    const org = await makeOrg(t.db);
    const worker = await makeUser(t.db, { organisationId: org.id });
    const admin = await makeUser(t.db, { organisationId: org.id, roles: ['partnership_admin'] });
    const s = await signIn(t.app, worker.email);
    const page = await t.app.inject({ method: 'GET', url: '/rules', headers: { cookie: s.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Exclusion followed by missing episodes');
    expect(page.body).toContain('permanent exclusion or suspension, followed within 90 days by 2 or more of missing episode.');
    const before = await lastAuditId(t.db);
    expect((await post(s, { code: 'anything', name: 'x' })).statusCode).toBe(404);
    expect((await auditRowsFor(t.db, { since: before, userId: worker.id })).map((r) => [r.action, r.outcome])).toEqual([['rule.change', 'denied']]);

    const a = await signIn(t.app, admin.email);
    const code = `test_${randomUUID().slice(0, 8)}`;
    const fields = { code, name: 'Test pattern', rationale: 'Synthetic rationale', changeReason: 'Testing', active: 'yes' };
    const badJson = await post(a, { ...fields, definition: '{ kind: ' });
    expect(badJson.statusCode).toBe(400);
    expect(badJson.body).toContain('The definition is not valid JSON');
    const badCode = await post(a, { ...fields, definition: JSON.stringify({ kind: 'critical_moment', match: { eventTypes: ['nope'] }, withinDays: 30 }) });
    expect(badCode.statusCode).toBe(400);
    expect(badCode.body).toContain('match.eventTypes.0: &quot;nope&quot; is not an event type in the vocabulary');
    expect(badCode.body).toContain('Synthetic rationale'); // what was typed is kept
    const ok = await post(a, { ...fields, definition: JSON.stringify({ kind: 'critical_moment', match: { eventTypes: ['arrest'] }, withinDays: 30 }) });
    expect(ok.statusCode).toBe(303);
    const again = await post(a, { ...fields, rationale: 'Changed rationale', definition: JSON.stringify({ kind: 'critical_moment', match: { eventTypes: ['arrest'] }, withinDays: 60 }) });
    expect(again.statusCode).toBe(303);
    const versions = await t.db.selectFrom('rule_version as v').innerJoin('rule as r', 'r.id', 'v.rule_id').select(['v.version', 'v.rationale']).where('r.code', '=', code).orderBy('v.version').execute();
    expect(versions).toEqual([{ version: 1, rationale: 'Synthetic rationale' }, { version: 2, rationale: 'Changed rationale' }]);
  });
});

describe('consideration policy', () => {
  const user = (o: Partial<Actor & { kind: 'user' }>): Actor => ({ kind: 'user', userId: 'u1', name: 'T', email: 't@t', organisationId: 'o1', organisationName: 'O', teamId: 't1', roles: ['practitioner'], partnershipId: 'p1', ...o });
  const to = (o: Partial<ConsiderationAddress>): ConsiderationAddress => ({ recipientKind: 'lead_professional', recipientUserId: null, recipientTeamId: null, recipientOrganisationId: 'o1', decided: false, ...o });
  it.each([
    ['the named lead professional', user({}), to({ recipientUserId: 'u1' }), true],
    ['a colleague of the lead professional', user({ userId: 'u2' }), to({ recipientUserId: 'u1', recipientTeamId: 't1' }), false],
    ['the team of a team-level lead involvement', user({ userId: 'u2' }), to({ recipientTeamId: 't1' }), true],
    ['anyone at the front door', user({ userId: 'u3' }), to({ recipientKind: 'front_door' }), true],
    ['another organisation', user({ organisationId: 'o2' }), to({ recipientKind: 'front_door' }), false],
    ['someone outside the configured front-door team', user({ teamId: 't9' }), to({ recipientKind: 'front_door', recipientTeamId: 't1' }), false],
    ['an analyst at the front door', user({ roles: ['analyst'] }), to({ recipientKind: 'front_door' }), false],
  ] as const)('read by %s: %s', (_n, actor, c, expected) => {
    expect(decideConsideration(actor, 'consideration.read', c)).toBe(expected);
  });
  it('decides only once', () => {
    expect(decideConsideration(user({}), 'consideration.decide', to({ recipientUserId: 'u1' }))).toBe(true);
    expect(decideConsideration(user({}), 'consideration.decide', to({ recipientUserId: 'u1', decided: true }))).toBe(false);
    expect(decideConsideration(user({}), 'consideration.read', to({ recipientUserId: 'u1', decided: true }))).toBe(true);
  });
});

describe(`consideration list scope on ${TEST_ENGINE}`, () => {
  it('agrees with the per-record decision', async () => {
    const { openTestDb: open, makePerson } = await import('../../../../test/helpers.js');
    const { makeRule, uniqueBorough } = await import('../../../../test/considerations-helpers.js');
    const d = await open();
    try {
      const borough = uniqueBorough();
      const door = await makeOrg(d.db, 'early_help', borough);
      const school = await makeOrg(d.db, 'school', borough);
      const lead = await makeUser(d.db, { organisationId: school.id });
      const desk = await makeUser(d.db, { organisationId: door.id });
      const rule = await makeRule(d.db, door.id, { definition: { kind: 'critical_moment', match: { eventTypes: ['arrest'] }, withinDays: 30 } });
      const child = await makePerson(d.db);
      const mk = async (o: Record<string, unknown>) => (await d.db.insertInto('consideration').values({
        person_id: child.id, rule_version_id: rule.ruleVersionId, evidence_key: randomUUID(), matched_event_ids: [randomUUID()], explanation: 'x',
        recipient_kind: 'front_door', recipient_organisation_id: door.id, created_via: 'full_pass', ...o,
      } as never).returning('id').executeTakeFirstOrThrow()).id;
      const ids = [await mk({}), await mk({ recipient_kind: 'lead_professional', recipient_user_id: lead.id, recipient_organisation_id: school.id })];
      for (const u of [lead, desk]) {
        const actor: Actor = { kind: 'user', userId: u.id, name: 'T', email: u.email, organisationId: u.organisationId, organisationName: 'O', teamId: null, roles: ['practitioner'], partnershipId: '00000000-0000-4000-8000-000000000000' };
        const listed = (await visibleConsiderationIds(d.db, actor).where('consideration.id', 'in', ids).execute()).map((r) => r.id).sort();
        const rows = await d.db.selectFrom('consideration').selectAll().where('id', 'in', ids).execute();
        const allowed = rows.filter((r) => decideConsideration(actor, 'consideration.read', {
          recipientKind: r.recipient_kind, recipientUserId: r.recipient_user_id, recipientTeamId: r.recipient_team_id, recipientOrganisationId: r.recipient_organisation_id, decided: false,
        })).map((r) => r.id).sort();
        expect(listed).toEqual(allowed);
        expect(listed).toHaveLength(1);
      }
    } finally {
      await d.close();
    }
  });
});
