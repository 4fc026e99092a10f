import { describe, expect, it } from 'vitest';
import { uniqueBorough } from '../../../../test/considerations-helpers.js';
import { involve, makeOrg, makePerson, makeTeam, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';

// Multi-agency case audits (a cohort chosen from live data, grades by agency, findings made into
// actions) and learning review recommendations (tracked to done with evidence, recurring themes, the
// board's view by age), each with its refusals.

describe(`case audits and review recommendations on ${TEST_ENGINE}`, () => {
  const t = useTestApp();
  const form = (cookie: string, csrf: string, url: string, fields: Record<string, string | string[]>) => {
    const body = new URLSearchParams({ _csrf: csrf });
    for (const [k, v] of Object.entries(fields)) for (const x of [v].flat()) body.append(k, x);
    return t.app.inject({ method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: body.toString() });
  };
  const get = (cookie: string, url: string) => t.app.inject({ method: 'GET', url, headers: { cookie } });

  it('audits a cohort chosen from live data: each agency grades its cases, results by agency, findings tracked as actions', async () => {
    const borough = uniqueBorough();
    const csc = await makeOrg(t.db, 'childrens_social_care', borough);
    const school = await makeOrg(t.db, 'school', borough);
    const cscTeam = await makeTeam(t.db, csc.id);
    const qa = await makeUser(t.db, { organisationId: csc.id, roles: ['quality_assurance_lead'] });
    const lead = await makeUser(t.db, { organisationId: csc.id, roles: ['partnership_lead'] });
    const manager = await makeUser(t.db, { organisationId: csc.id, roles: ['team_manager'], teamId: cscTeam.id });
    const dsl = await makeUser(t.db, { organisationId: school.id, roles: ['designated_safeguarding_lead'] });
    const stranger = await makeUser(t.db, { organisationId: (await makeOrg(t.db, 'childrens_social_care', uniqueBorough())).id, roles: ['team_manager'] });
    // Four children of the partnership with agencies involved (all four by the team, two by the school); one without any.
    const kids: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      const p = await makePerson(t.db, { given: `Audit${i}` });
      await t.db.insertInto('person_address').values({ person_id: p.id, line1: `${i} Synthetic Lane`, borough, valid_from: '2020-01-01' }).execute();
      if (i < 4) await involve(t.db, { personId: p.id, organisationId: csc.id, teamId: cscTeam.id });
      if (i < 2) await involve(t.db, { personId: p.id, organisationId: school.id });
      kids.push(p.id);
    }
    const qaS = await signIn(t.app, qa.email);
    const made = await form(qaS.cookie, qaS.csrf, '/audits', { title: 'Exploitation audit, spring', theme: 'exploitation', questions: 'Was the risk identified early?\nWas the child\'s voice heard?', selection: 'random', size: '10' });
    expect(made.statusCode).toBe(303);
    const auditId = made.headers.location!.split('/').pop()!;
    const cases = await t.db.selectFrom('case_audit_case').select(['id', 'person_id', 'reference']).where('audit_id', '=', auditId).orderBy('reference').execute();
    // Every child with an agency involved, and no other, is in the cohort; each choice is on the child's log.
    expect(cases.map((c) => c.person_id).sort()).toEqual(kids.slice(0, 4).sort());
    const chosenLog = await t.db.selectFrom('access_log').select('person_id').where('action', '=', 'audit.create').where('user_id', '=', qa.id).where('person_id', 'is not', null).execute();
    expect(chosenLog.map((r) => r.person_id).sort()).toEqual(kids.slice(0, 4).sort());
    const bad = await form(qaS.cookie, qaS.csrf, '/audits', { title: 'x', theme: 'nonsense', questions: '', selection: 'random', size: '0' });
    expect(bad.statusCode).toBe(400);

    // The school's safeguarding lead grades the two cases it is involved with; the team manager all four.
    const dslS = await signIn(t.app, dsl.email);
    const dslPage = await get(dslS.cookie, `/audits/${auditId}`);
    expect(dslPage.statusCode).toBe(200);
    const schoolCases = cases.filter((c) => kids.slice(0, 2).includes(c.person_id));
    for (const c of cases) expect(dslPage.body.includes(`/audits/${auditId}/cases/${c.id}/grades`)).toBe(schoolCases.includes(c));
    const grades = { school: ['good', 'requires_improvement'], csc: ['inadequate', 'good', 'good', 'outstanding'] };
    for (const [i, c] of schoolCases.entries()) {
      const res = await form(dslS.cookie, dslS.csrf, `/audits/${auditId}/cases/${c.id}/grades`, { 'own-1': grades.school[i]!, 'multi_agency-1': 'requires_improvement', 'finding-multi_agency-1': 'The school was not invited to the strategy meeting' });
      expect(res.statusCode).toBe(303);
    }
    const otherCase = cases.find((c) => !schoolCases.includes(c))!;
    expect((await form(dslS.cookie, dslS.csrf, `/audits/${auditId}/cases/${otherCase.id}/grades`, { 'own-1': 'good' })).statusCode).toBe(404);
    const managerS = await signIn(t.app, manager.email);
    for (const [i, c] of cases.entries()) {
      expect((await form(managerS.cookie, managerS.csrf, `/audits/${auditId}/cases/${c.id}/grades`, { 'own-1': grades.csc[i]!, 'own-2': 'good' })).statusCode).toBe(303);
    }
    // Regrading replaces the agency's grade for that question.
    expect((await form(managerS.cookie, managerS.csrf, `/audits/${auditId}/cases/${cases[0]!.id}/grades`, { 'own-1': 'good' })).statusCode).toBe(303);
    grades.csc[0] = 'good';

    // Results by agency, counted here from what was graded.
    const leadS = await signIn(t.app, lead.email);
    const results = await get(leadS.cookie, `/audits/${auditId}`);
    expect(results.statusCode).toBe(200);
    const rowOf = (html: string, caption: string, agency: string) => {
      const table = html.slice(html.indexOf(caption));
      const row = table.slice(table.indexOf(agency)).split('</tr>')[0]!;
      return [...row.matchAll(/numeric">(\d+)</g)].map((m) => Number(m[1]));
    };
    const count = (list: string[], extra: string[] = []) => ['outstanding', 'good', 'requires_improvement', 'inadequate'].map((g) => [...list, ...extra].filter((x) => x === g).length);
    expect(rowOf(results.body, 'own practice', school.name)).toEqual(count(grades.school));
    expect(rowOf(results.body, 'own practice', csc.name)).toEqual(count(grades.csc, ['good', 'good', 'good', 'good']));
    expect(rowOf(results.body, 'multi-agency practice', school.name)).toEqual(count(['requires_improvement', 'requires_improvement']));
    expect(results.body).toContain('The school was not invited to the strategy meeting');
    expect(results.body).not.toContain('/people/');

    // A finding becomes an action, tracked to done.
    const finding = await t.db.selectFrom('case_audit_grade').select('id').where('finding', 'is not', null).executeTakeFirstOrThrow();
    expect((await form(qaS.cookie, qaS.csrf, `/audits/${auditId}/actions`, { description: 'Invite schools to every strategy meeting', ownerOrganisationId: csc.id, dueOn: '2027-01-31', gradeId: finding.id })).statusCode).toBe(303);
    const action = await t.db.selectFrom('case_audit_action').select(['id', 'status', 'grade_id']).where('audit_id', '=', auditId).executeTakeFirstOrThrow();
    expect(action).toMatchObject({ status: 'open', grade_id: finding.id });
    expect((await form(qaS.cookie, qaS.csrf, `/audit-actions/${action.id}/done`, {})).statusCode).toBe(303);
    expect((await t.db.selectFrom('case_audit_action').select('status').where('id', '=', action.id).executeTakeFirstOrThrow()).status).toBe('done');
    // By theme on the list: the multi-agency grades given.
    const list = await get(leadS.cookie, '/audits');
    expect(rowOf(list.body, 'by theme', 'Exploitation and extra-familial harm')).toEqual(count(['requires_improvement', 'requires_improvement']));

    // Refused, as not found, with a denied row: another partnership's manager, the lead grading, a grader making actions.
    const strangerS = await signIn(t.app, stranger.email);
    expect((await get(strangerS.cookie, `/audits/${auditId}`)).statusCode).toBe(404);
    expect((await form(leadS.cookie, leadS.csrf, `/audits/${auditId}/cases/${cases[0]!.id}/grades`, { 'own-1': 'good' })).statusCode).toBe(404);
    expect((await form(managerS.cookie, managerS.csrf, `/audits/${auditId}/actions`, { description: 'x' })).statusCode).toBe(404);
    expect((await form(managerS.cookie, managerS.csrf, '/audits', { title: 'Not mine to start' })).statusCode).toBe(404);
    const denied = await t.db.selectFrom('access_log').select(['user_id', 'action']).where('outcome', '=', 'denied').where('user_id', 'in', [stranger.id, lead.id, manager.id]).execute();
    expect(denied.map((d) => `${d.user_id === stranger.id ? 'stranger' : d.user_id === lead.id ? 'lead' : 'manager'}:${d.action}`).sort())
      .toEqual(['lead:audit.grade', 'manager:audit.action.update', 'manager:audit.create', 'stranger:audit.read']);
  });

  it('tracks recommendations to done with evidence, flags recurring themes and shows the board open recommendations by age', async () => {
    const borough = uniqueBorough();
    const csc = await makeOrg(t.db, 'childrens_social_care', borough);
    const police = await makeOrg(t.db, 'police', borough);
    const qa = await makeUser(t.db, { organisationId: csc.id, roles: ['quality_assurance_lead'] });
    const scrutineer = await makeUser(t.db, { organisationId: csc.id, roles: ['scrutineer'] });
    const otherLead = await makeUser(t.db, { organisationId: (await makeOrg(t.db, 'childrens_social_care', uniqueBorough())).id, roles: ['partnership_lead'] });
    const qaS = await signIn(t.app, qa.email);
    const ago = (months: number) => { const d = new Date(); d.setUTCMonth(d.getUTCMonth() - months); return d.toISOString().slice(0, 10); };
    const review = async (title: string, months: number) => {
      const res = await form(qaS.cookie, qaS.csrf, '/reviews', { kind: 'lcspr', title, publishedOn: ago(months), findings: 'Synthetic findings of a synthetic review' });
      expect(res.statusCode).toBe(303);
      return res.headers.location!.split('/').pop()!;
    };
    const older = await review('Child Q practice review', 14);
    const newer = await review('Thematic review of exploitation', 1);
    const recommend = async (reviewId: string, theme: string, dueOn: string) => {
      expect((await form(qaS.cookie, qaS.csrf, `/reviews/${reviewId}/recommendations`, { text: `Synthetic recommendation on ${theme}`, theme, ownerUserId: qa.id, dueOn, agencies: [csc.id, police.id] })).statusCode).toBe(303);
    };
    await recommend(older, 'information_sharing', ago(2));
    await recommend(older, 'missing', '2099-01-01');
    await recommend(newer, 'information_sharing', '2099-01-01');
    await recommend(newer, 'education', '2099-01-01');
    const recs = await t.db.selectFrom('review_recommendation').select(['id', 'theme', 'review_id']).where('review_id', 'in', [older, newer]).execute();
    const missingRec = recs.find((r) => r.theme === 'missing')!;

    // Done only with evidence: refused without, accepted with a dashboard measure.
    expect((await form(qaS.cookie, qaS.csrf, `/recommendations/${missingRec.id}`, { status: 'done' })).statusCode).toBe(400);
    expect((await form(qaS.cookie, qaS.csrf, `/recommendations/${missingRec.id}`, { status: 'done', evidenceKind: 'dashboard', evidenceRef: 'nonsense' })).statusCode).toBe(400);
    expect((await form(qaS.cookie, qaS.csrf, `/recommendations/${missingRec.id}`, { status: 'done', evidenceKind: 'dashboard', evidenceRef: 'missing', evidenceNote: 'Interviews within 72 hours rose' })).statusCode).toBe(303);
    expect(await t.db.selectFrom('review_recommendation').select(['status', 'evidence_kind', 'evidence_ref']).where('id', '=', missingRec.id).executeTakeFirstOrThrow())
      .toEqual({ status: 'done', evidence_kind: 'dashboard', evidence_ref: 'missing' });

    // The board: open recommendations by age (one over 12 months and past due, two under 3 months), counted here.
    const scrutS = await signIn(t.app, scrutineer.email);
    const board = await get(scrutS.cookie, '/reviews');
    expect(board.statusCode).toBe(200);
    const ageRow = (label: string) => {
      const row = board.body.slice(board.body.indexOf(label)).split('</tr>')[0]!;
      return [...row.matchAll(/numeric">(\d+)</g)].map((m) => Number(m[1]));
    };
    expect(ageRow('Under 3 months')).toEqual([2, 0]);
    expect(ageRow('Over 12 months')).toEqual([1, 1]);
    expect(board.body).toContain('Information sharing between agencies: 2 reviews');
    expect(board.body).not.toContain('Missing episodes and return home interviews: 2');
    const page = await get(scrutS.cookie, `/reviews/${newer}`);
    expect(page.body).toContain('Recurring');
    expect(page.body).not.toContain('/recommendations/'); // a scrutineer reads, never updates
    // Refusals: a scrutineer may not record; another partnership's lead sees no review of this one.
    expect((await form(scrutS.cookie, scrutS.csrf, '/reviews', { kind: 'lcspr' })).statusCode).toBe(404);
    const otherS = await signIn(t.app, otherLead.email);
    expect((await get(otherS.cookie, `/reviews/${older}`)).statusCode).toBe(404);
    expect((await form(otherS.cookie, otherS.csrf, `/recommendations/${missingRec.id}`, { status: 'open' })).statusCode).toBe(404);
    const denied = await t.db.selectFrom('access_log').select('action').where('outcome', '=', 'denied').where('user_id', 'in', [scrutineer.id, otherLead.id]).execute();
    expect(denied.map((d) => d.action).sort()).toEqual(['review.list', 'review.manage', 'review.manage']);
  });
});
