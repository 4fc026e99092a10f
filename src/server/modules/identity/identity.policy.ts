import type { Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor, Role } from '../../actor.js';

/**
 * Who may review possible matches and undo merges: team managers (who supervise the records their
 * agency sends) and data protection officers (who answer for the accuracy of personal data). A
 * reviewer sees the queue of records their own organisation sent, with the identifying details of the
 * candidate needed to decide, never the candidate's chronology.
 */
export const IDENTITY_REVIEW_ROLES: readonly Role[] = ['team_manager', 'data_protection_officer'];

/** Whether the actor may use the review queue at all. */
export function canReviewIdentity(actor: Actor): boolean {
  return actor.kind === 'user' && actor.roles.some((r) => IDENTITY_REVIEW_ROLES.includes(r));
}

/**
 * Whether the actor may undo this merge (a merge in force, found by its id): the person who made it,
 * a team manager of that person's team, or a data protection officer. A case relationship with the
 * child is neither needed nor enough. Missing, already undone and forbidden all give false.
 */
export async function mayUnmerge(db: Kysely<Database>, actor: Actor, mergeId: string): Promise<boolean> {
  if (actor.kind !== 'user') return false;
  const merge = await db
    .selectFrom('person_merge as m')
    .leftJoin('app_user as u', 'u.id', 'm.decided_by_user_id')
    .select(['m.decided_by_user_id', 'u.team_id', 'u.organisation_id'])
    .where('m.id', '=', mergeId)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('person_unmerge as x').select('x.id').whereRef('x.merge_id', '=', 'm.id'))))
    .executeTakeFirst();
  if (!merge) return false;
  if (actor.roles.includes('data_protection_officer')) return true;
  if (merge.decided_by_user_id !== null && merge.decided_by_user_id === actor.userId) return true;
  return actor.roles.includes('team_manager') && actor.teamId !== null && merge.team_id === actor.teamId && merge.organisation_id === actor.organisationId;
}
