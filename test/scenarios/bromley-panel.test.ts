import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/server/config.js';
import { outboxProcessors } from '../../src/server/outbox/processors.js';
import { drainOutbox } from '../drain-outbox.js';
import { writeEntry } from '../entries.js';
import { auditRowsFor, involve, lastAuditId, makeOrg, makePerson, makeTeam, makeUser, signIn, TEST_ENGINE, useTestApp } from '../helpers.js';
import { startSmtpCapture, type SmtpCapture } from '../smtp-capture.js';

// The Bromley scenario (issue: panels, plans, actions and offers of help). A child on a child
// protection plan is discussed at a review conference. Between it and the next review conference
// the police record a knife incident. The GP's update to the second conference cannot say "no
// significant incident" until the GP acknowledges it; the briefing pack lists it for every invitee
// allowed to see it (each reads what the chronology's scope lets them); the school and housing were
// invited by default. The access that the invitation gives ends with the meeting's access window.

const DAY = 86_400_000;
const daysFromNow = (n: number) => new Date(Date.now() + n * DAY);
const dateParts = (d: Date) => ({ 'heldAt-day': String(d.getUTCDate()), 'heldAt-month': String(d.getUTCMonth() + 1), 'heldAt-year': String(d.getUTCFullYear()), 'heldAt-time': '10:00' });

