import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditRowsFor, involve, makeOrg, makePerson, makeTeam, makeUser, signIn, useTestApp } from '../../../../test/helpers.js';
import { drainOutbox, silentLog } from '../../../../test/drain-outbox.js';
import { writeEntry } from '../../../../test/entries.js';
import { startSmtpCapture, type SmtpCapture } from '../../../../test/smtp-capture.js';
import { loadConfig } from '../../config.js';
import { outboxProcessors } from '../../outbox/processors.js';
import { runOutboxOnce } from '../../outbox/outbox.js';
import { ALERT_ESCALATE_KIND } from './alerts.processor.js';
import { bankHolidays } from '../../bank-holidays.js';
import { nextSchoolDayStart } from './school-day.js';

const DAY = 86_400_000;
const recent = (daysAgo = 1) => new Date(Date.now() - daysAgo * DAY).toISOString();

/**
 * Alerts: a significant entry recorded by any organisation, in any borough, reaches everyone working
 * with or watching the child, once, showing each only what they may see; email carries no personal
 * data; an unacknowledged alert about a high-risk child escalates when the clock passes its time.
 * Sharing is narrowed here (a partnership-wide setting), so the file has a database of its own.
 */
describe('alerts', () => {
  const t = useTestApp({ isolated: 'alerts' });
  let smtp: SmtpCapture;
  const u = () => randomUUID().slice(0, 6);

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    // Nothing is shared by default here: only the agreements each test makes.
    await sql`UPDATE sharing_agreement SET valid_from = '2000-01-01', valid_to = '2000-01-02'`.execute(t.db);
  });
  afterAll(async () => { await smtp.close(); });

  async function world() {
    const [a, b, c] = [`Alpha ${u()}`, `Beta ${u()}`, `Gamma ${u()}`];
    const csc = await makeOrg(t.db, 'childrens_social_care', a);
    const cscTeam = await makeTeam(t.db, csc.id);
    const worker = await makeUser(t.db, { organisationId: csc.id, teamId: cscTeam.id });
    const manager = await makeUser(t.db, { organisationId: csc.id, teamId: cscTeam.id, roles: ['team_manager'] });
    const yjs = await makeOrg(t.db, 'youth_justice', b);
    const yjWorker = await makeUser(t.db, { organisationId: yjs.id });
    const police = await makeOrg(t.db, 'police', c);
    const officer = await makeUser(t.db, { organisationId: police.id });
    const school = await makeOrg(t.db, 'school', a);
    const dsl = await makeUser(t.db, { organisationId: school.id, roles: ['designated_safeguarding_lead'] });
    const child = await makePerson(t.db, { given: 'Alerta', family: `Childe${u()}` });
    await t.db.insertInto('person_address').values({ person_id: child.id, line1: '1 Synthetic Row', town: 'Testtown', postcode: 'ZZ1 1ZZ', borough: a, valid_from: '2020-01-01', recorded_by_organisation_id: csc.id }).execute();
    await involve(t.db, { personId: child.id, organisationId: csc.id, userId: worker.id });
    await involve(t.db, { personId: child.id, organisationId: yjs.id, userId: yjWorker.id });
    // Police information is shared with children's social care, not with youth justice.
    await t.db.insertInto('sharing_agreement').values({ name: `Police to CSC ${u()}`, provider_organisation_id: police.id, recipient_organisation_id: csc.id, categories: [], purpose: 'Safeguarding', valid_from: '2020-01-01' }).execute();
    return { a, b, c, csc, cscTeam, worker, manager, yjs, yjWorker, police, officer, school, dsl, child };
  }

  const alertsOf = (userId: string) => t.db.selectFrom('alert').selectAll().where('recipient_user_id', '=', userId).orderBy('created_at').execute();

  it('alerts every worker with the child, in any borough, once each, showing each only what they may see', async () => {
    const w = await world();
    const entry = await writeEntry(t.db, { organisationId: w.police.id, personId: w.child.id, eventTypeCode: 'arrest', occurredAt: recent(), summary: 'Arrested near the synthetic station', sourceRecordId: u() });
    await drainOutbox(t.db);
    await drainOutbox(t.db);
    for (const who of [w.worker, w.yjWorker]) {
      const mine = await alertsOf(who.id);
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({ event_id: entry.id, person_id: w.child.id, kind: 'significant_entry', acknowledged_at: null });
    }
    expect(await alertsOf(w.officer.id)).toHaveLength(0);
    expect(await alertsOf(w.manager.id)).toHaveLength(0); // not high risk: managers are not alerted
    // The alerts are on the child's access log: one row for the entry, naming each alert and its recipient.
    const logged = await t.db.selectFrom('access_log').select(['action', 'detail']).where('person_id', '=', w.child.id).where('action', '=', 'alert.create').execute();
    expect(logged).toHaveLength(1);
    const recipients = (logged[0]!.detail as { event: string; alerts: { recipient: string }[] });
    expect(recipients.event).toBe(entry.id);
    expect(recipients.alerts.map((a) => a.recipient).sort()).toEqual([w.worker.id, w.yjWorker.id].sort());

    const csc = await signIn(t.app, w.worker.email);
    const page = await t.app.inject({ method: 'GET', url: '/alerts', headers: { cookie: csc.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('Arrested near the synthetic station');
    expect(page.body).toMatch(/Alerts \(1 new\)/);

    const yj = await signIn(t.app, w.yjWorker.email);
    const yjPage = await t.app.inject({ method: 'GET', url: '/alerts', headers: { cookie: yj.cookie } });
    expect(yjPage.statusCode).toBe(200);
    expect(yjPage.body).not.toContain('Arrested near the synthetic station');
    expect(yjPage.body).not.toContain('Arrest');
    expect(yjPage.body).toContain('Entry not shared with your organisation');
    expect(yjPage.body).toContain(`A significant entry was recorded by ${w.police.name}`);
    const listed = await auditRowsFor(t.db, { userId: w.yjWorker.id });
    expect(listed.some((r) => r.action === 'alert.list' && r.outcome === 'allowed')).toBe(true);
  });

  it('does not alert for entries that are not significant in the child\'s partnership, old history, or the recorder themselves', async () => {
    const w = await world();
    await writeEntry(t.db, { organisationId: w.csc.id, personId: w.child.id, eventTypeCode: 'youth_club_attendance', occurredAt: recent(), sourceRecordId: u() });
    await writeEntry(t.db, { organisationId: w.police.id, personId: w.child.id, eventTypeCode: 'arrest', occurredAt: recent(90), sourceRecordId: u() });
    await writeEntry(t.db, { organisationId: w.csc.id, personId: w.child.id, eventTypeCode: 'missing_episode', occurredAt: recent(), recordedByUserId: w.worker.id, sourceRecordId: u() });
    await drainOutbox(t.db);
    expect(await alertsOf(w.worker.id)).toHaveLength(0);
    expect((await alertsOf(w.yjWorker.id)).map((a) => a.kind)).toEqual(['significant_entry']); // the missing episode only

    // The partnership of the child's address decides: arrests switched off there alert nobody.
    const area = await t.db.selectFrom('partnership_area').select('partnership_id').where('borough', '=', w.a).executeTakeFirstOrThrow();
    await t.db.deleteFrom('significant_event_type').where('partnership_id', '=', area.partnership_id).where('event_type_code', '=', 'arrest').execute();
    await writeEntry(t.db, { organisationId: w.police.id, personId: w.child.id, eventTypeCode: 'arrest', occurredAt: recent(), sourceRecordId: u() });
    await drainOutbox(t.db);
    expect(await alertsOf(w.worker.id)).toHaveLength(0);
  });

  it('lets only its recipient acknowledge an alert; anyone else gets 404 with a denied row', async () => {
    const w = await world();
    await writeEntry(t.db, { organisationId: w.police.id, personId: w.child.id, eventTypeCode: 'weapon_incident', occurredAt: recent(), sourceRecordId: u() });
    await drainOutbox(t.db);
    const [alert] = await alertsOf(w.worker.id);
    const other = await signIn(t.app, w.yjWorker.email);
    const refused = await t.app.inject({ method: 'POST', url: `/alerts/${alert!.id}/acknowledge`, headers: { cookie: other.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: `_csrf=${other.csrf}` });
    expect(refused.statusCode).toBe(404);
    const missing = await t.app.inject({ method: 'POST', url: `/alerts/${randomUUID()}/acknowledge`, headers: { cookie: other.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: `_csrf=${other.csrf}` });
    expect(missing.statusCode).toBe(404);
    const withoutNonce = (body: string) => body.replace(/nonce="[^"]+"/g, '');
    expect(withoutNonce(missing.body)).toBe(withoutNonce(refused.body));
    const denied = (await auditRowsFor(t.db, { userId: w.yjWorker.id })).filter((r) => r.action === 'alert.acknowledge' && r.outcome === 'denied');
    expect(denied).toHaveLength(2);
    expect((await t.db.selectFrom('alert').select('acknowledged_at').where('id', '=', alert!.id).executeTakeFirstOrThrow()).acknowledged_at).toBeNull();

    const mine = await signIn(t.app, w.worker.email);
    const ok = await t.app.inject({ method: 'POST', url: `/alerts/${alert!.id}/acknowledge`, headers: { cookie: mine.cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: `_csrf=${mine.csrf}` });
    expect(ok.statusCode).toBe(303);
    expect((await t.db.selectFrom('alert').select('acknowledged_at').where('id', '=', alert!.id).executeTakeFirstOrThrow()).acknowledged_at).not.toBeNull();
    const after = await t.app.inject({ method: 'GET', url: '/alerts', headers: { cookie: mine.cookie } });
    expect(after.body).not.toMatch(/Alerts \(\d+ new\)/);
  });

  it('alerts the managers of a high-risk child, and escalates an unacknowledged alert when its time passes, not before', async () => {
    const w = await world();
    const assessment = await t.db.insertInto('assessment').values({ person_id: w.child.id, organisation_id: w.csc.id, assessor_user_id: w.worker.id, status: 'signed_off', signed_off_at: new Date(), signed_off_by_user_id: w.manager.id })
      .returning('id').executeTakeFirstOrThrow();
    await t.db.insertInto('assessment_version').values({ assessment_id: assessment.id, version: 1, saved_by_user_id: w.worker.id, level: 'high', level_rationale: 'Synthetic rationale for a high level' }).execute();
    const yjTeam = await makeTeam(t.db, w.yjs.id);
    await t.db.updateTable('app_user').set({ team_id: yjTeam.id }).where('id', '=', w.yjWorker.id).execute();
    const yjManager = await makeUser(t.db, { organisationId: w.yjs.id, teamId: yjTeam.id, roles: ['team_manager'] });
    const area = await t.db.selectFrom('partnership_area').select('partnership_id').where('borough', '=', w.a).executeTakeFirstOrThrow();
    await t.db.updateTable('partnership').set({ alert_escalation_minutes: 60 }).where('id', '=', area.partnership_id).execute();

    const entry = await writeEntry(t.db, { organisationId: w.police.id, personId: w.child.id, eventTypeCode: 'victim_of_serious_violence', occurredAt: recent(), sourceRecordId: u() });
    await drainOutbox(t.db);
    expect((await alertsOf(w.manager.id)).map((a) => a.reasons)).toEqual([['manager_high_risk']]);
    const [workerAlert] = await alertsOf(w.worker.id);
    const [yjAlert] = await alertsOf(w.yjWorker.id);
    // The worker acknowledges in time; the youth justice worker does not.
    await t.db.updateTable('alert').set({ acknowledged_at: new Date() }).where('id', '=', workerAlert!.id).execute();

    const processors = outboxProcessors();
    const escalations = () => t.db.selectFrom('outbox').select(['status', 'available_at']).where('kind', '=', ALERT_ESCALATE_KIND)
      .where(sql<boolean>`payload->>'alertId' = ANY(${sql.val([workerAlert!.id, yjAlert!.id])}::text[])`).execute();
    expect(await escalations()).toHaveLength(2);
    await runOutboxOnce(t.db, { processors, log: silentLog, now: new Date(Date.now() + 59 * 60_000) });
    expect((await escalations()).every((e) => e.status === 'pending')).toBe(true);
    for (let i = 0; i < 3; i++) await runOutboxOnce(t.db, { processors, log: silentLog, now: new Date(Date.now() + 61 * 60_000) });
    expect((await escalations()).every((e) => e.status === 'done')).toBe(true);
    const escalated = (await alertsOf(yjManager.id)).filter((a) => a.kind === 'escalation');
    expect(escalated).toHaveLength(1);
    expect(escalated[0]).toMatchObject({ escalated_from: yjAlert!.id, event_id: entry.id, reasons: ['escalation'] });
    // The acknowledged alert went no further: the CSC manager has only their own first alert.
    expect((await alertsOf(w.manager.id)).map((a) => a.kind)).toEqual(['significant_entry']);
  });

  it('tells the school\'s designated safeguarding lead of a police domestic abuse notification before the next school day', async () => {
    const w = await world();
    await involve(t.db, { personId: w.child.id, organisationId: w.school.id });
    await writeEntry(t.db, { organisationId: w.police.id, personId: w.child.id, eventTypeCode: 'domestic_abuse_notification', occurredAt: recent(0.1), sourceRecordId: u() });
    // The same type recorded by another agency is not an Encompass notice.
    await writeEntry(t.db, { organisationId: w.csc.id, personId: w.child.id, eventTypeCode: 'domestic_abuse_notification', occurredAt: recent(0.1), sourceRecordId: u() });
    await drainOutbox(t.db);
    const notices = (await alertsOf(w.dsl.id)).filter((a) => a.kind === 'encompass');
    expect(notices).toHaveLength(1);
    expect(notices[0]!.respond_by!.getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(notices[0]!.respond_by!.getTime()).toBeLessThanOrEqual(nextSchoolDayStart(new Date(), await bankHolidays(t.db)).getTime());
  });

  it('reaches watchers while the watch lasts, and lets only managers, DSLs and coordinators who can see the child name them', async () => {
    const w = await world();
    const panelOrg = await makeOrg(t.db, 'childrens_social_care', w.a);
    const panelTeam = await makeTeam(t.db, panelOrg.id);
    const member = await makeUser(t.db, { organisationId: panelOrg.id, teamId: panelTeam.id });
    const former = await makeUser(t.db, { organisationId: panelOrg.id });
    await t.db.insertInto('watcher').values([
      { person_id: w.child.id, team_id: panelTeam.id, reason: 'Panel follows this child' },
      { person_id: w.child.id, user_id: former.id, reason: 'Former borough handed over', started_at: new Date(Date.now() - 10 * DAY), ends_at: new Date(Date.now() - DAY) },
    ]).execute();
    await writeEntry(t.db, { organisationId: w.police.id, personId: w.child.id, eventTypeCode: 'stop_and_search', occurredAt: recent(), sourceRecordId: u() });
    await drainOutbox(t.db);
    expect((await alertsOf(member.id)).map((a) => a.reasons)).toEqual([['watcher']]);
    expect(await alertsOf(former.id)).toHaveLength(0);

    // A practitioner may not manage watchers; a manager who cannot see the child gets 404 as for a missing child.
    const practitioner = await signIn(t.app, w.worker.email);
    const refused = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}/watchers`, headers: { cookie: practitioner.cookie } });
    expect(refused.statusCode).toBe(404);
    const stranger = await makeUser(t.db, { organisationId: panelOrg.id, roles: ['team_manager'] });
    const s = await signIn(t.app, stranger.email);
    expect((await t.app.inject({ method: 'GET', url: `/people/${w.child.id}/watchers`, headers: { cookie: s.cookie } })).statusCode).toBe(404);

    const mc = (await signIn(t.app, w.manager.email)).cookie;
    const page = await t.app.inject({ method: 'GET', url: `/people/${w.child.id}/watchers`, headers: { cookie: mc } });
    expect(page.statusCode).toBe(200);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)![1]!;
    const bad = await t.app.inject({ method: 'POST', url: `/people/${w.child.id}/watchers`, headers: { cookie: mc, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: csrf, watcher: `team:${panelTeam.id}`, reason: 'x' }).toString() });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Choose a person or a team of your organisation');
    expect(bad.body).toContain('in at least 10 characters');
    const added = await t.app.inject({ method: 'POST', url: `/people/${w.child.id}/watchers`, headers: { cookie: mc, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: csrf, watcher: `team:${w.cscTeam.id}`, reason: 'Team follows after a handover', days: '30' }).toString() });
    expect(added.statusCode).toBe(303);
    const rows = await t.db.selectFrom('watcher').select(['team_id', 'ends_at', 'created_by_user_id']).where('person_id', '=', w.child.id).where('team_id', '=', w.cscTeam.id).execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]!.created_by_user_id).toBe(w.manager.id);
  });

  it('emails each new alert once, through SMTP, with no personal data', async () => {
    const w = await world();
    const before = smtp.messages.length;
    await writeEntry(t.db, { organisationId: w.police.id, personId: w.child.id, eventTypeCode: 'arrest', occurredAt: recent(), summary: 'Synthetic summary that must stay out of email', sourceRecordId: u() });
    const config = loadConfig({ NODE_ENV: 'test', SMTP_URL: smtp.url, PUBLIC_BASE_URL: 'https://jigsaw.example.test' });
    await drainOutbox(t.db, { processors: outboxProcessors(config) });
    await drainOutbox(t.db, { processors: outboxProcessors(config) });
    const sent = smtp.messages.slice(before).filter((m) => m.to.includes(w.worker.email) || m.to.includes(w.yjWorker.email));
    expect(sent.map((m) => m.to[0]).sort()).toEqual([w.worker.email, w.yjWorker.email].sort());
    const names = await t.db.selectFrom('person_name').select(['given_names', 'family_name']).where('person_id', '=', w.child.id).executeTakeFirstOrThrow();
    for (const m of sent) {
      expect(m.text).toContain('https://jigsaw.example.test/alerts');
      for (const secret of [names.given_names!, names.family_name!, 'Synthetic summary', 'Arrest', w.police.name, w.child.id]) expect(m.raw).not.toContain(secret);
    }
    const emailed = await t.db.selectFrom('alert').select('emailed_at').where('person_id', '=', w.child.id).execute();
    expect(emailed.every((a) => a.emailed_at !== null)).toBe(true);
  });
});
