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