describe(`the Bromley scenario: a knife incident between two review conferences, on ${TEST_ENGINE}`, () => {
  let smtp: SmtpCapture;
  const t = useTestApp({ isolated: 'bromley' });
  const tag = randomUUID().slice(0, 6);
  const borough = `Bromwell ${tag}`;

  beforeAll(async () => {
    smtp = await startSmtpCapture();
    // Only the agreements made here are in force.
    await sql`UPDATE sharing_agreement SET valid_from = '2000-01-01', valid_to = '2000-01-02'`.execute(t.db);
  });
  afterAll(async () => { await smtp.close(); });

  const form = (cookie: string, csrf: string, url: string, fields: Record<string, string | string[]>) => {
    const body = new URLSearchParams({ _csrf: csrf });
    for (const [k, v] of Object.entries(fields)) for (const x of Array.isArray(v) ? v : [v]) body.append(k, x);
    return t.app.inject({ method: 'POST', url, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' }, payload: body.toString() });
  };
  const get = (cookie: string, url: string) => t.app.inject({ method: 'GET', url, headers: { cookie } });

  it('refuses the GP\'s "no significant incident" until the knife incident is acknowledged, lists it in each allowed reader\'s pack, and invites school and housing by default', async () => {
    const csc = await makeOrg(t.db, 'childrens_social_care', borough);
    const cscTeam = await makeTeam(t.db, csc.id);
    const socialWorker = await makeUser(t.db, { organisationId: csc.id, teamId: cscTeam.id });
    const coordinator = await makeUser(t.db, { organisationId: csc.id, roles: ['panel_coordinator'] });
    const police = await makeOrg(t.db, 'police', borough);
    const officer = await makeUser(t.db, { organisationId: police.id });
    const gp = await makeOrg(t.db, 'gp', borough);
    const gpLead = await makeUser(t.db, { organisationId: gp.id, roles: ['designated_safeguarding_lead'] });
    const school = await makeOrg(t.db, 'school', borough);
    const schoolDsl = await makeUser(t.db, { organisationId: school.id, roles: ['designated_safeguarding_lead'] });
    const housing = await makeOrg(t.db, 'housing', borough);
    const housingOfficer = await makeUser(t.db, { organisationId: housing.id, roles: ['team_manager'] });
    const yjs = await makeOrg(t.db, 'youth_justice', borough);
    const unrelated = await makeUser(t.db, { organisationId: yjs.id });

    const child = await makePerson(t.db, { given: 'Bromley', family: `Child${tag}` });
    await t.db.insertInto('person_address').values({ person_id: child.id, line1: '4 Synthetic Close', borough, valid_from: '2020-01-01' }).execute();
    await involve(t.db, { personId: child.id, organisationId: csc.id, userId: socialWorker.id });
    await involve(t.db, { personId: child.id, organisationId: police.id, userId: officer.id });
    await involve(t.db, { personId: child.id, organisationId: gp.id, userId: gpLead.id });
    await involve(t.db, { personId: child.id, organisationId: school.id });
    // Police information is shared with children's social care and the GP, not with the school or housing.
    for (const recipient of [csc.id, gp.id]) {
      await t.db.insertInto('sharing_agreement').values({ name: `Police to ${recipient}`, provider_organisation_id: police.id, recipient_organisation_id: recipient, categories: [], purpose: 'Safeguarding', valid_from: '2020-01-01' }).execute();
    }
    // The child is on a child protection plan.
    await writeEntry(t.db, { personId: child.id, organisationId: csc.id, eventTypeCode: 'child_protection_plan_started', occurredAt: daysFromNow(-120).toISOString(), summary: 'Synthetic: child protection plan started' });
    const plan = await t.db.insertInto('risk_plan').values({
      person_id: child.id, organisation_id: csc.id, created_by_user_id: socialWorker.id, worries: 'Synthetic: older young people are drawing him into carrying for them',
      goals: 'Synthetic: safe at home and in school every day', review_every_weeks: 6, closed_at: null, next_review_on: daysFromNow(30).toISOString().slice(0, 10),
    }).returning('id').executeTakeFirstOrThrow();
    await t.db.insertInto('plan_action').values({
      plan_id: plan.id, kind: 'supportive', description: 'Synthetic: mentoring sessions after school', owner_user_id: socialWorker.id, owner_organisation_id: csc.id,
      due_on: daysFromNow(-10).toISOString().slice(0, 10), status: 'not_done', status_reason: 'Synthetic: the mentor left', completed_at: daysFromNow(-9), created_by_user_id: socialWorker.id,
    }).execute();

    const coord = await signIn(t.app, coordinator.email);
    const sw = await signIn(t.app, socialWorker.email);
    expect((await form(coord.cookie, coord.csrf, '/panels/types', { name: `Review conference ${tag}`, kind: 'review_cp_conference', cadenceDays: '90', accessDaysBefore: '10' })).statusCode).toBe(303);
    const type = await t.db.selectFrom('panel_type').select('id').where('name', '=', `Review conference ${tag}`).executeTakeFirstOrThrow();

    // The social worker refers the child; the first review conference is held 60 days ago and sets the next review.
    expect((await form(sw.cookie, sw.csrf, `/people/${child.id}/panel-referrals/new`, { reason: 'Synthetic: review of the child protection plan' })).statusCode).toBe(303);
    const first = await form(coord.cookie, coord.csrf, '/panels/meetings', { panelTypeId: type.id, ...dateParts(daysFromNow(-60)) });
    expect(first.statusCode).toBe(303);
    const firstId = String(first.headers.location).split('/').pop()!;
    expect((await form(coord.cookie, coord.csrf, `/panels/meetings/${firstId}/send`, {})).statusCode).toBe(303);
    const firstItem = await t.db.selectFrom('panel_agenda_item').select('id').where('meeting_id', '=', firstId).executeTakeFirstOrThrow();
    const recorded = await form(coord.cookie, coord.csrf, `/panels/meetings/${firstId}/record`, {
      [`decision-${firstItem.id}`]: 'Synthetic: the plan continues; review in two months', [`review-${firstItem.id}`]: daysFromNow(2).toISOString().slice(0, 10),
    });
    expect(recorded.statusCode).toBe(303);

    // Between the two conferences the police record a knife incident.
    const knife = await writeEntry(t.db, { personId: child.id, organisationId: police.id, eventTypeCode: 'weapon_incident', occurredAt: daysFromNow(-20).toISOString(), summary: 'Synthetic: stopped with a kitchen knife near the station' });

    // The second review conference: the child is back for review; school and housing are invited by default.
    const second = await form(coord.cookie, coord.csrf, '/panels/meetings', { panelTypeId: type.id, ...dateParts(daysFromNow(3)) });
    const meetingId = String(second.headers.location).split('/').pop()!;
    const agenda = await t.db.selectFrom('panel_agenda_item').select(['person_id', 'section']).where('meeting_id', '=', meetingId).execute();
    expect(agenda).toEqual([{ person_id: child.id, section: 'review' }]);
    const invited = await t.db.selectFrom('panel_invitation').select(['organisation_id', 'basis']).where('meeting_id', '=', meetingId).execute();
    const basisOf = new Map(invited.map((i) => [i.organisation_id, i.basis]));
    expect(basisOf.get(school.id)).toBe('school');
    expect(basisOf.get(housing.id)).toBe('housing');
    expect(basisOf.get(police.id)).toBe('statutory');
    expect(basisOf.get(csc.id)).toBe('statutory');
    expect(basisOf.get(gp.id)).toBe('statutory');
    // A default invitee is never left out without a reason.
    const housingInvitation = await t.db.selectFrom('panel_invitation').select('id').where('meeting_id', '=', meetingId).where('organisation_id', '=', housing.id).executeTakeFirstOrThrow();
    const noReason = await form(coord.cookie, coord.csrf, `/panels/meetings/${meetingId}/invitations/${housingInvitation.id}/exclude`, { reason: '' });
    expect(noReason.statusCode).toBe(400);
    expect(noReason.body).toContain('Give the reason for leaving this agency out');

    // The agenda reviews the incomplete action of the child's plan, as not done.
    const agendaPage = await get(coord.cookie, `/panels/meetings/${meetingId}`);
    expect(agendaPage.body).toContain('Synthetic: mentoring sessions after school');
    expect(agendaPage.body).toContain('Not done');

    // Housing cannot open the child's record before the invitation is sent.
    const housingSession = await signIn(t.app, housingOfficer.email);
    expect((await get(housingSession.cookie, `/people/${child.id}`)).statusCode).toBe(404);
    expect((await form(coord.cookie, coord.csrf, `/panels/meetings/${meetingId}/send`, {})).statusCode).toBe(303);
    const invitees = await t.db.selectFrom('panel_invitee as pi').innerJoin('panel_invitation as i', 'i.id', 'pi.invitation_id').select('pi.user_id').where('i.meeting_id', '=', meetingId).execute();
    expect(new Set(invitees.map((i) => i.user_id))).toEqual(new Set([socialWorker.id, officer.id, gpLead.id, schoolDsl.id, housingOfficer.id]));
    const grant = await t.db.selectFrom('access_log').select(['detail']).where('person_id', '=', child.id).where('action', '=', 'panel.access_grant').orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect((grant.detail as { grantees: string[] }).grantees).toContain(housingOfficer.id);
    // In the app and by email (without anything about the child).
    await drainOutbox(t.db, { processors: outboxProcessors(loadConfig({ NODE_ENV: 'test', SMTP_URL: smtp.url, PUBLIC_BASE_URL: 'https://jigsaw.test' })) });
    // One email for each conference's invitation.
    const mail = smtp.messages.filter((m) => m.to.includes(schoolDsl.email));
    expect(mail).toHaveLength(2);
    expect(mail[0]!.text).toContain('https://jigsaw.test/panels');
    expect(mail[0]!.text).not.toContain(`Child${tag}`);
    const schoolSession = await signIn(t.app, schoolDsl.email);
    expect((await get(schoolSession.cookie, '/panels')).body).toContain(`/panels/meetings/${meetingId}`);

    // The GP's update lists the knife incident, and cannot report no significant incident without acknowledging it.
    const gpSession = await signIn(t.app, gpLead.email);
    const updateUrl = `/panels/meetings/${meetingId}/children/${child.id}/update`;
    const updateForm = await get(gpSession.cookie, updateUrl);
    expect(updateForm.statusCode).toBe(200);
    expect(updateForm.body).toContain('Synthetic: stopped with a kitchen knife near the station');
    const refused = await form(gpSession.cookie, gpSession.csrf, updateUrl, { facts: 'Synthetic: attended two appointments', noSignificantIncident: 'yes' });
    expect(refused.statusCode).toBe(400);
    expect(refused.body).toContain('You cannot report no significant incident: the chronology holds 1 significant entry since the last review');
    expect(await t.db.selectFrom('panel_update').select('id').where('meeting_id', '=', meetingId).execute()).toHaveLength(0);
    const sent = await form(gpSession.cookie, gpSession.csrf, updateUrl, { facts: 'Synthetic: attended two appointments', noSignificantIncident: 'yes', acknowledged: knife.id });
    expect(sent.statusCode).toBe(303);
    const acks = await t.db.selectFrom('panel_update_acknowledgement as k').innerJoin('panel_update as u', 'u.id', 'k.update_id').select('k.event_id').where('u.meeting_id', '=', meetingId).execute();
    expect(acks).toEqual([{ event_id: knife.id }]);

    // The pack lists the incident for every invitee allowed to see it, and its existence to the others.
    const packUrl = `/panels/meetings/${meetingId}/pack`;
    for (const [who, session, readsIt] of [['GP', gpSession, true], ['social worker', sw, true], ['coordinator', coord, true], ['school', schoolSession, false], ['housing', housingSession, false]] as const) {
      const pack = await get(session.cookie, packUrl);
      expect(pack.statusCode, who).toBe(200);
      expect(pack.body.includes('Synthetic: stopped with a kitchen knife near the station'), `${who} reads the incident`).toBe(readsIt);
      expect(pack.body, who).toContain(police.name);
      expect(pack.body, who).toContain('Synthetic: safe at home and in school every day');
    }
    const packRows = await t.db.selectFrom('access_log').select('user_id').where('person_id', '=', child.id).where('action', '=', 'panel.pack.read').execute();
    expect(packRows.length).toBe(5);

    // Someone not invited is refused as not found, with a denied row.
    const outsider = await signIn(t.app, unrelated.email);
    const before = await lastAuditId(t.db);
    expect((await get(outsider.cookie, packUrl)).statusCode).toBe(404);
    expect((await get(outsider.cookie, updateUrl)).statusCode).toBe(404);
    const denied = (await auditRowsFor(t.db, { userId: unrelated.id, since: before })).filter((r) => r.outcome === 'denied');
    expect(denied.map((r) => r.action)).toEqual(['panel.pack.read', 'panel.update.submit']);

    // The invitation's access is time-limited: once the meeting's window closes, housing is refused.
    expect((await get(housingSession.cookie, `/people/${child.id}`)).statusCode).toBe(200);
    await t.db.updateTable('panel_meeting').set({ held_at: daysFromNow(-5), access_from: daysFromNow(-15), access_until: daysFromNow(-3) }).where('id', '=', meetingId).execute();
    const beforeExpiry = await lastAuditId(t.db);
    expect((await get(housingSession.cookie, `/people/${child.id}`)).statusCode).toBe(404);
    expect((await get(housingSession.cookie, packUrl)).statusCode).toBe(404);
    expect((await auditRowsFor(t.db, { userId: housingOfficer.id, since: beforeExpiry })).filter((r) => r.outcome === 'denied')).toHaveLength(2);

    // The meeting record: attendance by agency, whether each agency sent its update, the next review.
    const invitations = await t.db.selectFrom('panel_invitation').select(['id', 'organisation_id']).where('meeting_id', '=', meetingId).execute();
    const item = await t.db.selectFrom('panel_agenda_item').select('id').where('meeting_id', '=', meetingId).executeTakeFirstOrThrow();
    const fields: Record<string, string> = { [`decision-${item.id}`]: 'Synthetic: disruption plan for the station; school to join the core group', [`review-${item.id}`]: daysFromNow(85).toISOString().slice(0, 10) };
    for (const i of invitations) fields[`attendance-${i.id}`] = i.organisation_id === housing.id ? 'apologies' : 'attended';
    for (const i of invitations) if (i.organisation_id !== housing.id) Object.assign(fields, { [`name-${i.id}`]: 'Synthetic Attendee', [`role-${i.id}`]: 'Safeguarding lead' });
    // An action agreed at the meeting goes on the child's plan, owned by an invitee.
    Object.assign(fields, { [`action-${item.id}`]: 'Synthetic: school to share attendance with the police weekly', [`actionKind-${item.id}`]: 'disruptive', [`actionOwner-${item.id}`]: schoolDsl.id, [`actionDue-${item.id}`]: daysFromNow(14).toISOString().slice(0, 10) });
    expect((await form(coord.cookie, coord.csrf, `/panels/meetings/${meetingId}/record`, fields)).statusCode).toBe(303);
    const agreed = await t.db.selectFrom('plan_action').select(['owner_user_id', 'kind', 'status']).where('plan_id', '=', plan.id).where('description', 'like', '%share attendance%').execute();
    expect(agreed).toEqual([{ owner_user_id: schoolDsl.id, kind: 'disruptive', status: 'not_started' }]);
    const figures = await get(coord.cookie, '/panels/figures');
    expect(figures.statusCode).toBe(200);
    expect(figures.body).toContain(gp.name);
    expect(figures.body).toMatch(/Of 1 children heard as new referrals, 0 had been heard/);
  });
});
