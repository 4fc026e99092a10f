/**
 * A meeting's invitations: the coordinator adds an agency, leaves one out (always with a reason: a
 * default invitee is never dropped silently; leaving an agency out withdraws its access), and sends
 * them. Sending reaches people, in the caller's transaction: each invitation goes to the agency's
 * standing member, else its workers involved with a child on the agenda, else its designated
 * safeguarding leads, else its team managers. Each person gets the invitation in the app (their
 * panel_invitee row, listed on /panels) and by email through the outbox; each child's access log
 * records the time-limited access granted to them.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import type { Actor } from '../../../actor.js';
import { recordAccess, recordAccessMany } from '../../../audit/record-access.js';
import { enqueueMany } from '../../../outbox/outbox.js';
import { mergeGroupSql } from '../../chronology/chronology.policy.js';
import type { MeetingHeader } from '../panels.policy.js';

type User = Extract<Actor, { kind: 'user' }>;
interface Meta { route: string; requestId: string }

export const PANEL_INVITATION_EMAIL = 'panel.invitation_email';
/** The shortest reason for leaving an agency out of a meeting. */
export const EXCLUDE_REASON_MIN = 10;

export type Result = { ok: true } | { ok: false; problems: { field: string; message: string }[] };

export async function addInvitation(trx: Kysely<Database>, actor: User, meeting: MeetingHeader, organisationId: string, meta: Meta): Promise<Result> {
  const member = await trx.selectFrom('organisation_partnership').select('organisation_id')
    .where('organisation_id', '=', organisationId).where('partnership_id', '=', meeting.partnership_id).executeTakeFirst();
  if (!member) return { ok: false, problems: [{ field: 'organisationId', message: 'Choose an agency of the partnership' }] };
  await trx.insertInto('panel_invitation').values({ meeting_id: meeting.id, organisation_id: organisationId, basis: 'added' })
    .onConflict((oc) => oc.columns(['meeting_id', 'organisation_id']).doUpdateSet({ excluded_reason: null, excluded_by_user_id: null })).execute();
  await recordAccess(trx, { actor, action: 'panel.invite', route: meta.route, outcome: 'allowed', requestId: meta.requestId, detail: { meetingId: meeting.id, added: organisationId } });
  return { ok: true };
}

export async function excludeInvitation(trx: Kysely<Database>, actor: User, meeting: MeetingHeader, invitationId: string, reason: string, meta: Meta): Promise<Result | null> {
  const text = reason.trim();
  if (text.length < EXCLUDE_REASON_MIN) return { ok: false, problems: [{ field: 'reason', message: `Give the reason for leaving this agency out (at least ${EXCLUDE_REASON_MIN} characters)` }] };
  const updated = await trx.updateTable('panel_invitation').set({ excluded_reason: text.slice(0, 2000), excluded_by_user_id: actor.userId })
    .where('id', '=', invitationId).where('meeting_id', '=', meeting.id).returning(['id', 'organisation_id', 'basis']).executeTakeFirst();
  if (!updated) return null;
  await recordAccess(trx, { actor, action: 'panel.invite', route: meta.route, outcome: 'allowed', requestId: meta.requestId,
    detail: { meetingId: meeting.id, excluded: updated.organisation_id, basis: updated.basis, reason: text.slice(0, 2000) } });
  return { ok: true };
}

/** Sends every invitation not yet sent (and not left out); returns how many people it reached. */
export async function sendInvitations(trx: Kysely<Database>, actor: User, meeting: MeetingHeader, meta: Meta): Promise<number> {
  const children = (await trx.selectFrom('panel_agenda_item').select('person_id').where('meeting_id', '=', meeting.id).execute()).map((c) => c.person_id);
  const childGroup = children.length ? sql`(SELECT person_id FROM ${mergeGroupSql(children)} g)` : sql`(SELECT NULL::uuid WHERE false)`;
  const recipients = await sql<{ invitation_id: string; user_id: string }>`
    WITH inv AS (SELECT id, organisation_id FROM panel_invitation WHERE meeting_id = ${meeting.id} AND excluded_reason IS NULL AND sent_at IS NULL),
    cand AS (
      SELECT inv.id AS invitation_id, pm.user_id, 1 AS tier FROM inv
        JOIN panel_member pm ON pm.organisation_id = inv.organisation_id AND pm.panel_type_id = ${meeting.panel_type_id} AND pm.user_id IS NOT NULL
      UNION ALL
      SELECT inv.id, i.user_id, 2 FROM inv JOIN involvement i ON i.organisation_id = inv.organisation_id AND i.user_id IS NOT NULL
        AND i.started_on <= current_date AND (i.ended_on IS NULL OR i.ended_on >= current_date) AND i.person_id IN ${childGroup}
      UNION ALL
      SELECT inv.id, u.id, 3 FROM inv JOIN app_user u ON u.organisation_id = inv.organisation_id AND 'designated_safeguarding_lead' = ANY(u.roles)
      UNION ALL
      SELECT inv.id, u.id, 4 FROM inv JOIN app_user u ON u.organisation_id = inv.organisation_id AND 'team_manager' = ANY(u.roles)
    ),
    ok AS (SELECT c.* FROM cand c JOIN app_user u ON u.id = c.user_id AND u.active
      AND u.roles && ARRAY['practitioner', 'team_manager', 'designated_safeguarding_lead', 'panel_coordinator']::text[]),
    best AS (SELECT invitation_id, min(tier) AS tier FROM ok GROUP BY invitation_id)
    SELECT DISTINCT ok.invitation_id, ok.user_id FROM ok JOIN best USING (invitation_id, tier)
    ORDER BY 1, 2`.execute(trx);
  const now = new Date();
  if (recipients.rows.length) {
    await trx.insertInto('panel_invitee').values(recipients.rows).onConflict((oc) => oc.columns(['invitation_id', 'user_id']).doNothing()).execute();
    await enqueueMany(trx, recipients.rows.map((r) => ({ kind: PANEL_INVITATION_EMAIL, payload: r, dedupeKey: `${r.invitation_id}:${r.user_id}` })));
  }
  const reached = [...new Set(recipients.rows.map((r) => r.invitation_id))];
  if (reached.length) await trx.updateTable('panel_invitation').set({ sent_at: now }).where('id', 'in', reached).execute();
  await trx.updateTable('panel_meeting').set({ invitations_sent_at: now }).where('id', '=', meeting.id).execute();
  // Each child's log names the people now given time-limited access to their record for this meeting.
  const grantees = [...new Set(recipients.rows.map((r) => r.user_id))];
  await recordAccessMany(trx, grantees.length ? children.map((personId) => ({
    actor, action: 'panel.access_grant' as const, personId, route: meta.route, outcome: 'allowed' as const, requestId: meta.requestId,
    detail: { meetingId: meeting.id, grantees, from: meeting.access_from.toISOString(), until: meeting.access_until.toISOString() },
  })) : []);
  return recipients.rows.length;
}
