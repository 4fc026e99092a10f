import { describe, expect, it } from 'vitest';
import { auditRowsFor, involve, lastAuditId, makeOrg, makePerson, makeTeam, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { recordAs, uniqueBorough } from '../../../../test/considerations-helpers.js';
import { dueForReview } from '../retention/retention.queries.js';

const DAY = 86_400_000;
const daysAgo = (n: number) => new Date(Date.now() - n * DAY);

describe(`partnership settings on ${TEST_ENGINE}`, () => {
  // Changes partnership-wide settings (front doors, rules, significant events): a database of its own.
  const t = useTestApp({ isolated: 'partnerships' });

  /** Two partnerships, A and B, in one database; a police force in both. */
  async function twoPartnerships() {
    const boroughA = uniqueBorough();
    const boroughB = uniqueBorough();
    const earlyHelpA = await makeOrg(t.db, 'early_help', boroughA);
    const schoolA = await makeOrg(t.db, 'school', boroughA);
    const earlyHelpB = await makeOrg(t.db, 'early_help', boroughB);
    const police = await makeOrg(t.db, 'police', boroughA);
    const partnershipOf = async (borough: string) => (await t.db.selectFrom('partnership_area as a').innerJoin('partnership as p', 'p.id', 'a.partnership_id')
      .select(['p.id', 'p.name', 'p.code']).where('a.borough', '=', borough).executeTakeFirstOrThrow());
    const A = await partnershipOf(boroughA);
    const B = await partnershipOf(boroughB);
    await t.db.insertInto('organisation_partnership').values({ organisation_id: police.id, partnership_id: B.id }).execute();
    const teamA = await makeTeam(t.db, earlyHelpA.id);
    const schoolTeamA = await makeTeam(t.db, schoolA.id);
    const teamB = await makeTeam(t.db, earlyHelpB.id);
    const adminA = await makeUser(t.db, { organisationId: earlyHelpA.id, roles: ['partnership_admin'] });
    const adminB = await makeUser(t.db, { organisationId: earlyHelpB.id, roles: ['partnership_admin'] });
    const workerA = await makeUser(t.db, { organisationId: earlyHelpA.id });
    const officer = await makeUser(t.db, { organisationId: police.id });
    return { boroughA, boroughB, earlyHelpA, schoolA, earlyHelpB, police, A, B, teamA, schoolTeamA, teamB, adminA, adminB, workerA, officer };
  }

  const post = (s: { cookie: string; csrf: string }, url: string, fields: Record<string, string | string[]>) => {
    const body = new URLSearchParams({ _csrf: s.csrf });
    for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    return t.app.inject({ method: 'POST', url, headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: body.toString() });
  };
  const get = (s: { cookie: string }, url: string) => t.app.inject({ method: 'GET', url, headers: { cookie: s.cookie } });
  const deniedSince = async (since: number, userId: string) => (await auditRowsFor(t.db, { since, userId })).filter((r) => r.outcome === 'denied')
    .map((r) => ({ action: r.action, route: r.route, reason: (r.detail as { reason?: string } | null)?.reason }));

  it('shows the administrator their own partnership only: its areas and member organisations, in the navigation', async () => {
    const w = await twoPartnerships();
    const a = await signIn(t.app, w.adminA.email);
    const before = await lastAuditId(t.db);
    const page = await get(a, '/partnership');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain(w.A.name);
    expect(page.body).toContain(w.boroughA);
    expect(page.body).toContain(w.earlyHelpA.name);
    expect(page.body).toContain(w.police.name);
    expect(page.body).toContain(w.B.name); // the police force is also in B: shown as "also in"
    expect(page.body).not.toContain(w.earlyHelpB.name);
    // In the navigation: under More, which the administrator's bar offers.
    expect(page.body).toMatch(/govuk-service-navigation[\s\S]*href="\/sections"/);
    expect((await get(a, '/sections')).body).toMatch(/href="\/partnership"[\s\S]*Partnership settings/);
    expect((await auditRowsFor(t.db, { since: before, userId: w.adminA.id })).map((r) => [r.action, r.outcome, (r.detail as { partnershipId?: string }).partnershipId]))
      .toContainEqual(['partnership.read', 'allowed', w.A.id]);

    // Anyone who is not a partnership administrator: 404 and a denied row, and no link.
    const worker = await signIn(t.app, w.workerA.email);
    const since = await lastAuditId(t.db);
    for (const url of ['/partnership', '/partnership/front-door', '/partnership/significant-events', '/partnership/alert-escalation']) {
      expect((await get(worker, url)).statusCode, url).toBe(404);
    }
    expect((await post(worker, '/partnership/alert-escalation', { minutes: '30' })).statusCode).toBe(404);
    expect(await deniedSince(since, w.workerA.id)).toEqual([
      { action: 'partnership.read', route: 'GET /partnership', reason: 'role' },
      { action: 'partnership.configure', route: 'GET /partnership/front-door', reason: 'role' },
      { action: 'partnership.configure', route: 'GET /partnership/significant-events', reason: 'role' },
      { action: 'partnership.configure', route: 'GET /partnership/alert-escalation', reason: 'role' },
      { action: 'partnership.configure', route: 'POST /partnership/alert-escalation', reason: 'role' },
    ]);
    expect((await get(worker, '/')).body).not.toContain('href="/partnership"');
    expect((await t.db.selectFrom('partnership').select('alert_escalation_minutes').where('id', '=', w.A.id).executeTakeFirstOrThrow()).alert_escalation_minutes).toBe(240);
  });

  it('sets the front door from A\'s own organisations and teams; B\'s ids are refused as not found with a denied row; B is untouched', async () => {
    const w = await twoPartnerships();
    const a = await signIn(t.app, w.adminA.email);
    const form = await get(a, '/partnership/front-door');
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain(w.earlyHelpA.name);
    expect(form.body).not.toContain(w.earlyHelpB.name);

    const empty = await post(a, '/partnership/front-door', { organisation: '', team: '' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Choose the organisation whose front door receives considerations');
    const wrongTeam = await post(a, '/partnership/front-door', { organisation: w.earlyHelpA.id, team: w.schoolTeamA.id });
    expect(wrongTeam.statusCode).toBe(400);
    expect(wrongTeam.body).toContain('Choose a team of the chosen organisation');

    const since = await lastAuditId(t.db);
    expect((await post(a, '/partnership/front-door', { organisation: w.earlyHelpB.id, team: '' })).statusCode).toBe(404);
    expect((await post(a, '/partnership/front-door', { organisation: w.earlyHelpA.id, team: w.teamB.id })).statusCode).toBe(404);
    expect((await post(a, '/partnership/front-door', { organisation: 'not-an-id', team: '' })).statusCode).toBe(404);
    expect(await deniedSince(since, w.adminA.id)).toEqual([
      { action: 'partnership.configure', route: 'POST /partnership/front-door', reason: 'record' },
      { action: 'partnership.configure', route: 'POST /partnership/front-door', reason: 'record' },
      { action: 'partnership.configure', route: 'POST /partnership/front-door', reason: 'record' },
    ]);
    expect(await t.db.selectFrom('partnership_front_door').selectAll().where('partnership_id', 'in', [w.A.id, w.B.id]).execute()).toEqual([]);

    // The partnership comes from the administrator, never the request: a partnership named in the form is ignored.
    const ok = await post(a, '/partnership/front-door', { organisation: w.earlyHelpA.id, team: w.teamA.id, partnership: w.B.id, partnershipId: w.B.id });
    expect(ok.statusCode).toBe(303);
    const doors = await t.db.selectFrom('partnership_front_door').select(['partnership_id', 'organisation_id', 'team_id', 'updated_by_user_id']).where('partnership_id', 'in', [w.A.id, w.B.id]).execute();
    expect(doors).toEqual([{ partnership_id: w.A.id, organisation_id: w.earlyHelpA.id, team_id: w.teamA.id, updated_by_user_id: w.adminA.id }]);
    const history = await t.db.selectFrom('partnership_change').select(['partnership_id', 'setting', 'before', 'after', 'changed_by_user_id']).where('partnership_id', 'in', [w.A.id, w.B.id]).execute();
    expect(history).toEqual([{ partnership_id: w.A.id, setting: 'front_door', before: null, after: { organisationId: w.earlyHelpA.id, teamId: w.teamA.id }, changed_by_user_id: w.adminA.id }]);
    const settings = await get(a, '/partnership');
    expect(settings.body).toContain(`Front door set to ${w.earlyHelpA.name} (one team)`);
    // The database refuses a front door outside the partnership too.
    await expect(t.db.insertInto('partnership_front_door').values({ partnership_id: w.B.id, organisation_id: w.earlyHelpA.id }).execute()).rejects.toThrow(/organisation of the partnership/);
  });

  it('changes A\'s significant events and escalation time only, with field errors for values out of range', async () => {
    const w = await twoPartnerships();
    const codes = async (p: string) => (await t.db.selectFrom('significant_event_type').select('event_type_code').where('partnership_id', '=', p).orderBy('event_type_code').execute()).map((r) => r.event_type_code);
    const defaults = await codes(w.B.id);
    expect(defaults).toContain('arrest');
    expect(await codes(w.A.id)).toEqual(defaults);
    const a = await signIn(t.app, w.adminA.email);
    const page = await get(a, '/partnership/significant-events');
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Significant by default');
    expect(page.body).toMatch(/value="arrest" checked/);

    const bad = await post(a, '/partnership/significant-events', { eventTypes: ['arrest', 'not_a_type'] });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('some of those sent are not in the vocabulary');
    expect(await codes(w.A.id)).toEqual(defaults);

    expect((await post(a, '/partnership/significant-events', { eventTypes: ['arrest', 'witness_to_serious_violence'] })).statusCode).toBe(303);
    expect(await codes(w.A.id)).toEqual(['arrest', 'witness_to_serious_violence']);
    expect(await codes(w.B.id)).toEqual(defaults);
    expect((await post(a, '/partnership/significant-events', { defaults: 'yes' })).statusCode).toBe(303);
    expect(await codes(w.A.id)).toEqual(defaults);

    for (const minutes of ['4', '10081', 'abc', '', '60.5']) {
      const res = await post(a, '/partnership/alert-escalation', { minutes });
      expect(res.statusCode, minutes).toBe(400);
      expect(res.body).toContain('href="#minutes"');
    }
    expect((await post(a, '/partnership/alert-escalation', { minutes: '45' })).statusCode).toBe(303);
    const minutes = await t.db.selectFrom('partnership').select(['id', 'alert_escalation_minutes']).where('id', 'in', [w.A.id, w.B.id]).execute();
    expect(Object.fromEntries(minutes.map((m) => [m.id, m.alert_escalation_minutes]))).toEqual({ [w.A.id]: 45, [w.B.id]: 240 });
    const changes = await t.db.selectFrom('partnership_change').select(['setting', 'changed_by_user_id']).where('partnership_id', '=', w.A.id).orderBy('id').execute();
    expect(changes.map((c) => c.setting)).toEqual(['significant_events', 'significant_events', 'alert_escalation']);
    const audit = (await auditRowsFor(t.db, { userId: w.adminA.id })).filter((r) => r.action === 'partnership.configure' && r.outcome === 'allowed');
    expect(audit.map((r) => (r.detail as { setting: string; partnershipId: string }))).toEqual([
      expect.objectContaining({ setting: 'significant_events', partnershipId: w.A.id }),
      expect.objectContaining({ setting: 'significant_events', partnershipId: w.A.id }),
      expect.objectContaining({ setting: 'alert_escalation', partnershipId: w.A.id, before: 240, after: 45 }),
    ]);
    // B's administrator sees B's settings, unchanged.
    const b = await signIn(t.app, w.adminB.email);
    const bPage = await get(b, '/partnership');
    expect(bPage.body).toContain('240 minutes');
    expect(bPage.body).not.toContain('45 minutes');
  });

  it('routes a consideration to the front door of the child\'s own partnership, and a rule switched off in A still runs for B\'s children', async () => {
    const w = await twoPartnerships();
    const a = await signIn(t.app, w.adminA.email);
    const b = await signIn(t.app, w.adminB.email);
    expect((await post(a, '/partnership/front-door', { organisation: w.earlyHelpA.id, team: w.teamA.id })).statusCode).toBe(303);
    expect((await post(b, '/partnership/front-door', { organisation: w.earlyHelpB.id, team: '' })).statusCode).toBe(303);
    const childIn = async (borough: string) => {
      const child = await makePerson(t.db);
      await t.db.insertInto('person_address').values({ person_id: child.id, line1: '3 Test Row', borough, valid_from: '2024-01-01' }).execute();
      return child;
    };
    const childA = await childIn(w.boroughA);
    const childB = await childIn(w.boroughB);
    await recordAs(t.db, { id: w.officer.id, organisationId: w.police.id }, childA.id, 'witness_to_serious_violence', daysAgo(3));
    await recordAs(t.db, { id: w.officer.id, organisationId: w.police.id }, childB.id, 'witness_to_serious_violence', daysAgo(3));
    const raised = async (personId: string) => t.db.selectFrom('consideration as c').innerJoin('rule_version as v', 'v.id', 'c.rule_version_id').innerJoin('rule as r', 'r.id', 'v.rule_id')
      .select(['r.code', 'r.partnership_id', 'c.recipient_kind', 'c.recipient_organisation_id', 'c.recipient_team_id']).where('c.person_id', '=', personId).execute();
    expect(await raised(childA.id)).toEqual([{ code: 'violent_bereavement_or_witness', partnership_id: w.A.id, recipient_kind: 'front_door', recipient_organisation_id: w.earlyHelpA.id, recipient_team_id: w.teamA.id }]);
    expect(await raised(childB.id)).toEqual([{ code: 'violent_bereavement_or_witness', partnership_id: w.B.id, recipient_kind: 'front_door', recipient_organisation_id: w.earlyHelpB.id, recipient_team_id: null }]);

    // A retires the rule through the rules page: only A's copy changes.
    const ruleOf = (p: string) => t.db.selectFrom('rule as r').innerJoin('rule_version as v', 'v.rule_id', 'r.id')
      .select(['r.id', 'r.active', 'v.version', 'v.name', 'v.rationale', 'v.definition']).where('r.partnership_id', '=', p).where('r.code', '=', 'violent_bereavement_or_witness')
      .orderBy('v.version', 'desc').executeTakeFirstOrThrow();
    const current = await ruleOf(w.A.id);
    const retired = await post(a, '/rules', {
      code: 'violent_bereavement_or_witness', name: current.name, rationale: current.rationale, definition: JSON.stringify(current.definition), changeReason: 'Retired in this partnership (synthetic test)',
    });
    expect(retired.statusCode).toBe(303);
    expect(await ruleOf(w.A.id)).toMatchObject({ active: false, version: 2 });
    expect(await ruleOf(w.B.id)).toMatchObject({ active: true, version: 1 });
    const bRules = await get(b, '/rules');
    expect(bRules.body).toContain(w.B.name);
    expect(bRules.body).not.toContain('Retired in this partnership');

    const laterA = await childIn(w.boroughA);
    const laterB = await childIn(w.boroughB);
    await recordAs(t.db, { id: w.officer.id, organisationId: w.police.id }, laterA.id, 'witness_to_serious_violence', daysAgo(1));
    await recordAs(t.db, { id: w.officer.id, organisationId: w.police.id }, laterB.id, 'witness_to_serious_violence', daysAgo(1));
    expect(await raised(laterA.id)).toEqual([]);
    expect((await raised(laterB.id)).map((c) => [c.code, c.partnership_id])).toEqual([['violent_bereavement_or_witness', w.B.id]]);

    // A child with no address, worked with by an organisation of B: B's rules read them.
    const unplaced = await makePerson(t.db);
    await involve(t.db, { personId: unplaced.id, organisationId: w.earlyHelpB.id, userId: w.adminB.id });
    await recordAs(t.db, { id: w.officer.id, organisationId: w.police.id }, unplaced.id, 'witness_to_serious_violence', daysAgo(1));
    expect((await raised(unplaced.id)).map((c) => [c.code, c.partnership_id])).toEqual([['violent_bereavement_or_witness', w.B.id]]);

    // A child in no partnership (no address in an area, nobody working with them): no rules run; the entry stays, and is read once the child has an address in an area.
    const nowhere = await makePerson(t.db);
    await recordAs(t.db, { id: w.officer.id, organisationId: w.police.id }, nowhere.id, 'witness_to_serious_violence', daysAgo(1));
    expect(await raised(nowhere.id)).toEqual([]);
    await t.db.insertInto('person_address').values({ person_id: nowhere.id, line1: '4 Test Row', borough: w.boroughB, valid_from: '2024-01-01' }).execute();
    const { runRulesFor } = await import('../considerations/run-rules.js');
    await runRulesFor(t.db, [nowhere.id]);
    expect((await raised(nowhere.id)).map((c) => [c.code, c.partnership_id])).toEqual([['violent_bereavement_or_witness', w.B.id]]);
  });

  it('keeps each partnership\'s population baseline and retention rules to itself', async () => {
    const w = await twoPartnerships();
    const a = await signIn(t.app, w.adminA.email);
    const res = await post(a, '/fairness/baseline', { baseline: 'sex,female,5100\nsex,male,5300', source: 'Synthetic census figures for A' });
    expect(res.statusCode).toBe(303);
    const rows = await t.db.selectFrom('population_baseline').select(['partnership_id', 'category', 'children']).where('partnership_id', 'in', [w.A.id, w.B.id]).orderBy('category').execute();
    expect(rows).toEqual([{ partnership_id: w.A.id, category: 'female', children: 5100 }, { partnership_id: w.A.id, category: 'male', children: 5300 }]);
    const b = await signIn(t.app, w.adminB.email);
    expect((await get(b, '/fairness')).body).not.toContain('Synthetic census figures for A');
    expect((await get(a, '/fairness')).body).toContain('Synthetic census figures for A');

    // Retention: a record is judged by the rules of its own partnership.
    await t.db.updateTable('retention_rule').set({ years: 10 }).where('partnership_id', '=', w.A.id).where('basis', '=', 'at_age').execute();
    const born = new Date(Date.now() - 12 * 365.25 * DAY).toISOString().slice(0, 10);
    const kids = [];
    for (const borough of [w.boroughA, w.boroughB]) {
      const child = await makePerson(t.db, { dob: born });
      await t.db.insertInto('person_address').values({ person_id: child.id, line1: '5 Test Row', borough, valid_from: '2024-01-01' }).execute();
      kids.push(child.id);
    }
    const due = (await dueForReview(t.db, new Date().toISOString().slice(0, 10), 100_000)).map((d) => d.personId);
    expect(due).toContain(kids[0]);
    expect(due).not.toContain(kids[1]);
  });

  it('sets A\'s transfer limits and watch period, with field errors for values out of range, each change in the history; others are refused', async () => {
    const w = await twoPartnerships();
    const columns = ['transfer_escalation_working_days_on_plan', 'transfer_escalation_working_days', 'transfer_watch_days'] as const;
    const valuesOf = async (id: string) => t.db.selectFrom('partnership').select(columns).where('id', '=', id).executeTakeFirstOrThrow();
    const defaults = { transfer_escalation_working_days_on_plan: 15, transfer_escalation_working_days: 20, transfer_watch_days: 90 };
    const a = await signIn(t.app, w.adminA.email);
    const settings = await get(a, '/partnership');
    expect(settings.body).toContain('href="/partnership/transfers"');
    expect(settings.body).toMatch(/child protection plan escalates after[\s\S]*15 working days/);
    expect((await get(a, '/partnership/transfers')).statusCode).toBe(200);

    const bad = await post(a, '/partnership/transfers', { onPlan: '0', other: 'twenty', watch: '731' });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('href="#onPlan"');
    expect(bad.body).toContain('href="#other"');
    expect(bad.body).toContain('href="#watch"');
    expect(bad.body).toContain('Enter a whole number of working days from 1 to 120');
    expect(bad.body).toContain('Enter a whole number of days from 1 to 730');
    const empty = await post(a, '/partnership/transfers', { onPlan: '121', other: '', watch: '90' });
    expect(empty.statusCode).toBe(400);
    expect(empty.body).toContain('Enter how many working days a transfer of any other child may wait');
    expect(await valuesOf(w.A.id)).toEqual(defaults);

    const before = await lastAuditId(t.db);
    expect((await post(a, '/partnership/transfers', { onPlan: '10', other: '20', watch: '60' })).statusCode).toBe(303);
    expect(await valuesOf(w.A.id)).toEqual({ transfer_escalation_working_days_on_plan: 10, transfer_escalation_working_days: 20, transfer_watch_days: 60 });
    expect(await valuesOf(w.B.id)).toEqual(defaults);
    // One history row per value changed (the unchanged one has none), and the access-log row.
    const history = await t.db.selectFrom('partnership_change').select(['setting', 'before', 'after', 'changed_by_user_id']).where('partnership_id', '=', w.A.id)
      .where('setting', 'in', ['transfer_escalation_on_plan', 'transfer_escalation', 'transfer_watch']).orderBy('id').execute();
    expect(history).toEqual([
      { setting: 'transfer_escalation_on_plan', before: { value: 15 }, after: { value: 10 }, changed_by_user_id: w.adminA.id },
      { setting: 'transfer_watch', before: { value: 90 }, after: { value: 60 }, changed_by_user_id: w.adminA.id },
    ]);
    expect((await auditRowsFor(t.db, { since: before, userId: w.adminA.id })).map((r) => [r.action, r.outcome, (r.detail as { setting?: string }).setting]))
      .toEqual([['partnership.configure', 'allowed', 'transfers']]);
    const shown = await get(a, '/partnership');
    expect(shown.body).toContain('A transfer of a child on a child protection plan escalates after 10 working days, was 15');
    expect(shown.body).toContain('watch the child for 60 days, was 90');

    // A practitioner is refused as not found, with a denied row; nothing changes.
    const wk = await signIn(t.app, w.workerA.email);
    const since = await lastAuditId(t.db);
    expect((await get(wk, '/partnership/transfers')).statusCode).toBe(404);
    expect((await post(wk, '/partnership/transfers', { onPlan: '1', other: '1', watch: '1' })).statusCode).toBe(404);
    expect(await deniedSince(since, w.workerA.id)).toEqual([
      { action: 'partnership.configure', route: 'GET /partnership/transfers', reason: 'role' },
      { action: 'partnership.configure', route: 'POST /partnership/transfers', reason: 'role' },
    ]);
    expect((await valuesOf(w.A.id)).transfer_watch_days).toBe(60);
  });
});
