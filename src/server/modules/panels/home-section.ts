import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor } from '../../actor.js';
import { recordAccess } from '../../audit/record-access.js';
import { displayNames } from '../people/people.queries.js';
import { SOURCE_LABELS } from './panels.queries.js';

export interface UpcomingMeetingLine { id: string; panelName: string; heldAt: Date; children: number; updatesDue: number }
export interface WaitingReferralLine { id: string; personId: string; personName: string; source: string; referredAt: Date }

/**
 * The home page's panel work, for a panel coordinator: their partnership's meetings still to be held
 * (with the children on each agenda and the agency updates not yet sent: one per agency invited and
 * not left out, per child), and the referrals waiting for an agenda. Naming the referred children is
 * a read of each of them.
 */
export async function loadPanelWork(db: Kysely<Database>, actor: Actor & { kind: 'user' }, route: string, requestId: string): Promise<{ meetings: UpcomingMeetingLine[]; referrals: WaitingReferralLine[] } | null> {
  if (!actor.roles.includes('panel_coordinator')) return null;
  const [meetings, referrals] = await Promise.all([
    sql<{ id: string; panel_name: string; held_at: Date; children: number; updates_due: number }>`
      SELECT m.id, t.name AS panel_name, m.held_at,
        (SELECT count(*)::int FROM panel_agenda_item ai WHERE ai.meeting_id = m.id) AS children,
        (SELECT count(*)::int FROM panel_agenda_item ai JOIN panel_invitation i ON i.meeting_id = m.id AND i.excluded_reason IS NULL
          WHERE ai.meeting_id = m.id AND NOT EXISTS (SELECT 1 FROM panel_update u
            WHERE u.meeting_id = m.id AND u.person_id = ai.person_id AND u.organisation_id = i.organisation_id)) AS updates_due
      FROM panel_meeting m JOIN panel_type t ON t.id = m.panel_type_id
      WHERE t.partnership_id = ${actor.partnershipId}::uuid AND m.status = 'scheduled' AND m.held_at >= date_trunc('day', now())
      ORDER BY m.held_at LIMIT 20`.execute(db),
    db.selectFrom('panel_referral').select(['id', 'person_id', 'source', 'created_at'])
      .where('partnership_id', '=', actor.partnershipId).where('meeting_id', 'is', null)
      .orderBy('created_at').limit(50).execute(),
  ]);
  let names = new Map<string, string>();
  if (referrals.length) {
    const personIds = [...new Set(referrals.map((r) => r.person_id))];
    names = await displayNames(db, personIds);
    await recordAccess(db, { actor, action: 'panel.list', route, outcome: 'allowed', requestId, detail: { list: 'home', personIds, referralIds: referrals.map((r) => r.id) } });
  }
  return {
    meetings: meetings.rows.map((m) => ({ id: m.id, panelName: m.panel_name, heldAt: m.held_at, children: Number(m.children), updatesDue: Number(m.updates_due) })),
    referrals: referrals.map((r) => ({
      id: r.id, personId: r.person_id, personName: names.get(r.person_id) ?? 'Name not recorded',
      source: SOURCE_LABELS[r.source] ?? r.source, referredAt: r.created_at,
    })),
  };
}
