import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { drainOutbox, silentLog } from '../../../../test/drain-outbox.js';
import { auditRowsFor, makeEvent, makeOrg, makePerson, makeTeam, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { startSmtpCapture, type SmtpCapture } from '../../../../test/smtp-capture.js';
import { bankHolidays } from '../../bank-holidays.js';
import { loadConfig } from '../../config.js';
import { runOutboxOnce } from '../../outbox/outbox.js';
import { outboxProcessors } from '../../outbox/processors.js';
import { openTransferForMove } from './transfers.commands.js';
import { addWorkingDays } from './working-days.js';

// Child K's move, on both engines: a child on a child protection plan in borough A moves to borough
// B. A transfer opens at B's front door; left waiting past its limit it escalates once; B's manager
// accepts; A's workers watch; a police arrest reaches B's worker and A's watcher; B's first assessment
// starts from A's very high level and cannot drop without a reason, which both boroughs then see.

describe(`transfer between boroughs on ${TEST_ENGINE}`, () => {
  const t = useTestApp({ isolated: 'transfers' });
  const tag = randomUUID().slice(0, 6);
  const [A, B] = [`Ashvale ${tag}`, `Bramhurst ${tag}`];

  const form = (cookie: string, url: string, fields: Record<string, string>) => t.app.inject({
    method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString(),
  });
  const get = (cookie: string, url: string) => t.app.inject({ method: 'GET', url, headers: { cookie } });
  const partnershipOf = async (borough: string) => (await t.db.selectFrom('partnership_area').select('partnership_id').where('borough', '=', borough).executeTakeFirstOrThrow()).partnership_id;
  const deniedRows = async (userId: string, since: number) => (await auditRowsFor(t.db, { userId, since })).filter((r) => r.outcome === 'denied');
  const lastId = async () => Number((await t.db.selectFrom('access_log').select(sql<string>`coalesce(max(id), 0)`.as('m')).executeTakeFirstOrThrow()).m);
  const noticesOf = (transferId: string, kind: string) => t.db.selectFrom('transfer_notice').select(['recipient_user_id', 'kind', 'emailed_at'])
    .where('transfer_id', '=', transferId).where('kind', '=', kind as never).orderBy('recipient_user_id').execute();

  // Notices are emailed (without personal data) to a local SMTP server by the outbox's email processor.
  let smtp: SmtpCapture;
  let withEmail: ReturnType<typeof outboxProcessors>;
  beforeAll(async () => {
    smtp = await startSmtpCapture();
    withEmail = outboxProcessors(loadConfig({ NODE_ENV: 'test', SMTP_URL: smtp.url, PUBLIC_BASE_URL: 'https://jigsaw.example.test' }));
  });
  afterAll(async () => { await smtp.close(); });
  const mailTo = (email: string) => smtp.messages.filter((m) => m.to.includes(email));

  it('opens a transfer to the receiving front door, escalates it once, and on acceptance the child, their alerts and their risk follow', async () => {
    const cscA = await makeOrg(t.db, 'childrens_social_care', A);
    const teamA = await makeTeam(t.db, cscA.id);
    const workerA = await makeUser(t.db, { organisationId: cscA.id, teamId: teamA.id });
    const managerA = await makeUser(t.db, { organisationId: cscA.id, teamId: teamA.id, roles: ['team_manager'] });
    const cscB = await makeOrg(t.db, 'childrens_social_care', B);
    const teamB = await makeTeam(t.db, cscB.id);
    const managerB = await makeUser(t.db, { organisationId: cscB.id, teamId: teamB.id, roles: ['team_manager'] });
    const workerB = await makeUser(t.db, { organisationId: cscB.id, teamId: teamB.id });
    const otherB = await makeOrg(t.db, 'early_help', B);
    const otherManagerB = await makeUser(t.db, { organisationId: otherB.id, roles: ['team_manager'] });
    const police = await makeOrg(t.db, 'police', A);
    const [pA, pB] = [await partnershipOf(A), await partnershipOf(B)];
    await t.db.insertInto('partnership_front_door').values({ partnership_id: pB, organisation_id: cscB.id }).execute();

    const child = await makePerson(t.db, { given: 'Kestrel', family: `Moved${tag}` });
    await t.db.insertInto('person_address').values({ person_id: child.id, line1: '1 Synthetic Row', borough: A, valid_from: '2021-01-01' }).execute();
    await t.db.insertInto('involvement').values({ person_id: child.id, organisation_id: cscA.id, user_id: workerA.id, role: 'lead_professional', started_on: '2024-01-01' }).execute();
    await makeEvent(t.db, { personId: child.id, organisationId: cscA.id, type: 'child_protection_plan_started', occurredAt: new Date(Date.now() - 60 * 86_400_000).toISOString(), summary: 'Child protection plan started after conference' });
    // A's latest signed-off assessment: very high.
    const assessmentA = await t.db.insertInto('assessment').values({
      person_id: child.id, organisation_id: cscA.id, assessor_user_id: workerA.id, status: 'signed_off', signed_off_at: new Date(Date.now() - 30 * 86_400_000), signed_off_by_user_id: managerA.id,
    }).returning('id').executeTakeFirstOrThrow();
    await t.db.insertInto('assessment_version').values({
      assessment_id: assessmentA.id, version: 1, saved_by_user_id: workerA.id, level: 'very_high', level_rationale: 'Exploitation by an organised group',
      analysis: 'Synthetic analysis', review_on: '2027-01-15',
    }).execute();
    // A's MACE panel discussed the child last month: its coordinator and a named standing member.
    const coordinatorA = await makeUser(t.db, { organisationId: cscA.id, roles: ['panel_coordinator'] });
    const memberA = await makeUser(t.db, { organisationId: police.id });
    const maceA = await t.db.insertInto('panel_type').values({ partnership_id: pA, kind: 'mace', name: `MACE ${tag}`, cadence_days: 28 }).returning('id').executeTakeFirstOrThrow();
    await t.db.insertInto('panel_member').values({ panel_type_id: maceA.id, organisation_id: police.id, user_id: memberA.id, role: 'Exploitation lead' }).execute();
    const heldAt = new Date(Date.now() - 30 * 86_400_000);
    const meetingA = await t.db.insertInto('panel_meeting').values({
      panel_type_id: maceA.id, held_at: heldAt, access_from: new Date(heldAt.getTime() - 10 * 86_400_000), access_until: new Date(heldAt.getTime() + 2 * 86_400_000), created_by_user_id: coordinatorA.id,
    }).returning('id').executeTakeFirstOrThrow();
    await t.db.insertInto('panel_agenda_item').values({ meeting_id: meetingA.id, person_id: child.id, section: 'new_referral' }).execute();
    await drainOutbox(t.db);
    expect(await t.db.selectFrom('transfer').select('id').where('person_id', '=', child.id).execute()).toEqual([]);

    // The family moves to borough B: A's worker records the move on the child's record.
    const wA = await signIn(t.app, workerA.email);
    expect((await get(wA.cookie, `/people/${child.id}`)).body).toContain(`/people/${child.id}/moves/new`);
    expect((await get(wA.cookie, `/people/${child.id}/moves/new`)).statusCode).toBe(200);
    const today = new Date();
    const moveFields = { 'movedOn-day': String(today.getUTCDate()), 'movedOn-month': String(today.getUTCMonth() + 1), 'movedOn-year': String(today.getUTCFullYear()) };
    const noBorough = await form(wA.cookie, `/people/${child.id}/moves`, { _csrf: wA.csrf, line1: '2 Synthetic Close', ...moveFields });
    expect(noBorough.statusCode).toBe(400);
    expect(noBorough.body).toContain('Enter the borough of the new address');
    expect((await form(wA.cookie, `/people/${child.id}/moves`, { _csrf: wA.csrf, line1: '2 Synthetic Close', borough: B, ...moveFields })).statusCode).toBe(303);
    const addresses = await t.db.selectFrom('person_address').select(['id', 'borough', 'valid_to']).where('person_id', '=', child.id).orderBy('valid_from').execute();
    expect(addresses.map((a) => [a.borough, a.valid_to === null])).toEqual([[A, false], [B, true]]);
    const address = addresses[1]!;
    // Someone who may not see the child cannot record a move.
    const outsiderSession = await signIn(t.app, otherManagerB.email);
    const sinceMove = await lastId();
    expect((await form(outsiderSession.cookie, `/people/${child.id}/moves`, { _csrf: outsiderSession.csrf, line1: 'x', borough: B, ...moveFields })).statusCode).toBe(404);
    expect((await deniedRows(otherManagerB.id, sinceMove)).length).toBe(1);
    await drainOutbox(t.db);
    await drainOutbox(t.db); // a repeat opens nothing more
    const [transfer, ...more] = await t.db.selectFrom('transfer').selectAll().where('person_id', '=', child.id).execute();
    expect(more).toEqual([]);
    expect(transfer).toMatchObject({ from_partnership_id: pA, to_partnership_id: pB, address_id: address.id, status: 'waiting', on_plan: true });
    // On a plan: 15 working days, weekends and bank holidays skipped.
    expect(transfer!.escalate_at!.getTime()).toBe(addWorkingDays(transfer!.opened_at, 15, await bankHolidays(t.db)).getTime());
    // B's front door managers are told it is waiting; A's worker and manager that the child moved, and that A keeps the case.
    expect((await noticesOf(transfer!.id, 'opened')).map((n) => n.recipient_user_id)).toEqual([managerB.id]);
    expect((await noticesOf(transfer!.id, 'moved_away')).map((n) => n.recipient_user_id)).toEqual([workerA.id, managerA.id].sort());
    expect((await get(wA.cookie, '/transfers')).body).toContain('you keep the case until it is accepted');
    // Another address in the same partnership opens nothing.
    await t.db.insertInto('person_address').values({ person_id: child.id, line1: '3 Synthetic Close', borough: B, valid_from: sql<string>`current_date` }).execute();
    await drainOutbox(t.db);
    expect((await t.db.selectFrom('transfer').select('id').where('person_id', '=', child.id).execute()).length).toBe(1);

    // B's front door manager sees it waiting; A's worker sees the sending side; nobody else sees it.
    const mB = await signIn(t.app, managerB.email);
    const list = await get(mB.cookie, '/transfers');
    expect(list.statusCode).toBe(200);
    expect(list.body).toContain(`/transfers/${transfer!.id}`);
    expect(list.body).toContain('Kestrel');
    const sendingList = await get(wA.cookie, '/transfers');
    expect(sendingList.body).toContain(`/transfers/${transfer!.id}`);
    const sending = await get(wA.cookie, `/transfers/${transfer!.id}`);
    expect(sending.statusCode).toBe(200);
    expect(sending.body).toContain('keeps responsibility');
    expect(sending.body).toContain('Very high');
    expect(sending.body).not.toContain('Accept the transfer');
    const page = await get(mB.cookie, `/transfers/${transfer!.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Accept the transfer');
    expect(page.body).toContain('Plan actions are not yet recorded in Jigsaw');
    expect(page.body).toContain('Panel involvement is not yet recorded in Jigsaw');
    for (const outsider of [workerB, otherManagerB]) {
      const s = await signIn(t.app, outsider.email);
      const since = await lastId();
      expect((await get(s.cookie, `/transfers/${transfer!.id}`)).statusCode).toBe(404);
      expect((await form(s.cookie, `/transfers/${transfer!.id}/accept`, { _csrf: s.csrf, userId: workerB.id, role: 'allocated_worker' })).statusCode).toBe(404);
      expect((await deniedRows(outsider.id, since)).length).toBe(2);
    }
    // A's worker may see the child but does not decide for B.
    const sinceA = await lastId();
    expect((await form(wA.cookie, `/transfers/${transfer!.id}/decline`, { _csrf: wA.csrf, reason: 'Trying to decline on behalf of the other borough' })).statusCode).toBe(404);
    expect((await deniedRows(workerA.id, sinceA)).length).toBe(1);

    // Left waiting: nothing before the limit (the opening's email goes now); at the limit B's front door managers,
    // A's lead and A's manager are told, once, in the app and by email. The clock is moved, not waited for.
    const run = (ms: number) => runOutboxOnce(t.db, { processors: withEmail, log: silentLog, now: new Date(transfer!.escalate_at!.getTime() + ms) });
    await run(-3_600_000);
    expect(await noticesOf(transfer!.id, 'escalation')).toEqual([]);
    expect(mailTo(managerB.email).map((m) => m.subject)).toEqual(['Jigsaw: a case is waiting for your front door']);
    expect(mailTo(managerA.email).map((m) => m.subject)).toEqual(['Jigsaw: a child you work with has moved to another area']);
    await run(60_000);
    await run(86_400_000);
    await run(2 * 86_400_000);
    const notices = await noticesOf(transfer!.id, 'escalation');
    expect(notices.map((n) => n.recipient_user_id)).toEqual([managerB.id, workerA.id, managerA.id].sort());
    expect(notices.every((n) => n.emailed_at !== null)).toBe(true);
    expect((await t.db.selectFrom('transfer').select('escalated_at').where('id', '=', transfer!.id).executeTakeFirstOrThrow()).escalated_at).not.toBeNull();
    for (const who of [managerB, workerA, managerA]) {
      expect(mailTo(who.email).filter((m) => m.subject === 'Jigsaw: a transfer has waited past its time limit'), who.email).toHaveLength(1);
    }
    // The emails carry no personal data: a link to the transfers page only.
    for (const m of [...mailTo(managerB.email), ...mailTo(workerA.email), ...mailTo(managerA.email)]) {
      expect(m.text).toContain('https://jigsaw.example.test/transfers');
      expect(m.raw).not.toContain('Kestrel');
      expect(m.raw).not.toContain(tag);
      expect(m.raw).not.toContain(transfer!.id);
    }
    // The escalation is the first thing on B's manager's transfers page.
    expect((await get(mB.cookie, '/transfers')).body).toContain('Waiting past its time limit');

    // B's manager accepts: B's worker is allocated; A's workers and team watch for 90 days; the chronology says so.
    const missing = await form(mB.cookie, `/transfers/${transfer!.id}/accept`, { _csrf: mB.csrf, userId: '', role: 'allocated_worker' });
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('Choose a worker in your organisation');
    const accepted = await form(mB.cookie, `/transfers/${transfer!.id}/accept`, { _csrf: mB.csrf, userId: workerB.id, role: 'allocated_worker' });
    expect(accepted.statusCode).toBe(303);
    const after = await t.db.selectFrom('transfer').selectAll().where('id', '=', transfer!.id).executeTakeFirstOrThrow();
    expect(after).toMatchObject({ status: 'accepted', decided_by_user_id: managerB.id });
    expect(await t.db.selectFrom('involvement').select(['user_id', 'organisation_id']).where('id', '=', after.involvement_id!).executeTakeFirst()).toEqual({ user_id: workerB.id, organisation_id: cscB.id });
    const watchers = await t.db.selectFrom('watcher').select(['user_id', 'team_id', 'ends_at']).where('person_id', '=', child.id).execute();
    // The sending worker and team, and the sending panel's coordinator and named member.
    expect(watchers.map((w) => w.user_id ?? w.team_id).sort()).toEqual([workerA.id, teamA.id, coordinatorA.id, memberA.id].sort());
    for (const w of watchers) expect(Math.abs(w.ends_at!.getTime() - (Date.now() + 90 * 86_400_000))).toBeLessThan(600_000);
    const entry = await t.db.selectFrom('event').select(['organisation_id', 'summary']).innerJoin('event_person', 'event_person.event_id', 'event.id')
      .where('event_person.person_id', '=', child.id).where('event_type_code', '=', 'case_transferred_between_boroughs').execute();
    expect(entry).toEqual([{ organisation_id: cscB.id, summary: expect.stringContaining('Case transferred from') }]);
    // Accepting twice does nothing more.
    const again = await form(mB.cookie, `/transfers/${transfer!.id}/accept`, { _csrf: mB.csrf, userId: workerB.id, role: 'allocated_worker' });
    expect(again.statusCode).toBe(400);
    expect(again.body).toContain('no longer waiting for a decision');
    expect((await t.db.selectFrom('involvement').select('id').where('person_id', '=', child.id).where('organisation_id', '=', cscB.id).execute()).length).toBe(1);

    // Once accepted, the escalation needs nothing more: it leaves the manager's list.
    expect((await get(mB.cookie, '/transfers')).body).not.toContain('Waiting past its time limit');

    // B's worker sees the whole chronology, A's entries included.
    const wB = await signIn(t.app, workerB.email);
    const chronology = await get(wB.cookie, `/people/${child.id}`);
    expect(chronology.statusCode).toBe(200);
    expect(chronology.body).toContain('Child protection plan started');

    // B's first assessment starts from A's very high level; a lower level is refused without a reason.
    const started = await form(wB.cookie, `/people/${child.id}/assessments`, { _csrf: wB.csrf });
    expect(started.statusCode).toBe(303);
    const assessmentId = /\/assessments\/([0-9a-f-]+)\/edit/.exec(started.headers.location as string)![1]!;
    expect(await t.db.selectFrom('assessment').select(['based_on_assessment_id', 'previous_level']).where('id', '=', assessmentId).executeTakeFirst())
      .toEqual({ based_on_assessment_id: assessmentA.id, previous_level: 'very_high' });
    const lowered = { _csrf: wB.csrf, level: 'medium', levelRationale: 'New area, fewer known associates', analysis: 'Synthetic analysis', action: 'save' };
    const refused = await form(wB.cookie, `/assessments/${assessmentId}`, lowered);
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toMatch(/reason/i);
    expect((await get(mB.cookie, `/transfers/${transfer!.id}`)).body).not.toContain('lowered the level');
    const reason = 'The family moved away from the group that exploited him and he has a new school place';
    expect((await form(wB.cookie, `/assessments/${assessmentId}`, { ...lowered, loweringReason: reason })).statusCode).toBe(303);
    for (const cookie of [mB.cookie, wA.cookie]) {
      const seen = await get(cookie, `/transfers/${transfer!.id}`);
      expect(seen.statusCode).toBe(200);
      expect(seen.body).toContain('lowered the level from Very high to Medium');
      expect(seen.body).toContain(reason);
    }

    // A closes its own case; A's worker keeps watching. A police arrest reaches B's worker and A's watcher.
    await t.db.updateTable('involvement').set({ ended_on: sql<string>`current_date - 1` }).where('organisation_id', '=', cscA.id).where('person_id', '=', child.id).execute();
    const arrest = await makeEvent(t.db, { personId: child.id, organisationId: police.id, type: 'arrest', occurredAt: new Date(Date.now() - 3_600_000).toISOString(), summary: 'Synthetic arrest after the move' });
    await drainOutbox(t.db);
    const alerts = await t.db.selectFrom('alert').select(['recipient_user_id', 'reasons']).where('event_id', '=', arrest.id).execute();
    const byUser = new Map(alerts.map((a) => [a.recipient_user_id, a.reasons]));
    expect(byUser.get(workerB.id)).toEqual(['involvement']);
    expect(byUser.get(workerA.id)).toEqual(['watcher']);
    expect(byUser.get(managerA.id)).toEqual(['watcher']);
    // A's worker, now only watching, still reads the transfer page and its lowering reason.
    expect((await get(wA.cookie, `/transfers/${transfer!.id}`)).body).toContain(reason);
  });

  it('declining keeps the case with the sender, who is told; a decline needs a reason', async () => {
    const cscA = await makeOrg(t.db, 'childrens_social_care', A);
    const workerA = await makeUser(t.db, { organisationId: cscA.id });
    const cscB = (await t.db.selectFrom('partnership_front_door').select('organisation_id').where('partnership_id', '=', await partnershipOf(B)).executeTakeFirstOrThrow()).organisation_id;
    const managerB = await makeUser(t.db, { organisationId: cscB, roles: ['team_manager'] });
    const child = await makePerson(t.db, { given: 'Linnet', family: `Declined${tag}` });
    await t.db.insertInto('person_address').values({ person_id: child.id, line1: '4 Synthetic Row', borough: A, valid_from: '2020-01-01', valid_to: sql<string>`current_date - 1` }).execute();
    await t.db.insertInto('involvement').values({ person_id: child.id, organisation_id: cscA.id, user_id: workerA.id, role: 'lead_professional', started_on: '2024-01-01' }).execute();
    await t.db.insertInto('person_address').values({ person_id: child.id, line1: '5 Synthetic Close', borough: B, valid_from: sql<string>`current_date` }).execute();
    await drainOutbox(t.db);
    const transfer = await t.db.selectFrom('transfer').selectAll().where('person_id', '=', child.id).executeTakeFirstOrThrow();
    // Not on a plan: 20 working days.
    expect(transfer.on_plan).toBe(false);
    expect(transfer.escalate_at!.getTime()).toBe(addWorkingDays(transfer.opened_at, 20, await bankHolidays(t.db)).getTime());
    const m = await signIn(t.app, managerB.email);
    const short = await form(m.cookie, `/transfers/${transfer.id}/decline`, { _csrf: m.csrf, reason: 'No' });
    expect(short.statusCode).toBe(400);
    expect(short.body).toContain('Enter why the transfer is declined');
    const reason = 'The family has not moved: the address is a relative\'s, used for post only';
    expect((await form(m.cookie, `/transfers/${transfer.id}/decline`, { _csrf: m.csrf, reason })).statusCode).toBe(303);
    expect(await t.db.selectFrom('transfer').select(['status', 'decline_reason']).where('id', '=', transfer.id).executeTakeFirst()).toEqual({ status: 'declined', decline_reason: reason });
    expect((await noticesOf(transfer.id, 'declined')).map((n) => n.recipient_user_id)).toEqual([workerA.id]);
    // The sender is told by email too, once.
    await runOutboxOnce(t.db, { processors: withEmail, log: silentLog });
    await runOutboxOnce(t.db, { processors: withEmail, log: silentLog });
    expect(mailTo(workerA.email).map((m) => m.subject).sort()).toEqual(['Jigsaw: a child you work with has moved to another area', 'Jigsaw: a transfer was declined']);
    // The involvement in A stands; A's worker reads the reason.
    const w = await signIn(t.app, workerA.email);
    const page = await get(w.cookie, `/transfers/${transfer.id}`);
    expect(page.body).toContain(reason.replace("'", '&#39;'));
    expect((await get(w.cookie, '/transfers')).body).toContain('Declined by the receiving partnership');
    // The notice is its recipient's to acknowledge: anyone else is told it does not exist.
    const notice = await t.db.selectFrom('transfer_notice').select('id').where('transfer_id', '=', transfer.id).where('kind', '=', 'declined').executeTakeFirstOrThrow();
    const since = await lastId();
    expect((await form(m.cookie, `/transfers/notices/${notice.id}/acknowledge`, { _csrf: m.csrf })).statusCode).toBe(404);
    expect((await deniedRows(managerB.id, since)).length).toBe(1);
    expect((await form(w.cookie, `/transfers/notices/${notice.id}/acknowledge`, { _csrf: w.csrf })).statusCode).toBe(303);
    expect((await get(w.cookie, '/transfers')).body).not.toContain('Declined by the receiving partnership');
    // Its escalation, when due, does nothing: it is no longer waiting.
    await runOutboxOnce(t.db, { processors: outboxProcessors(), log: silentLog, now: new Date(transfer.escalate_at!.getTime() + 60_000) });
    expect(await t.db.selectFrom('transfer_notice').select('kind').where('transfer_id', '=', transfer.id).where('kind', '=', 'escalation').execute()).toEqual([]);
  });

  it('counts a transfer\'s working days without weekends or bank holidays, at the receiving partnership\'s limit', async () => {
    const [C, D] = [`Cressing ${tag}`, `Dunmoor ${tag}`];
    await makeOrg(t.db, 'childrens_social_care', C);
    await makeOrg(t.db, 'childrens_social_care', D);
    const [pC, pD] = [await partnershipOf(C), await partnershipOf(D)];
    // D's administrator set 15 working days for a child not on a plan.
    await t.db.updateTable('partnership').set({ transfer_escalation_working_days: 15 }).where('id', '=', pD).execute();
    const holidays = await bankHolidays(t.db);
    expect([...holidays].filter((d) => d.startsWith('2026-12') || d.startsWith('2027-01') || d.startsWith('2027-03'))).toEqual(['2026-12-25', '2026-12-28', '2027-01-01', '2027-03-26', '2027-03-29']);
    // Over Christmas: from Friday 18 December 2026, 15 working days skip the 25th, the 28th (Boxing Day's substitute) and New Year's Day.
    const child = await makePerson(t.db, { given: 'Dunlin', family: `Christmas${tag}` });
    await t.db.insertInto('person_address').values({ person_id: child.id, line1: '8 Synthetic Row', borough: C, valid_from: '2020-01-01', valid_to: '2026-12-17' }).execute();
    const moved = await t.db.insertInto('person_address').values({ person_id: child.id, line1: '9 Synthetic Close', borough: D, valid_from: '2026-12-18' }).returning('id').executeTakeFirstOrThrow();
    const id = await openTransferForMove(t.db, { personId: child.id, addressId: moved.id, fromPartnershipId: pC, toPartnershipId: pD }, new Date('2026-12-18T10:00:00Z'));
    const opened = await t.db.selectFrom('transfer').select(['escalate_at', 'on_plan']).where('id', '=', id!).executeTakeFirstOrThrow();
    expect(opened).toEqual({ escalate_at: new Date('2027-01-13T10:00:00Z'), on_plan: false });
    expect(addWorkingDays(new Date('2026-12-18T10:00:00Z'), 15, new Set()).toISOString()).toBe('2027-01-08T10:00:00.000Z');
    // Over Easter 2027: Good Friday (26 March) and Easter Monday (29 March) are not working days.
    expect(addWorkingDays(new Date('2027-03-25T09:00:00Z'), 2, holidays).toISOString()).toBe('2027-03-31T09:00:00.000Z');
  });

  it('refuses a missing or malformed transfer as not found, with a denied row', async () => {
    const org = await makeOrg(t.db, 'childrens_social_care', B);
    const u = await makeUser(t.db, { organisationId: org.id, roles: ['team_manager'] });
    const s = await signIn(t.app, u.email);
    const since = await lastId();
    expect((await get(s.cookie, `/transfers/${randomUUID()}`)).statusCode).toBe(404);
    expect((await get(s.cookie, '/transfers/not-a-uuid')).statusCode).toBe(404);
    expect((await deniedRows(u.id, since)).length).toBe(2);
    // A role that holds no cases does not see the list.
    const admin = await makeUser(t.db, { organisationId: org.id, roles: ['partnership_admin'] });
    const a = await signIn(t.app, admin.email);
    const sinceAdmin = await lastId();
    expect((await get(a.cookie, '/transfers')).statusCode).toBe(404);
    expect((await deniedRows(admin.id, sinceAdmin)).length).toBe(1);
  });
});
