import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor } from '../../actor.js';
import { recordAccess } from '../../audit/record-access.js';
import { displayNames } from '../people/people.queries.js';

export interface RelocationReviewLine { id: string; personId: string; personName: string; toBorough: string; movedOn: string; reviewDueOn: string }

/**
 * The home page's relocation and transfer work: three-month relocation reviews that are due (for the
 * team managers of the organisation that assessed the relocation, and its author), and how many
 * transfer notices wait for the actor. Showing the reviews is a read of each child named.
 */
export async function loadTransferWork(db: Kysely<Database>, actor: Actor & { kind: 'user' }, route: string, requestId: string): Promise<{ reviewsDue: RelocationReviewLine[]; notices: number }> {
  const isManager = actor.roles.includes('team_manager');
  const [rows, notices] = await Promise.all([
    db.selectFrom('relocation').select(['id', 'person_id', 'to_borough', 'moved_on', 'review_due_on'])
      .where('status', '=', 'moved').where('review_due_on', '<=', sql<string>`current_date`)
      .where((eb) => eb.or([
        eb('created_by_user_id', '=', actor.userId),
        ...(isManager ? [eb('organisation_id', '=', actor.organisationId)] : []),
      ]))
      .orderBy('review_due_on').limit(100).execute(),
    db.selectFrom('transfer_notice as n').innerJoin('transfer as t', 't.id', 'n.transfer_id').select(sql<string>`count(*)`.as('n'))
      .where('n.recipient_user_id', '=', actor.userId).where('n.acknowledged_at', 'is', null)
      .where((eb) => eb.or([eb('n.kind', '=', 'declined'), eb('t.status', 'in', ['pre_move', 'waiting'])])).executeTakeFirstOrThrow(),
  ]);
  if (rows.length === 0) return { reviewsDue: [], notices: Number(notices.n) };
  const names = await displayNames(db, [...new Set(rows.map((r) => r.person_id))]);
  await recordAccess(db, { actor, action: 'relocation.read', route, outcome: 'allowed', requestId, detail: { list: 'home', personIds: [...new Set(rows.map((r) => r.person_id))], relocationIds: rows.map((r) => r.id) } });
  return {
    reviewsDue: rows.map((r) => ({ id: r.id, personId: r.person_id, personName: names.get(r.person_id) ?? 'Name not recorded', toBorough: r.to_borough, movedOn: r.moved_on!, reviewDueOn: r.review_due_on! })),
    notices: Number(notices.n),
  };
}
