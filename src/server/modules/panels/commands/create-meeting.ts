/**
 * Schedules a meeting of a panel and builds its agenda and default invitations, in the caller's
 * transaction:
 * - children for review: those the panel last discussed whose next review date falls by the meeting;
 * - new referrals: every referral of the partnership waiting for a meeting, and every assessment
 *   signed off at high or very high (panel_referral_due) for a child of the partnership not yet
 *   referred from it (it becomes a referral from the assessment);
 * - invitations: the statutory partners (police and children's social care of the partnership, and
 *   health: the health agencies involved with a child on the agenda, else the partnership's community
 *   health services), each child's school, housing (involved, else the partnership's), the standing
 *   members, and every other agency involved with a child on the agenda.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import type { Actor } from '../../../actor.js';
import { recordAccessMany } from '../../../audit/record-access.js';
import { mergeGroupSql } from '../../chronology/chronology.policy.js';
import { ACCESS_DAYS_AFTER } from '../panels.policy.js';

type User = Extract<Actor, { kind: 'user' }>;
type Basis = 'statutory' | 'school' | 'housing' | 'involved' | 'standing';

const HEALTH_KINDS = ['gp', 'community_health', 'acute_hospital', 'camhs'];
const DAY = 86_400_000;

interface Meta { route: string; requestId: string }

export type CreateMeetingResult = { ok: true; meetingId: string } | { ok: false; problems: { field: string; message: string }[] };

export async function createMeeting(trx: Kysely<Database>, actor: User, input: { panelTypeId: string; heldAt: Date }, meta: Meta): Promise<CreateMeetingResult> {
  const type = await trx.selectFrom('panel_type').selectAll().where('id', '=', input.panelTypeId).where('partnership_id', '=', actor.partnershipId).executeTakeFirst();
  if (!type) return { ok: false, problems: [{ field: 'panelTypeId', message: 'Choose a panel' }] };
  const heldAt = input.heldAt;
  const meeting = await trx.insertInto('panel_meeting').values({
    panel_type_id: type.id, held_at: heldAt, created_by_user_id: actor.userId,
    access_from: new Date(heldAt.getTime() - type.access_days_before * DAY), access_until: new Date(heldAt.getTime() + ACCESS_DAYS_AFTER * DAY),
  }).returning('id').executeTakeFirstOrThrow();

  // Children due for review: the panel's latest discussion of each child set a review date by this meeting.
  const due = await sql<{ person_id: string }>`
    SELECT last.person_id FROM (
      SELECT DISTINCT ON (ai.person_id) ai.person_id, ai.next_review_on
      FROM panel_agenda_item ai JOIN panel_meeting m ON m.id = ai.meeting_id
      WHERE m.panel_type_id = ${type.id} AND m.status <> 'cancelled' AND m.id <> ${meeting.id} AND m.held_at < ${heldAt}
      ORDER BY ai.person_id, m.held_at DESC) last
    WHERE last.next_review_on IS NOT NULL AND last.next_review_on <= ${heldAt}::date`.execute(trx);

  // Assessments at high or very high for the partnership's children become referrals (once each).
  await sql`INSERT INTO panel_referral (person_id, partnership_id, source, reason, assessment_id)
    SELECT d.person_id, ${actor.partnershipId}::uuid, 'assessment', 'Risk assessment signed off at ' || replace(d.level, '_', ' '), d.assessment_id
    FROM panel_referral_due d JOIN person_partnership pp ON pp.person_id = d.person_id AND pp.partnership_id = ${actor.partnershipId}::uuid
    WHERE NOT EXISTS (SELECT 1 FROM panel_referral r WHERE r.assessment_id = d.assessment_id)`.execute(trx);
  const referrals = await trx.updateTable('panel_referral').set({ meeting_id: meeting.id })
    .where('partnership_id', '=', actor.partnershipId).where('meeting_id', 'is', null)
    .returning(['id', 'person_id']).execute();

  const items = new Map<string, { section: 'review' | 'new_referral'; referral_id: string | null }>();
  for (const r of due.rows) items.set(r.person_id, { section: 'review', referral_id: null });
  for (const r of referrals) {
    const existing = items.get(r.person_id);
    if (existing) existing.referral_id ??= r.id;
    else items.set(r.person_id, { section: 'new_referral', referral_id: r.id });
  }
  if (items.size) {
    await trx.insertInto('panel_agenda_item').values([...items].map(([person_id, i]) => ({ meeting_id: meeting.id, person_id, ...i }))).execute();
  }
  await proposeInvitations(trx, meeting.id, type.id, actor.partnershipId, [...items.keys()]);
  await recordAccessMany(trx, [...items.keys()].map((personId) => ({
    actor, action: 'panel.meeting.create' as const, personId, route: meta.route, outcome: 'allowed' as const, requestId: meta.requestId,
    detail: { meetingId: meeting.id, section: items.get(personId)!.section },
  })));
  return { ok: true, meetingId: meeting.id };
}

/** The default invitations of a meeting (an agency already invited keeps its first basis). */
export async function proposeInvitations(trx: Kysely<Database>, meetingId: string, panelTypeId: string, partnershipId: string, children: string[]): Promise<void> {
  const [members, standing, involved] = await Promise.all([
    trx.selectFrom('organisation_partnership as op').innerJoin('organisation as o', 'o.id', 'op.organisation_id')
      .select(['o.id', 'o.kind']).where('op.partnership_id', '=', partnershipId)
      .where('o.kind', 'in', ['police', 'childrens_social_care', 'community_health', 'housing']).execute(),
    trx.selectFrom('panel_member').select('organisation_id').where('panel_type_id', '=', panelTypeId).execute(),
    children.length
      ? sql<{ id: string; kind: string }>`SELECT DISTINCT o.id, o.kind FROM ${mergeGroupSql(children)} g
          JOIN involvement i ON i.person_id = g.person_id AND i.started_on <= current_date AND (i.ended_on IS NULL OR i.ended_on >= current_date)
          JOIN organisation o ON o.id = i.organisation_id`.execute(trx).then((r) => r.rows)
      : Promise.resolve([]),
  ]);
  const basis = new Map<string, Basis>();
  const add = (id: string, b: Basis) => { if (!basis.has(id)) basis.set(id, b); };
  for (const o of members) if (o.kind === 'police' || o.kind === 'childrens_social_care') add(o.id, 'statutory');
  const health = involved.filter((o) => HEALTH_KINDS.includes(o.kind));
  for (const o of health.length ? health : members.filter((m) => m.kind === 'community_health')) add(o.id, 'statutory');
  for (const o of involved) if (o.kind === 'police' || o.kind === 'childrens_social_care') add(o.id, 'statutory');
  for (const o of involved) if (o.kind === 'school') add(o.id, 'school');
  const housing = involved.filter((o) => o.kind === 'housing');
  for (const o of housing.length ? housing : members.filter((m) => m.kind === 'housing')) add(o.id, 'housing');
  for (const m of standing) add(m.organisation_id, 'standing');
  for (const o of involved) add(o.id, 'involved');
  if (basis.size === 0) return;
  await trx.insertInto('panel_invitation')
    .values([...basis].map(([organisation_id, b]) => ({ meeting_id: meetingId, organisation_id, basis: b })))
    .onConflict((oc) => oc.columns(['meeting_id', 'organisation_id']).doNothing()).execute();
}
