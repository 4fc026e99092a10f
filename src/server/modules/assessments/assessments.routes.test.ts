import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { auditRowsFor, lastAuditId, makeEvent, makeOrg, makePerson, makeTeam, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';

describe(`risk and vulnerability assessments on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  async function world() {
    const org = await makeOrg(t.db, 'childrens_social_care', 'Northbridge');
    const team = await makeTeam(t.db, org.id);
    const assessor = await makeUser(t.db, { organisationId: org.id, teamId: team.id });
    const manager = await makeUser(t.db, { organisationId: org.id, teamId: team.id, roles: ['team_manager'] });
    const stranger = await makeUser(t.db, { organisationId: org.id });
    const other = await makeOrg(t.db, 'youth_justice', 'Southmere');
    const otherWorker = await makeUser(t.db, { organisationId: other.id });
    const otherManager = await makeUser(t.db, { organisationId: other.id, roles: ['team_manager'] });
    const child = await makePerson(t.db, { given: 'Tamsin', family: 'Okoro-Vale' });
    await t.db.insertInto('involvement').values([
      { person_id: child.id, organisation_id: org.id, team_id: team.id, role: 'case_holder', started_on: '2025-01-01' },
      { person_id: child.id, organisation_id: other.id, user_id: otherWorker.id, role: 'key_worker', started_on: '2025-01-01' },
      { person_id: child.id, organisation_id: other.id, user_id: otherManager.id, role: 'other', started_on: '2025-01-01' },
    ]).execute();
    return { org, team, assessor, manager, stranger, other, otherWorker, otherManager, child };
  }

  const form = (s: { cookie: string; csrf: string }, fields: Record<string, string>) => ({
    headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams({ _csrf: s.csrf, ...fields }).toString(),
  });
  const future = new Date(Date.now() + 90 * 86_400_000);
  const review = { 'review-day': String(future.getUTCDate()), 'review-month': String(future.getUTCMonth() + 1), 'review-year': String(future.getUTCFullYear()) };
  const complete = (level: string, extra: Record<string, string> = {}) => ({
    riskPeers: 'Seen with older young people linked to drug supply', analysis: 'Escalating exploitation risk outside the home',
    level, levelRationale: 'Two missing episodes and a weapon found', childViews: 'Says the older boys look out for him', ...review, ...extra,
  });

  async function start(s: { cookie: string; csrf: string }, personId: string): Promise<string> {
    const res = await t.app.inject({ method: 'POST', url: `/people/${personId}/assessments`, ...form(s, {}) });
    expect(res.statusCode).toBe(303);
    return /\/assessments\/([0-9a-f-]{36})\/edit/.exec(res.headers.location as string)![1]!;
  }

  it('answers 401 when not signed in', async () => {
    const w = await world();
    expect((await t.app.inject({ method: 'GET', url: '/assessments/00000000-0000-4000-8000-000000000000' })).statusCode).toBe(401);
    expect((await t.app.inject({ method: 'POST', url: `/people/${w.child.id}/assessments` })).statusCode).toBe(401);
  });

  it('answers 404 with a denied row to a practitioner with no relationship to the child', async () => {
    const w = await world();
    const id = await start(await signIn(t.app, w.assessor.email), w.child.id);
    const s = await signIn(t.app, w.stranger.email);
    const before = await lastAuditId(t.db);
    expect((await t.app.inject({ method: 'GET', url: `/assessments/${id}`, headers: { cookie: s.cookie } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'POST', url: `/people/${w.child.id}/assessments`, ...form(s, {}) })).statusCode).toBe(404);
    const rows = await auditRowsFor(t.db, { since: before, userId: w.stranger.id });
    expect(rows.map((r) => [r.action, r.outcome, r.person_id])).toEqual([
      ['assessment.read', 'denied', w.child.id],
      ['assessment.create', 'denied', w.child.id],
    ]);
  });

  it('takes a draft through submission and a manager\'s sign-off, recording a due panel referral', async () => {
    const w = await world();
    const a = await signIn(t.app, w.assessor.email);
    const before = await lastAuditId(t.db);
    const id = await start(a, w.child.id);
    const incomplete = await t.app.inject({ method: 'POST', url: `/assessments/${id}`, ...form(a, { analysis: 'Partial notes', action: 'submit' }) });
    expect(incomplete.statusCode).toBe(400);
    expect(incomplete.body).toContain('Select the level of risk');
    expect(incomplete.body).toContain('Partial notes'); // nothing typed is lost
    const saved = await t.app.inject({ method: 'POST', url: `/assessments/${id}`, ...form(a, { ...complete('high'), action: 'submit' }) });
    expect(saved.statusCode).toBe(303);

    // The assessor cannot sign off their own assessment; a manager in another organisation cannot either.
    expect((await t.app.inject({ method: 'POST', url: `/assessments/${id}/sign-off`, ...form(a, { decision: 'approve' }) })).statusCode).toBe(404);
    const om = await signIn(t.app, w.otherManager.email);
    expect((await t.app.inject({ method: 'POST', url: `/assessments/${id}/sign-off`, ...form(om, { decision: 'approve' }) })).statusCode).toBe(404);

    const m = await signIn(t.app, w.manager.email);
    const home = await t.app.inject({ method: 'GET', url: '/', headers: { cookie: m.cookie } });
    expect(home.body).toContain('Waiting for your sign-off');
    const signed = await t.app.inject({ method: 'POST', url: `/assessments/${id}/sign-off`, ...form(m, { decision: 'approve' }) });
    expect(signed.statusCode).toBe(303);
    const page = await t.app.inject({ method: 'GET', url: `/assessments/${id}`, headers: { cookie: m.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('a referral to the high-risk panel is due');
    expect(page.body).toContain('Seen with older young people linked to drug supply');
    const due = await t.db.selectFrom('panel_referral_due').selectAll().where('assessment_id', '=', id).execute();
    expect(due.map((r) => [r.level, r.previous_level])).toEqual([['high', null]]);

    const ours = new Set([w.assessor.id, w.manager.id, w.otherManager.id]);
    const rows = (await auditRowsFor(t.db, { since: before })).filter((r) => r.action.startsWith('assessment.') && ours.has(r.user_id!));
    expect(rows.map((r) => [r.action, r.outcome, r.user_id, r.person_id])).toEqual([
      ['assessment.create', 'allowed', w.assessor.id, w.child.id],
      ['assessment.update', 'allowed', w.assessor.id, w.child.id],
      ['assessment.submit', 'allowed', w.assessor.id, w.child.id],
      ['assessment.sign_off', 'denied', w.assessor.id, w.child.id],
      ['assessment.sign_off', 'denied', w.otherManager.id, w.child.id],
      ['assessment.read', 'allowed', w.manager.id, null], // the home page list, when signing in
      ['assessment.read', 'allowed', w.manager.id, null], // and when opening it again
      ['assessment.sign_off', 'allowed', w.manager.id, w.child.id],
      ['assessment.read', 'allowed', w.manager.id, w.child.id],
    ]);
    expect(rows[5]!.detail).toMatchObject({ list: 'home', personIds: [w.child.id], assessmentIds: [id] });
    expect(rows[7]!.detail).toMatchObject({ assessmentId: id, level: 'high', panelReferralDue: true });
  });

  it('starts the next assessment from the latest, in another agency, and refuses a lower level without a reason', async () => {
    const w = await world();
    const a = await signIn(t.app, w.assessor.email);
    const first = await start(a, w.child.id);
    await t.app.inject({ method: 'POST', url: `/assessments/${first}`, ...form(a, { ...complete('very_high'), action: 'submit' }) });
    const m = await signIn(t.app, w.manager.email);
    await t.app.inject({ method: 'POST', url: `/assessments/${first}/sign-off`, ...form(m, { decision: 'approve' }) });

    // The other agency sees the signed-off assessment and starts from it.
    const o = await signIn(t.app, w.otherWorker.email);
    const second = await start(o, w.child.id);
    const edit = await t.app.inject({ method: 'GET', url: `/assessments/${second}/edit`, headers: { cookie: o.cookie } });
    expect(edit.body).toContain('Escalating exploitation risk outside the home');
    expect(edit.body).toContain('which set the level at Very high');

    const lowered = await t.app.inject({ method: 'POST', url: `/assessments/${second}`, ...form(o, { ...complete('medium'), action: 'save' }) });
    expect(lowered.statusCode).toBe(400);
    expect(lowered.body).toContain('The level is lower than the last signed-off assessment (Very high to Medium): give the reason for lowering it');
    expect(lowered.body).toContain('href="#loweringReason"');
    const versions = await t.db.selectFrom('assessment_version').select('version').where('assessment_id', '=', second).execute();
    expect(versions).toHaveLength(1);
    const withReason = await t.app.inject({ method: 'POST', url: `/assessments/${second}`, ...form(o, { ...complete('medium', { loweringReason: 'Moved away from the group; engaging with mentor weekly' }), action: 'save' }) });
    expect(withReason.statusCode).toBe(303);

    // The draft stays within its organisation; the signed-off one is visible to both.
    expect((await t.app.inject({ method: 'GET', url: `/assessments/${second}`, headers: { cookie: a.cookie } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: `/assessments/${first}`, headers: { cookie: o.cookie } })).statusCode).toBe(200);

    // The database refuses a lowering without a reason, and any change to a signed-off assessment.
    await expect(sql`INSERT INTO assessment_version (assessment_id, version, saved_by_user_id, level, previous_level) VALUES (${second}, 9, ${w.otherWorker.id}, 'low', 'very_high')`.execute(t.db)).rejects.toThrow(/assessment_lowering_needs_reason/);
    await expect(sql`UPDATE assessment SET return_note = 'x' WHERE id = ${first}`.execute(t.db)).rejects.toThrow(/signed-off assessment cannot be changed/);
  });

  it('shows the level, factors with their events, and the history on the person page', async () => {
    const w = await world();
    const a = await signIn(t.app, w.assessor.email);
    await makeEvent(t.db, { personId: w.child.id, organisationId: w.org.id, type: 'permanent_exclusion', occurredAt: '2026-03-02T09:00:00Z' });
    await makeEvent(t.db, { personId: w.child.id, organisationId: w.other.id, type: 'county_lines_concern', occurredAt: '2026-04-02T09:00:00Z', sensitivity: 'restricted' });
    const id = await start(a, w.child.id);
    await t.app.inject({ method: 'POST', url: `/assessments/${id}`, ...form(a, { ...complete('medium'), action: 'submit' }) });
    const m = await signIn(t.app, w.manager.email);
    await t.app.inject({ method: 'POST', url: `/assessments/${id}/sign-off`, ...form(m, { decision: 'approve' }) });
    const page = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}`, headers: { cookie: a.cookie } });
    expect(page.statusCode).toBe(200);
    const at = page.body.indexOf('id="risk-heading"');
    const panel = page.body.slice(at, page.body.indexOf('</section>', at));
    expect(panel).toContain('Current level: <strong>Medium</strong>');
    expect(panel).toContain('Excluded from school');
    expect(panel).toContain('implied by the event type');
    expect(panel).not.toContain('County lines involvement'); // restricted by another agency
    expect(panel).toContain('1 entry withheld from you is not included here.');
    expect(panel).toContain(`href="/assessments/${id}"`);
  });

  it('lists overdue reviews on the assessor\'s and the signing manager\'s home pages', async () => {
    const w = await world();
    const a = await t.db.insertInto('assessment').values({
      person_id: w.child.id, organisation_id: w.org.id, assessor_user_id: w.assessor.id, status: 'signed_off',
      signed_off_at: new Date('2026-01-10T10:00:00Z'), signed_off_by_user_id: w.manager.id,
    }).returning('id').executeTakeFirstOrThrow();
    await t.db.insertInto('assessment_version').values({ assessment_id: a.id, version: 1, saved_by_user_id: w.assessor.id, level: 'high', level_rationale: 'r', analysis: 'x', review_on: '2026-04-01' }).execute();
    for (const user of [w.assessor, w.manager]) {
      const s = await signIn(t.app, user.email);
      const before = await lastAuditId(t.db);
      const home = await t.app.inject({ method: 'GET', url: '/', headers: { cookie: s.cookie } });
      expect(home.body).toContain('Reviews overdue');
      expect(home.body).toContain('Tamsin Okoro-Vale');
      const rows = await auditRowsFor(t.db, { since: before, userId: user.id });
      expect(rows.find((r) => r.action === 'assessment.read')?.detail).toMatchObject({ personIds: [w.child.id] });
    }
    const o = await signIn(t.app, w.otherWorker.email);
    expect((await t.app.inject({ method: 'GET', url: '/', headers: { cookie: o.cookie } })).body).not.toContain('Reviews overdue');
  });
});
