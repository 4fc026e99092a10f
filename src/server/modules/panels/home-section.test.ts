import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { involve, lastAuditId, makeOrg, makePerson, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import type { Actor } from '../../actor.js';
import { createMeeting } from './commands/create-meeting.js';
import { sendInvitations } from './commands/invitations.js';
import { findMeeting } from './panels.policy.js';

const DAY = 86_400_000;
const meta = { route: 'test', requestId: 'test' };

/** A panel coordinator's home page starts with their panels' coming meetings and the referrals waiting; a practitioner's does not. */
describe(`the panel coordinator's home page on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  it('lists the coming meeting (children on the agenda, agency updates still due) and the referrals waiting, with an access-log row naming the children shown', async () => {
    const borough = `Hometon ${randomUUID().slice(0, 6)}`;
    const csc = await makeOrg(t.db, 'childrens_social_care', borough);
    const housing = await makeOrg(t.db, 'housing', borough);
    const coordinator = await makeUser(t.db, { organisationId: csc.id, roles: ['panel_coordinator'] });
    const worker = await makeUser(t.db, { organisationId: csc.id });
    const housingLead = await makeUser(t.db, { organisationId: housing.id, roles: ['designated_safeguarding_lead'] });
    const { partnership_id: partnershipId } = await t.db.selectFrom('app_user').select('partnership_id').where('id', '=', coordinator.id).executeTakeFirstOrThrow();
    const actor: Extract<Actor, { kind: 'user' }> = { kind: 'user', userId: coordinator.id, name: coordinator.name, email: coordinator.email, organisationId: csc.id, organisationName: csc.name, teamId: null, roles: ['panel_coordinator'], partnershipId };
    const panelName = `MACE ${randomUUID().slice(0, 6)}`;
    const type = await t.db.insertInto('panel_type').values({ partnership_id: partnershipId, kind: 'mace', name: panelName, cadence_days: 28 }).returning('id').executeTakeFirstOrThrow();
    const child = async (family: string) => {
      const c = await makePerson(t.db, { given: 'Synthetic', family });
      await t.db.insertInto('person_address').values({ person_id: c.id, line1: '1 Synthetic Way', borough, valid_from: '2020-01-01' }).execute();
      await involve(t.db, { personId: c.id, organisationId: csc.id, userId: worker.id });
      await t.db.insertInto('panel_referral').values({ person_id: c.id, partnership_id: partnershipId, source: 'practitioner', reason: 'Synthetic referral', referred_by_user_id: worker.id, organisation_id: csc.id }).execute();
      return c;
    };
    const onAgenda = [`Agendaone${randomUUID().slice(0, 4)}`, `Agendatwo${randomUUID().slice(0, 4)}`];
    const first = await child(onAgenda[0]!);
    await child(onAgenda[1]!);
    const made = await t.db.transaction().execute((trx) => createMeeting(trx, actor, { panelTypeId: type.id, heldAt: new Date(Date.now() + 3 * DAY) }, meta));
    if (!made.ok) throw new Error('meeting not made');
    const meeting = (await findMeeting(t.db, made.meetingId))!;
    await t.db.transaction().execute((trx) => sendInvitations(trx, actor, meeting, meta));
    await t.db.insertInto('panel_update').values({ meeting_id: meeting.id, person_id: first.id, organisation_id: housing.id, author_user_id: housingLead.id, facts: 'Synthetic facts', no_significant_incident: false, submitted_at: new Date() }).execute();
    const invited = await t.db.selectFrom('panel_invitation').select('organisation_id').where('meeting_id', '=', meeting.id).where('excluded_reason', 'is', null).execute();
    expect(invited.map((i) => i.organisation_id)).toContain(housing.id);
    // A referral made after the meeting was scheduled waits for the next agenda.
    const waitingFamily = `Waiting${randomUUID().slice(0, 4)}`;
    const waiting = await child(waitingFamily);

    const coord = await signIn(t.app, coordinator.email);
    const since = await lastAuditId(t.db);
    const home = await t.app.inject({ method: 'GET', url: '/', headers: { cookie: coord.cookie } });
    expect(home.statusCode).toBe(200);
    const row = new RegExp(`<a class="govuk-link" href="/panels/meetings/${meeting.id}">${panelName}</a></td>\\s*<td[^>]*>2</td>\\s*<td[^>]*>${invited.length * 2 - 1}</td>`);
    expect(home.body).toMatch(row);
    expect(home.body.indexOf('Coming panel meetings')).toBeLessThan(home.body.indexOf('My children'));
    expect(home.body).toContain('Referrals waiting for an agenda');
    expect(home.body).toMatch(new RegExp(`<a class="govuk-link" href="/panels">Synthetic ${waitingFamily}</a>: A practitioner&#39;s referral, referred `));
    // The children on the agenda are not waiting any more.
    const referralsShown = home.body.slice(home.body.indexOf('Referrals waiting for an agenda'), home.body.indexOf('My children'));
    expect(referralsShown).toContain(waitingFamily);
    for (const family of onAgenda) expect(referralsShown).not.toContain(family);
    const logged = await t.db.selectFrom('access_log').select(['action', 'detail']).where('id', '>', since).where('user_id', '=', coordinator.id).where('action', '=', 'panel.list').execute();
    expect(logged).toHaveLength(1);
    expect((logged[0]!.detail as { personIds: string[] }).personIds).toEqual([waiting.id]);

    // The meeting page it links to opens for the coordinator.
    expect((await t.app.inject({ method: 'GET', url: `/panels/meetings/${meeting.id}`, headers: { cookie: coord.cookie } })).statusCode).toBe(200);

    // A practitioner's home page has no panel work, even one working with the children on the agenda.
    const practitioner = await signIn(t.app, worker.email);
    const theirs = await t.app.inject({ method: 'GET', url: '/', headers: { cookie: practitioner.cookie } });
    expect(theirs.statusCode).toBe(200);
    expect(theirs.body).toContain('My children');
    expect(theirs.body).not.toContain('Coming panel meetings');
    expect(theirs.body).not.toContain(meeting.id);
    expect(theirs.body).not.toContain('Referrals waiting for an agenda');
  });
});
