/**
 * The demo's panels: each partnership with a panel coordinator and no panels yet gets a MACE panel
 * (every four weeks, with the partnership's police, children's social care, community health, youth
 * justice and housing as standing members), referrals for the children with the most significant
 * entries in the last six months, and its next meeting a week ahead, agenda built and invitations
 * proposed (the coordinator sends them). Idempotent: a partnership with a panel is left alone.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import type { Role } from '../../../actor.js';
import { createMeeting } from './create-meeting.js';

const MEMBER_ROLES: Record<string, string> = {
  police: 'Police lead (exploitation)', childrens_social_care: 'Chair (children\'s social care)', community_health: 'Health lead',
  youth_justice: 'Youth justice lead', housing: 'Housing lead',
};
const REFERRALS = 8;

export async function seedDemoPanels(db: Kysely<Database>, now: Date = new Date()): Promise<number> {
  const coordinators = await sql<{ id: string; name: string; email: string; organisation_id: string; organisation_name: string; team_id: string | null; roles: Role[]; partnership_id: string }>`
    SELECT DISTINCT ON (u.partnership_id) u.id, u.name, u.email, u.organisation_id, o.name AS organisation_name, u.team_id, u.roles, u.partnership_id
    FROM app_user u JOIN organisation o ON o.id = u.organisation_id
    WHERE u.active AND 'panel_coordinator' = ANY(u.roles) AND u.partnership_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM panel_type t WHERE t.partnership_id = u.partnership_id)
    ORDER BY u.partnership_id, u.email`.execute(db);
  for (const c of coordinators.rows) {
    await db.transaction().execute(async (trx) => {
      const type = await trx.insertInto('panel_type').values({ partnership_id: c.partnership_id, kind: 'mace', name: 'MACE panel', cadence_days: 28, access_days_before: 10 })
        .returning('id').executeTakeFirstOrThrow();
      const members = await trx.selectFrom('organisation_partnership as op').innerJoin('organisation as o', 'o.id', 'op.organisation_id').select(['o.id', 'o.kind'])
        .where('op.partnership_id', '=', c.partnership_id).where('o.kind', 'in', Object.keys(MEMBER_ROLES)).execute();
      if (members.length) {
        await trx.insertInto('panel_member').values(members.map((m) => ({ panel_type_id: type.id, organisation_id: m.id, role: MEMBER_ROLES[m.kind]! })))
          .onConflict((oc) => oc.doNothing()).execute();
      }
      await sql`INSERT INTO panel_referral (person_id, partnership_id, source, reason)
        SELECT pp.person_id, ${c.partnership_id}::uuid, 'critical_moment', 'Synthetic referral: ' || count(*) || ' significant entries in the last six months'
        FROM person_partnership pp JOIN event_person ep ON ep.person_id = pp.person_id JOIN event e ON e.id = ep.event_id
        JOIN significant_event_type s ON s.partnership_id = pp.partnership_id AND s.event_type_code = e.event_type_code
        WHERE pp.partnership_id = ${c.partnership_id}::uuid AND e.occurred_at > ${now}::timestamptz - interval '180 days'
        GROUP BY pp.person_id ORDER BY count(*) DESC, pp.person_id LIMIT ${REFERRALS}`.execute(trx);
      const heldAt = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 7, 10));
      await createMeeting(trx, { kind: 'user', userId: c.id, name: c.name, email: c.email, organisationId: c.organisation_id, organisationName: c.organisation_name, teamId: c.team_id, roles: c.roles, partnershipId: c.partnership_id },
        { panelTypeId: type.id, heldAt }, { route: 'jigsaw seed panels', requestId: 'seed' });
    });
  }
  return coordinators.rows.length;
}
