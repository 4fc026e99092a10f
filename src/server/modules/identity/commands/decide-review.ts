import type { Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import { AppError, NotFoundError } from '../../../errors.js';
import { getReview } from '../identity.queries.js';
import { mergePersons, recordNonMatch } from '../identity.merges.js';

/** A reviewer's answer: the same person, not the same person, or not sure (ask someone who knows the child). */
export type ReviewDecision = 'same' | 'different' | 'unsure';

/**
 * Records a decision on a review item. "Same" reads the two records as one person (a merge that can be
 * undone); "different" records the pair as different people, never to be linked automatically again;
 * "not sure" keeps the item open, marked as asked. Inside the caller's transaction.
 */
export async function decideReview(
  trx: Kysely<Database>,
  opts: { itemId: string; organisationId: string; userId: string; decision: ReviewDecision; note: string | null },
): Promise<{ mergeId: string | null; personId: string; candidatePersonId: string }> {
  const item = await getReview(trx, opts.itemId, opts.organisationId);
  if (!item) throw new NotFoundError();
  if (!item.open) throw new AppError(409, 'already_decided', 'This possible match has already been decided.');
  let mergeId: string | null = null;
  if (opts.decision === 'same') {
    mergeId = await mergePersons(trx, {
      survivorPersonId: item.candidatePersonId, mergedPersonId: item.personId, userId: opts.userId, overrideNonMatch: true,
      reason: `Review decision: same person${opts.note ? ` (${opts.note})` : ''}`,
    });
  } else if (opts.decision === 'different') {
    await recordNonMatch(trx, { personA: item.personId, personB: item.candidatePersonId, userId: opts.userId, reason: opts.note ?? 'Review decision: not the same person' });
  }
  await trx.insertInto('identity_decision')
    .values({ review_item_id: opts.itemId, decision: opts.decision, note: opts.note, decided_by_user_id: opts.userId, merge_id: mergeId })
    .execute();
  return { mergeId, personId: item.personId, candidatePersonId: item.candidatePersonId };
}
