/**
 * The meeting record: attendance by agency (who came and in what role, or apologies), the decision
 * for each child and their next review date, and the actions agreed: for a child with a plan in force,
 * each becomes an action on that plan (plans' addAction: an owner among the meeting's invitees, a due
 * date, its reminder and overdue check queued), in the same transaction. Recording marks the meeting held.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import type { Actor } from '../../../actor.js';
import { recordAccessMany } from '../../../audit/record-access.js';
import { addAction } from '../../plans/plans.commands.js';
import type { MeetingHeader } from '../panels.policy.js';

type User = Extract<Actor, { kind: 'user' }>;
interface Meta { route: string; requestId: string }

export interface RecordInput {
  attendance: { invitationId: string; attendance: 'attended' | 'apologies' | 'absent'; name: string; role: string }[];
  decisions: { itemId: string; decision: string; nextReviewOn: string | null }[];
  /** Actions agreed for children with a plan in force (empty descriptions are left out before this). */
  actions: { itemId: string; personId: string; planId: string; kind: string; description: string; ownerUserId: string; dueOn: string }[];
}

export type RecordResult = { ok: true } | { ok: false; problems: { field: string; message: string }[] };

export async function recordMeeting(trx: Kysely<Database>, actor: User, meeting: MeetingHeader, input: RecordInput, meta: Meta): Promise<RecordResult> {
  const problems: { field: string; message: string }[] = [];
  for (const a of input.attendance) {
    if (a.attendance === 'attended' && (!a.name.trim() || !a.role.trim())) problems.push({ field: `attendance-${a.invitationId}`, message: 'Enter who attended for this agency and their role' });
  }
  for (const d of input.decisions) {
    if (!d.decision.trim()) problems.push({ field: `decision-${d.itemId}`, message: 'Enter the panel\'s decision for this child' });
    if (d.nextReviewOn && !/^\d{4}-\d{2}-\d{2}$/.test(d.nextReviewOn)) problems.push({ field: `review-${d.itemId}`, message: 'Enter the next review date as YYYY-MM-DD' });
  }
  const owners = new Set((await trx.selectFrom('panel_invitee as pi').innerJoin('panel_invitation as i', 'i.id', 'pi.invitation_id').select('pi.user_id')
    .where('i.meeting_id', '=', meeting.id).where('i.excluded_reason', 'is', null).execute()).map((o) => o.user_id));
  for (const a of input.actions) {
    if (a.kind !== 'supportive' && a.kind !== 'disruptive') problems.push({ field: `actionKind-${a.itemId}`, message: 'Say whether the action is supportive or disruptive' });
    if (!owners.has(a.ownerUserId)) problems.push({ field: `actionOwner-${a.itemId}`, message: 'Choose who owns the action, from the people invited' });
    if (!/^\d{4}-\d{2}-\d{2}$/.test(a.dueOn) || Number.isNaN(Date.parse(a.dueOn))) problems.push({ field: `actionDue-${a.itemId}`, message: 'Enter the action\'s due date as YYYY-MM-DD' });
    if (a.description.trim().length > 2000) problems.push({ field: `action-${a.itemId}`, message: 'Describe the action in 2,000 characters or fewer' });
  }
  if (problems.length) return { ok: false, problems };
  for (const a of input.actions) {
    await addAction(trx, actor, { personId: a.personId, planId: a.planId, kind: a.kind as 'supportive' | 'disruptive', description: a.description.trim(), ownerUserId: a.ownerUserId, dueOn: a.dueOn },
      { route: meta.route, requestId: meta.requestId });
  }
  for (const a of input.attendance) {
    await trx.updateTable('panel_invitation').set({
      attendance: a.attendance, attendee_name: a.attendance === 'attended' ? a.name.trim().slice(0, 200) : null,
      attendee_role: a.attendance === 'attended' ? a.role.trim().slice(0, 200) : null,
    }).where('id', '=', a.invitationId).where('meeting_id', '=', meeting.id).execute();
  }
  const people: string[] = [];
  for (const d of input.decisions) {
    const row = await trx.updateTable('panel_agenda_item').set({ decision: d.decision.trim().slice(0, 10000), next_review_on: d.nextReviewOn || null })
      .where('id', '=', d.itemId).where('meeting_id', '=', meeting.id).returning('person_id').executeTakeFirst();
    if (row) people.push(row.person_id);
  }
  await trx.updateTable('panel_meeting').set({ status: 'held', recorded_at: new Date(), recorded_by_user_id: actor.userId }).where('id', '=', meeting.id).execute();
  await recordAccessMany(trx, people.map((personId) => ({
    actor, action: 'panel.record' as const, personId, route: meta.route, outcome: 'allowed' as const, requestId: meta.requestId, detail: { meetingId: meeting.id },
  })));
  return { ok: true };
}
