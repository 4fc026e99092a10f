/**
 * Panel figures for a partnership over the twelve months to a moment (counts only, no personal data):
 * - repeat rate (SafeLives' measure): of the children heard as new referrals at held meetings in the
 *   period, the share who had been heard at a held meeting of the partnership in the 12 months before;
 * - attendance by agency: of the invitations sent (and not withdrawn) to held meetings, how many the
 *   agency attended, sent apologies for, or missed;
 * - updates on time by agency: of the updates due (one per invited agency and child on the agenda),
 *   how many were submitted before the meeting, how many after, and how many never;
 * - actions completed on time by agency: of the plan actions due in the period on the plans of children
 *   heard in the period, by the owner's agency, how many were done by their due date.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';

export interface PanelFigures {
  from: Date;
  to: Date;
  heard: number;
  repeats: number;
  repeatRate: number | null;
  agencies: { organisation_id: string; name: string; invited: number; attended: number; apologies: number; due: number; on_time: number; late: number; actions_due: number; actions_on_time: number }[];
}

export async function panelFigures(db: Kysely<Database>, partnershipId: string, asOf: Date = new Date()): Promise<PanelFigures> {
  const from = new Date(asOf.getTime() - 365 * 86_400_000);
  const held = sql`(SELECT m.id, m.held_at FROM panel_meeting m JOIN panel_type t ON t.id = m.panel_type_id
    WHERE t.partnership_id = ${partnershipId} AND m.status = 'held')`;
  const [repeat, agencies, actions] = await Promise.all([
    sql<{ heard: number; repeats: number }>`
      SELECT count(*)::int AS heard, count(*) FILTER (WHERE EXISTS (
        SELECT 1 FROM panel_agenda_item p JOIN ${held} pm ON pm.id = p.meeting_id
        WHERE p.person_id = ai.person_id AND pm.held_at < m.held_at AND pm.held_at >= m.held_at - interval '365 days'))::int AS repeats
      FROM panel_agenda_item ai JOIN ${held} m ON m.id = ai.meeting_id
      WHERE ai.section = 'new_referral' AND m.held_at > ${from} AND m.held_at <= ${asOf}`.execute(db),
    sql<PanelFigures['agencies'][number]>`
      SELECT i.organisation_id, o.name,
        count(*)::int AS invited,
        count(*) FILTER (WHERE i.attendance = 'attended')::int AS attended,
        count(*) FILTER (WHERE i.attendance = 'apologies')::int AS apologies,
        coalesce(sum(c.children), 0)::int AS due,
        coalesce(sum(c.on_time), 0)::int AS on_time,
        coalesce(sum(c.late), 0)::int AS late
      FROM panel_invitation i JOIN ${held} m ON m.id = i.meeting_id JOIN organisation o ON o.id = i.organisation_id
      CROSS JOIN LATERAL (
        SELECT count(*) AS children,
          count(u.id) FILTER (WHERE u.submitted_at <= m.held_at) AS on_time,
          count(u.id) FILTER (WHERE u.submitted_at > m.held_at) AS late
        FROM panel_agenda_item ai LEFT JOIN panel_update u ON u.meeting_id = ai.meeting_id AND u.person_id = ai.person_id AND u.organisation_id = i.organisation_id
        WHERE ai.meeting_id = m.id) c
      WHERE i.sent_at IS NOT NULL AND i.excluded_reason IS NULL AND m.held_at > ${from} AND m.held_at <= ${asOf}
      GROUP BY i.organisation_id, o.name ORDER BY o.name`.execute(db),
    sql<{ organisation_id: string; name: string; actions_due: number; actions_on_time: number }>`
      SELECT a.owner_organisation_id AS organisation_id, o.name, count(*)::int AS actions_due,
        count(*) FILTER (WHERE a.status = 'done' AND a.completed_at::date <= a.due_on)::int AS actions_on_time
      FROM plan_action a JOIN risk_plan p ON p.id = a.plan_id JOIN organisation o ON o.id = a.owner_organisation_id
      WHERE a.due_on > ${from}::date AND a.due_on <= ${asOf}::date
        AND p.person_id IN (SELECT ai.person_id FROM panel_agenda_item ai JOIN ${held} m ON m.id = ai.meeting_id WHERE m.held_at > ${from} AND m.held_at <= ${asOf})
      GROUP BY a.owner_organisation_id, o.name`.execute(db),
  ]);
  const byOrg = new Map(agencies.rows.map((a) => [a.organisation_id, { ...a, actions_due: 0, actions_on_time: 0 }]));
  for (const a of actions.rows) {
    const row = byOrg.get(a.organisation_id) ?? { organisation_id: a.organisation_id, name: a.name, invited: 0, attended: 0, apologies: 0, due: 0, on_time: 0, late: 0, actions_due: 0, actions_on_time: 0 };
    byOrg.set(a.organisation_id, { ...row, actions_due: a.actions_due, actions_on_time: a.actions_on_time });
  }
  const { heard, repeats } = repeat.rows[0] ?? { heard: 0, repeats: 0 };
  return { from, to: asOf, heard, repeats, repeatRate: heard ? repeats / heard : null, agencies: [...byOrg.values()].sort((x, y) => x.name.localeCompare(y.name)) };
}
