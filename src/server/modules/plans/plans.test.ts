import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLog } from '../../../../test/drain-outbox.js';
import { auditRowsFor, involve, makeOrg, makePerson, makeTeam, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { startSmtpCapture, type SmtpCapture } from '../../../../test/smtp-capture.js';
import { loadConfig } from '../../config.js';
import { runOutboxOnce } from '../../outbox/outbox.js';
import { outboxProcessors } from '../../outbox/processors.js';
import { plansAndOffersHeld } from './held.js';
import { actionSchedule, addDays, createPlan } from './plans.commands.js';

// A child's risk management plan across agencies: the social worker makes it, a youth justice worker
// (another agency, involved with the child) sees it and owns an action; the action is reminded before
// its due date and, left open, escalates to the owner's manager exactly once as the clock moves past it.

describe(`risk management plans on ${TEST_ENGINE}`, () => {
  const t = useTestApp();
  let smtp: SmtpCapture;
  beforeAll(async () => { smtp = await startSmtpCapture(); });
  afterAll(async () => { await smtp.close(); });

  const form = (cookie: string, url: string, fields: Record<string, string>) => t.app.inject({
    method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString(),
  });
  const get = (cookie: string, url: string) => t.app.inject({ method: 'GET', url, headers: { cookie } });
  const lastId = async () => Number((await t.db.selectFrom('access_log').select(sql<string>`coalesce(max(id), 0)`.as('m')).executeTakeFirstOrThrow()).m);
  const dateFields = (name: string, d: string) => ({ [`${name}-day`]: d.slice(8, 10), [`${name}-month`]: d.slice(5, 7), [`${name}-year`]: d.slice(0, 4) });

  it('is seen by every involved agency, reminds the owner, escalates an overdue action to their manager once, and records completion in the chronology', async () => {
    const tag = randomUUID().slice(0, 6);
    const csc = await makeOrg(t.db, 'childrens_social_care');
    const sw = await makeUser(t.db, { organisationId: csc.id });
    const yj = await makeOrg(t.db, 'youth_justice');
    const yjTeam = await makeTeam(t.db, yj.id);
    const owner = await makeUser(t.db, { organisationId: yj.id, teamId: yjTeam.id });
    const manager = await makeUser(t.db, { organisationId: yj.id, teamId: yjTeam.id, roles: ['team_manager'] });
    const outsider = await makeUser(t.db, { organisationId: (await makeOrg(t.db, 'early_help')).id });
    const child = await makePerson(t.db, { given: 'Plover', family: `Planned${tag}` });
    await involve(t.db, { personId: child.id, organisationId: csc.id, userId: sw.id });
    await involve(t.db, { personId: child.id, organisationId: yj.id, userId: owner.id });
    const s = await signIn(t.app, sw.email);

    // The social worker makes the plan, in plain words, reviewed every four weeks.
    expect((await form(s.cookie, `/people/${child.id}/plan`, { _csrf: s.csrf, worries: '', goals: '', reviewEveryWeeks: '4' })).statusCode).toBe(400);
    expect((await form(s.cookie, `/people/${child.id}/plan`, {
      _csrf: s.csrf, worries: 'Older boys collect Plover from school and he comes home late with new clothes', goals: 'Plover feels safe at school and at home', reviewEveryWeeks: '4',
    })).statusCode).toBe(303);
    const plan = await t.db.selectFrom('risk_plan').selectAll().where('person_id', '=', child.id).executeTakeFirstOrThrow();
    const today = new Date().toISOString().slice(0, 10);
    expect(plan.next_review_on).toBe(addDays(today, 28));

    // An action owned by the youth justice worker, due in five days.
    const dueOn = addDays(today, 5);
    const pageNew = await get(s.cookie, `/people/${child.id}/plan/actions/new`);
    expect(pageNew.body).toContain(owner.name);
    expect((await form(s.cookie, `/people/${child.id}/plan/actions`, {
      _csrf: s.csrf, kind: 'supportive', description: 'Meet Plover weekly and go to the boxing club with him', ownerUserId: owner.id, ...dateFields('dueOn', dueOn),
    })).statusCode).toBe(303);
    const action = await t.db.selectFrom('plan_action').selectAll().where('plan_id', '=', plan.id).executeTakeFirstOrThrow();
    expect(action).toMatchObject({ owner_organisation_id: yj.id, status: 'not_started', due_on: dueOn });

    // Every involved agency sees the plan; someone with no relationship is refused as not found, with a denied row.
    const o = await signIn(t.app, owner.email);
    const seen = await get(o.cookie, `/people/${child.id}/plan`);
    expect(seen.statusCode).toBe(200);
    expect(seen.body).toContain('Older boys collect Plover');
    expect(seen.body).toContain('Meet Plover weekly');
    const x = await signIn(t.app, outsider.email);
    const since = await lastId();
    for (const url of [`/people/${child.id}/plan`, `/people/${child.id}/plan/actions/${action.id}`]) expect((await get(x.cookie, url)).statusCode).toBe(404);
    expect((await form(x.cookie, `/people/${child.id}/plan/actions/${action.id}`, { _csrf: x.csrf, status: 'done' })).statusCode).toBe(404);
    expect((await auditRowsFor(t.db, { userId: outsider.id, since })).filter((r) => r.outcome === 'denied')).toHaveLength(3);
    // An action id of another child's plan is refused too.
    const since2 = await lastId();
    expect((await get(s.cookie, `/people/${child.id}/plan/actions/${randomUUID()}`)).statusCode).toBe(404);
    expect((await auditRowsFor(t.db, { userId: sw.id, since: since2 })).filter((r) => r.outcome === 'denied')).toHaveLength(1);

    // The clock moves: before the reminder time nothing; after it the owner is reminded, once.
    const processors = outboxProcessors();
    const { remindAt, overdueAt } = actionSchedule(dueOn);
    const alertsOf = (kind: string) => t.db.selectFrom('alert').select(['recipient_user_id', 'kind']).where('plan_action_id', '=', action.id).where('kind', '=', kind as never).execute();
    await runOutboxOnce(t.db, { processors, log: silentLog, now: new Date(remindAt.getTime() - 60_000) });
    expect(await alertsOf('action_due')).toEqual([]);
    await runOutboxOnce(t.db, { processors, log: silentLog, now: new Date(remindAt.getTime() + 60_000) });
    expect(await alertsOf('action_due')).toEqual([{ recipient_user_id: owner.id, kind: 'action_due' }]);

    // Due day not yet over: no escalation. After it, the owner's manager is alerted exactly once.
    await runOutboxOnce(t.db, { processors, log: silentLog, now: new Date(overdueAt.getTime() - 60_000) });
    expect(await alertsOf('action_overdue')).toEqual([]);
    await runOutboxOnce(t.db, { processors, log: silentLog, now: new Date(overdueAt.getTime() + 60_000) });
    await runOutboxOnce(t.db, { processors, log: silentLog, now: new Date(overdueAt.getTime() + 86_400_000) });
    expect(await alertsOf('action_overdue')).toEqual([{ recipient_user_id: manager.id, kind: 'action_overdue' }]);
    // A repeated delivery of the same work (at least once) escalates nothing more.
    const { escalateOverdueAction } = await import('./plans.processor.js');
    expect(await escalateOverdueAction(t.db, { actionId: action.id, dueOn })).toBe(0);
    expect((await t.db.selectFrom('plan_action').select('escalated_at').where('id', '=', action.id).executeTakeFirstOrThrow()).escalated_at).not.toBeNull();

    // The manager reads it on the alerts page and on their home page; the emails carry no personal data.
    const m = await signIn(t.app, manager.email);
    const alertsPage = await get(m.cookie, '/alerts');
    expect(alertsPage.body).toContain('An action owned by someone you manage is overdue');
    const config = loadConfig({ NODE_ENV: 'test', SMTP_URL: smtp.url, PUBLIC_BASE_URL: 'https://jigsaw.example.test' });
    await runOutboxOnce(t.db, { processors: outboxProcessors(config), log: silentLog, now: new Date(overdueAt.getTime() + 2 * 86_400_000) });
    const mails = smtp.messages.filter((mail) => mail.to.includes(owner.email) || mail.to.includes(manager.email));
    expect(mails.map((mail) => mail.to[0]).sort()).toEqual([owner.email, manager.email].sort());
    for (const mail of mails) for (const secret of ['Plover', tag, 'boxing', child.id]) expect(mail.raw).not.toContain(secret);
    expect((await get(o.cookie, '/')).body).toContain('Meet Plover weekly');

    // "Not done" needs a reason; "done" can record an entry in the chronology in the same transaction.
    const noReason = await form(o.cookie, `/people/${child.id}/plan/actions/${action.id}`, { _csrf: o.csrf, status: 'not_done', reason: '' });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.body).toContain('Say why the action was not done');
    expect((await form(o.cookie, `/people/${child.id}/plan/actions/${action.id}`, { _csrf: o.csrf, status: 'in_progress' })).statusCode).toBe(303);
    expect((await form(o.cookie, `/people/${child.id}/plan/actions/${action.id}`, {
      _csrf: o.csrf, status: 'done', entryType: 'positive_activity', entrySummary: 'Plover joined the boxing club',
    })).statusCode).toBe(303);
    const history = await t.db.selectFrom('plan_action_status_change').select(['status', 'event_id']).where('action_id', '=', action.id).orderBy('changed_at').orderBy('id').execute();
    expect(history.map((h) => h.status)).toEqual(['not_started', 'in_progress', 'done']);
    const entry = await t.db.selectFrom('event').select(['event_type_code', 'summary', 'organisation_id']).where('id', '=', history[2]!.event_id!).executeTakeFirstOrThrow();
    expect(entry).toEqual({ event_type_code: 'positive_activity', summary: 'Plover joined the boxing club', organisation_id: yj.id });

    // The plan falls due for review: it is listed on the home page of the worker who made it.
    await t.db.updateTable('risk_plan').set({ next_review_on: addDays(today, 3) }).where('id', '=', plan.id).execute();
    expect((await get(s.cookie, '/')).body).toMatch(/Plan reviews due[\s\S]*Plover/);

    // The plan's words and cadence can change; a review sets the next one by the cadence.
    expect((await get(s.cookie, `/people/${child.id}/plan/edit`)).body).toContain('Older boys collect Plover');
    expect((await form(s.cookie, `/people/${child.id}/plan/edit`, { _csrf: s.csrf, worries: 'Older boys collect Plover from school', goals: '', reviewEveryWeeks: '4' })).statusCode).toBe(400);
    expect((await form(s.cookie, `/people/${child.id}/plan/edit`, { _csrf: s.csrf, worries: 'Older boys collect Plover from school', goals: 'Plover feels safe', reviewEveryWeeks: '4' })).statusCode).toBe(303);
    expect((await form(s.cookie, `/people/${child.id}/plan/review`, { _csrf: s.csrf, notes: 'Plover goes to boxing twice a week; no late nights' })).statusCode).toBe(303);
    expect((await t.db.selectFrom('risk_plan').select('next_review_on').where('id', '=', plan.id).executeTakeFirstOrThrow()).next_review_on).toBe(addDays(today, 28));
    const page = await get(s.cookie, `/people/${child.id}`);
    expect(page.body).toContain(`/people/${child.id}/plan`);

    // A review can close the plan; it is then listed as an earlier plan and a new one can be made.
    expect((await form(s.cookie, `/people/${child.id}/plan/review`, { _csrf: s.csrf, notes: 'Plover is safe; the plan has done its work', close: 'yes' })).statusCode).toBe(303);
    expect((await t.db.selectFrom('risk_plan').select('status').where('id', '=', plan.id).executeTakeFirstOrThrow()).status).toBe('closed');
    const closedPage = (await get(s.cookie, `/people/${child.id}/plan`)).body;
    expect(closedPage).toContain('Earlier plans');
    expect(closedPage).toContain('1 of 1 actions done');

    // Subject access includes the plan, its actions and their history.
    const held = await plansAndOffersHeld(t.db, child.id);
    expect(held.plans[0]!.actions[0]!.history.map((h) => h.status)).toEqual(['not_started', 'in_progress', 'done']);

    // Erasing the child's record (retention) removes the plan, its actions and history, and the alerts about them.
    await t.db.updateTable('person').set({ erased_at: new Date() }).where('id', '=', child.id).execute();
    expect(await t.db.selectFrom('risk_plan').select('id').where('person_id', '=', child.id).execute()).toEqual([]);
    expect(await t.db.selectFrom('plan_action_status_change').select('id').where('action_id', '=', action.id).execute()).toEqual([]);
    expect(await t.db.selectFrom('alert').select('id').where('plan_action_id', '=', action.id).execute()).toEqual([]);
  });
  it('makes one plan when two people make the child\'s plan at the same moment; the other is told it exists', async () => {
    const csc = await makeOrg(t.db, 'childrens_social_care');
    const [a, b] = [await makeUser(t.db, { organisationId: csc.id }), await makeUser(t.db, { organisationId: csc.id })];
    const child = await makePerson(t.db);
    const partnershipId = (await t.db.selectFrom('app_user').select('partnership_id').where('id', '=', a.id).executeTakeFirstOrThrow()).partnership_id;
    const actor = (u: { id: string; email: string }) => ({
      kind: 'user' as const, userId: u.id, name: 'T', email: u.email, organisationId: csc.id, organisationName: 'O', teamId: null, roles: ['practitioner' as const], partnershipId,
    });
    const make = (u: { id: string; email: string }) => t.db.transaction().execute((trx) => createPlan(trx, actor(u), {
      personId: child.id, worries: 'Synthetic worries', goals: 'Synthetic goals', reviewEveryWeeks: 6, today: '2026-11-26',
    }, { route: 'POST /people/:personId/plan', requestId: randomUUID() }));
    const outcomes = await Promise.allSettled([make(a), make(b)]);
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    const refused = outcomes.find((o): o is PromiseRejectedResult => o.status === 'rejected')!;
    expect(refused.reason).toMatchObject({ statusCode: 409, code: 'plan_exists' });
    expect(await t.db.selectFrom('risk_plan').select('id').where('person_id', '=', child.id).execute()).toHaveLength(1);
  });
});
