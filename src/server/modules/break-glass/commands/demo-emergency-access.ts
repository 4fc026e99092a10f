import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import { recordAccess } from '../../../audit/record-access.js';

/**
 * Demo data for the data protection officer's review: in each partnership, the demo police officer
 * (of the `emails` given) used emergency access two days ago, for four hours, to the record of the
 * partnership's child with the longest history they are not involved with. The use waits for the
 * DPO's review (on their home page and on "Emergency access"); the access log names it. Skipped for
 * an officer who already has a use.
 */
export async function seedDemoEmergencyAccess(db: Kysely<Database>, emails: readonly string[], now: Date = new Date()): Promise<number> {
  const officers = emails.filter((e) => e.startsWith('police@'));
  if (officers.length === 0) return 0;
  const users = await db.selectFrom('app_user').select(['id', 'partnership_id']).where('email', 'in', officers)
    .where((eb) => eb.not(eb.exists(eb.selectFrom('break_glass').select('id').whereRef('break_glass.user_id', '=', 'app_user.id')))).execute();
  let made = 0;
  for (const u of users) {
    const child = await sql<{ person_id: string }>`
      SELECT pp.person_id FROM person_partnership pp JOIN event_person ep ON ep.person_id = pp.person_id
      WHERE pp.partnership_id = ${u.partnership_id}
        AND NOT EXISTS (SELECT 1 FROM involvement i WHERE i.person_id = pp.person_id AND i.user_id = ${u.id})
      GROUP BY pp.person_id ORDER BY count(*) DESC, pp.person_id LIMIT 1`.execute(db);
    const personId = child.rows[0]?.person_id;
    if (!personId) continue;
    const started = new Date(now.getTime() - 2 * 86_400_000);
    await db.transaction().execute(async (trx) => {
      const grant = await trx.insertInto('break_glass').values({
        user_id: u.id, person_id: personId, started_at: started, expires_at: new Date(started.getTime() + 4 * 3_600_000),
        reason: 'Synthetic: arrested overnight with an older male not known to us; custody needed to know of any exploitation concerns before interview',
      }).returning('id').executeTakeFirstOrThrow();
      await recordAccess(trx, { actor: null, action: 'break_glass.open', personId, route: 'jigsaw seed', outcome: 'allowed', detail: { via: 'synthetic', breakGlassId: grant.id, userId: u.id } });
    });
    made += 1;
  }
  return made;
}
