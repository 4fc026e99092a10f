import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { auditRowsFor, involve, lastAuditId, makeOrg, makePerson, makeUser, signIn, useTestApp } from '../../../../test/helpers.js';
import type { Actor } from '../../actor.js';
import { decideConsideration } from '../considerations/commands/decide-consideration.js';
import { createMeeting } from './commands/create-meeting.js';
import { sendInvitations } from './commands/invitations.js';
import { panelFigures } from './panels.figures.js';
import { linksAndPlaces } from './panels.queries.js';
import { writeEntry } from '../../../../test/entries.js';
import { findMeeting } from './panels.policy.js';
import { authorizePerson, visiblePersonIds } from '../people/people.policy.js';

const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY);
const meta = { route: 'test', requestId: 'test' };

/**
 * Panels beyond the Bromley scenario: referrals from assessments, refusals (another partnership's
 * coordinator, an agency left out) and the panel figures as the clock moves.
 */
describe('panels', () => {
  const t = useTestApp();

  async function partnership() {
    const borough = `Panelton ${randomUUID().slice(0, 6)}`;
    const csc = await makeOrg(t.db, 'childrens_social_care', borough);
    const housing = await makeOrg(t.db, 'housing', borough);
    const coordinator = await makeUser(t.db, { organisationId: csc.id, roles: ['panel_coordinator'] });
    const worker = await makeUser(t.db, { organisationId: csc.id });
    const housingLead = await makeUser(t.db, { organisationId: housing.id, roles: ['designated_safeguarding_lead'] });
    const row = await t.db.selectFrom('app_user').select(['partnership_id']).where('id', '=', coordinator.id).executeTakeFirstOrThrow();
    const actor: Extract<Actor, { kind: 'user' }> = { kind: 'user', userId: coordinator.id, name: coordinator.name, email: coordinator.email, organisationId: csc.id, organisationName: csc.name, teamId: null, roles: ['panel_coordinator'], partnershipId: row.partnership_id };
    const type = await t.db.insertInto('panel_type').values({ partnership_id: row.partnership_id, kind: 'mace', name: 'MACE', cadence_days: 28 }).returning('id').executeTakeFirstOrThrow();
    const child = await makePerson(t.db);
    await t.db.insertInto('person_address').values({ person_id: child.id, line1: '1 Synthetic Way', borough, valid_from: '2020-01-01' }).execute();
    await involve(t.db, { personId: child.id, organisationId: csc.id, userId: worker.id });
    return { borough, csc, housing, coordinator, worker, housingLead, actor, typeId: type.id, partnershipId: row.partnership_id, child };
  }

  it('puts a child whose assessment was signed off at high on the next agenda, once, with an access-log row', async () => {
    const p = await partnership();
    const assessment = await t.db.insertInto('assessment').values({ person_id: p.child.id, organisation_id: p.csc.id, assessor_user_id: p.worker.id })
      .returning('id').executeTakeFirstOrThrow();
    await t.db.insertInto('panel_referral_due').values({ person_id: p.child.id, assessment_id: assessment.id, level: 'high', previous_level: 'medium' }).execute();
    const first = await t.db.transaction().execute((trx) => createMeeting(trx, p.actor, { panelTypeId: p.typeId, heldAt: new Date(Date.now() + 3 * DAY) }, meta));
    const second = await t.db.transaction().execute((trx) => createMeeting(trx, p.actor, { panelTypeId: p.typeId, heldAt: new Date(Date.now() + 10 * DAY) }, meta));
    if (!first.ok || !second.ok) throw new Error('meetings not made');
    const items = await t.db.selectFrom('panel_agenda_item as ai').innerJoin('panel_referral as r', 'r.id', 'ai.referral_id')
      .select(['ai.meeting_id', 'ai.section', 'r.source', 'r.reason']).where('ai.person_id', '=', p.child.id).execute();
    expect(items).toEqual([{ meeting_id: first.meetingId, section: 'new_referral', source: 'assessment', reason: 'Risk assessment signed off at high' }]);
    expect(await t.db.selectFrom('access_log').select('id').where('person_id', '=', p.child.id).where('action', '=', 'panel.meeting.create').execute()).toHaveLength(1);
  });

  it('puts a child on the next agenda when their consideration is decided as a referral to a panel', async () => {
    const p = await partnership();
    const version = await t.db.selectFrom('rule_version').select('id').limit(1).executeTakeFirstOrThrow();
    const consideration = await t.db.insertInto('consideration').values({
      person_id: p.child.id, rule_version_id: version.id, evidence_key: randomUUID(), matched_event_ids: [randomUUID()], explanation: 'Synthetic explanation',
      recipient_kind: 'lead_professional', recipient_user_id: p.worker.id, recipient_organisation_id: p.csc.id, created_via: 'full_pass',
    }).returning('id').executeTakeFirstOrThrow();
    const worker = { ...p.actor, userId: p.worker.id, roles: ['practitioner' as const] };
    await decideConsideration(t.db, worker, consideration.id, { decision: 'refer_to_panel', service: '', reason: 'Synthetic: a pattern the panel should see' }, meta);
    const made = await t.db.transaction().execute((trx) => createMeeting(trx, p.actor, { panelTypeId: p.typeId, heldAt: new Date(Date.now() + 3 * DAY) }, meta));
    if (!made.ok) throw new Error('meeting not made');
    const item = await t.db.selectFrom('panel_agenda_item as ai').innerJoin('panel_referral as r', 'r.id', 'ai.referral_id')
      .select(['ai.section', 'r.source', 'r.reason', 'r.consideration_id']).where('ai.meeting_id', '=', made.meetingId).executeTakeFirstOrThrow();
    expect(item).toEqual({ section: 'new_referral', source: 'consideration', reason: 'Synthetic: a pattern the panel should see', consideration_id: consideration.id });
  });

  it('refuses another partnership\'s coordinator and an agency left out as not found, with denied rows; leaving out withdraws the agency\'s access', async () => {
    const p = await partnership();
    const other = await partnership();
    await t.db.insertInto('panel_referral').values({ person_id: p.child.id, partnership_id: p.partnershipId, source: 'practitioner', reason: 'Synthetic referral' }).execute();
    const made = await t.db.transaction().execute((trx) => createMeeting(trx, p.actor, { panelTypeId: p.typeId, heldAt: new Date(Date.now() + 3 * DAY) }, meta));
    if (!made.ok) throw new Error('meeting not made');
    const meeting = (await findMeeting(t.db, made.meetingId))!;
    await t.db.transaction().execute((trx) => sendInvitations(trx, p.actor, meeting, meta));
    const housing = await signIn(t.app, p.housingLead.email);
    expect((await t.app.inject({ method: 'GET', url: `/people/${p.child.id}`, headers: { cookie: housing.cookie } })).statusCode).toBe(200);
    // The list filter and the per-record decision agree on the access the invitation gave.
    const housingActor = { ...p.actor, userId: p.housingLead.id, organisationId: p.housing.id, roles: ['designated_safeguarding_lead' as const] };
    const listed = async () => (await t.db.selectFrom('person').select('id').where('id', 'in', visiblePersonIds(t.db, housingActor)).execute()).map((r) => r.id);
    expect(await listed()).toEqual([p.child.id]);
    expect(await authorizePerson(t.db, housingActor, 'person.read', p.child.id)).toBe(true);

    const outsider = await signIn(t.app, other.coordinator.email);
    const before = await lastAuditId(t.db);
    expect((await t.app.inject({ method: 'GET', url: `/panels/meetings/${meeting.id}`, headers: { cookie: outsider.cookie } })).statusCode).toBe(404);
    expect((await auditRowsFor(t.db, { userId: other.coordinator.id, since: before })).map((r) => [r.action, r.outcome, (r.detail as { reason: string }).reason]))
      .toEqual([['panel.meeting.read', 'denied', 'record']]);

    // Leaving housing out needs a reason and takes its access away at once.
    const coord = await signIn(t.app, p.coordinator.email);
    const invitation = await t.db.selectFrom('panel_invitation').select('id').where('meeting_id', '=', meeting.id).where('organisation_id', '=', p.housing.id).executeTakeFirstOrThrow();
    const left = await t.app.inject({ method: 'POST', url: `/panels/meetings/${meeting.id}/invitations/${invitation.id}/exclude`, headers: { cookie: coord.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams({ _csrf: coord.csrf, reason: 'Synthetic: housing has no role with this family' }).toString() });
    expect(left.statusCode).toBe(303);
    const since = await lastAuditId(t.db);
    expect((await t.app.inject({ method: 'GET', url: `/people/${p.child.id}`, headers: { cookie: housing.cookie } })).statusCode).toBe(404);
    expect((await t.app.inject({ method: 'GET', url: `/panels/meetings/${meeting.id}/pack`, headers: { cookie: housing.cookie } })).statusCode).toBe(404);
    expect((await auditRowsFor(t.db, { userId: p.housingLead.id, since })).filter((r) => r.outcome === 'denied')).toHaveLength(2);
    expect(await listed()).toEqual([]);
    expect(await authorizePerson(t.db, housingActor, 'person.read', p.child.id)).toBe(false);
    const row = await t.db.selectFrom('access_log').select('detail').where('action', '=', 'panel.invite').where('user_id', '=', p.coordinator.id).orderBy('id', 'desc').executeTakeFirstOrThrow();
    expect(row.detail).toMatchObject({ excluded: p.housing.id, basis: 'housing', reason: 'Synthetic: housing has no role with this family' });
  });

  it('links children on an agenda through entries naming both, and finds the places and factors they share, as the reader may see them', async () => {
    const p = await partnership();
    const other = await makePerson(t.db);
    const shared = await writeEntry(t.db, { personId: p.child.id, organisationId: p.csc.id, eventTypeCode: 'seen_in_place_of_concern', place: 'Synthetic Arcade', factorCodes: ['going_missing'], summary: 'Synthetic: both seen at the arcade' });
    await t.db.insertInto('event_person').values({ event_id: shared.id, person_id: other.id, role: 'subject' }).execute();
    await writeEntry(t.db, { personId: other.id, organisationId: p.csc.id, eventTypeCode: 'missing_episode', place: 'synthetic arcade ', factorCodes: ['going_missing'] });
    const seen = await linksAndPlaces(t.db, p.actor, [p.child.id, other.id]);
    expect(seen.links).toEqual([{ a: [p.child.id, other.id].sort()[0], b: [p.child.id, other.id].sort()[1], shared: 1 }]);
    expect(seen.places.map((x) => x.place.toLowerCase().trim())).toEqual(['synthetic arcade']);
    expect(seen.themes.length).toBeGreaterThan(0);
    // A reader whose organisation is shared nothing sees the link (entries exist) but no place or factor.
    const police = await makeOrg(t.db, 'police', p.borough);
    const blind = { ...p.actor, organisationId: police.id, userId: (await makeUser(t.db, { organisationId: police.id })).id };
    await sql`UPDATE sharing_agreement SET valid_from = '2000-01-01', valid_to = '2000-01-02' WHERE recipient_organisation_id IS NULL OR recipient_organisation_id = ${police.id}`.execute(t.db);
    const withheld = await linksAndPlaces(t.db, blind, [p.child.id, other.id]);
    expect(withheld.links).toHaveLength(1);
    expect(withheld.places).toEqual([]);
    expect(withheld.themes).toEqual([]);
  });

  it('counts the repeat rate, attendance, updates and actions on time over the twelve months to a moment', async () => {
    const p = await partnership();
    const second = await makePerson(t.db);
    const meeting = async (daysAgo: number) => (await t.db.insertInto('panel_meeting').values({
      panel_type_id: p.typeId, held_at: ago(daysAgo), access_from: ago(daysAgo + 10), access_until: ago(daysAgo - 2), status: 'held', created_by_user_id: p.coordinator.id, recorded_at: ago(daysAgo),
    }).returning('id').executeTakeFirstOrThrow()).id;
    const earlier = await meeting(200);
    const later = await meeting(20);
    await t.db.insertInto('panel_agenda_item').values([
      { meeting_id: earlier, person_id: p.child.id, section: 'new_referral' },
      { meeting_id: later, person_id: p.child.id, section: 'new_referral' },
      { meeting_id: later, person_id: second.id, section: 'new_referral' },
    ]).execute();
    await t.db.insertInto('panel_invitation').values([
      { meeting_id: earlier, organisation_id: p.housing.id, basis: 'housing', sent_at: ago(210), attendance: 'apologies' },
      { meeting_id: later, organisation_id: p.housing.id, basis: 'housing', sent_at: ago(30), attendance: 'attended', attendee_name: 'Synthetic Officer', attendee_role: 'Housing lead' },
    ]).execute();
    await t.db.insertInto('panel_update').values([
      { meeting_id: later, person_id: p.child.id, organisation_id: p.housing.id, author_user_id: p.housingLead.id, facts: 'Synthetic facts', no_significant_incident: false, submitted_at: ago(22) },
      { meeting_id: later, person_id: second.id, organisation_id: p.housing.id, author_user_id: p.housingLead.id, facts: 'Synthetic facts', no_significant_incident: false, submitted_at: ago(19) },
    ]).execute();
    const plan = await t.db.insertInto('risk_plan').values({ person_id: p.child.id, organisation_id: p.csc.id, created_by_user_id: p.worker.id, worries: 'w', goals: 'g', review_every_weeks: 6, next_review_on: '2030-01-01', closed_at: null }).returning('id').executeTakeFirstOrThrow();
    const due = ago(10).toISOString().slice(0, 10);
    await t.db.insertInto('plan_action').values([
      { plan_id: plan.id, kind: 'supportive', description: 'Synthetic on time', owner_user_id: p.housingLead.id, owner_organisation_id: p.housing.id, due_on: due, status: 'done', completed_at: ago(12), created_by_user_id: p.worker.id },
      { plan_id: plan.id, kind: 'disruptive', description: 'Synthetic late', owner_user_id: p.housingLead.id, owner_organisation_id: p.housing.id, due_on: due, status: 'done', completed_at: ago(5), created_by_user_id: p.worker.id },
    ]).execute();

    const now = await panelFigures(t.db, p.partnershipId);
    expect({ heard: now.heard, repeats: now.repeats, rate: now.repeatRate }).toEqual({ heard: 3, repeats: 1, rate: 1 / 3 });
    expect(now.agencies.find((a) => a.organisation_id === p.housing.id)).toMatchObject({ invited: 2, attended: 1, apologies: 1, due: 3, on_time: 1, late: 1, actions_due: 2, actions_on_time: 1 });
    // Moving the clock on: the earlier meeting leaves the twelve months counted, and still makes the child a repeat at the later one.
    const yearOn = await panelFigures(t.db, p.partnershipId, new Date(Date.now() + 190 * DAY));
    expect({ heard: yearOn.heard, repeats: yearOn.repeats }).toEqual({ heard: 2, repeats: 1 });
    const beyond = await panelFigures(t.db, p.partnershipId, new Date(Date.now() + 400 * DAY));
    expect(beyond.heard).toBe(0);
    expect(beyond.repeatRate).toBeNull();
  });
});
