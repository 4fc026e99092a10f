import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import type { Actor } from '../../../actor.js';
import { recordAccess } from '../../../audit/record-access.js';
import { ValidationError } from '../../../errors.js';
import { samePersonIds } from '../../chronology/chronology.policy.js';

/** A retention decision as the data protection officer records it. */
export type RetentionChoice =
  | { decision: 'retain'; reason: string; nextReviewOn: string; ruleId: string | null }
  | { decision: 'delete'; reason: string; ruleId: string | null };

/**
 * Records a retention decision. "Delete" erases the person's record in the same transaction:
 * entries only about them, their links to shared entries, names, identifiers, addresses, the
 * blocking keys derived from them, family links and involvements go; the person row stays as an
 * erased shell so that the access log and break-glass history still resolve; every removed
 * chronology row leaves a tombstone.
 */
export async function decideRetention(
  db: Kysely<Database>,
  actor: Actor & { kind: 'user' },
  personId: string,
  choice: RetentionChoice,
  meta: { route: string; requestId: string },
): Promise<{ decisionId: string; removedEvents: number }> {
  const problems: { field: string; message: string }[] = [];
  if (choice.reason.trim().length < 10) problems.push({ field: 'reason', message: 'Give the reason for the decision, in at least 10 characters' });
  if (choice.decision === 'retain' && !(choice.nextReviewOn > new Date().toISOString().slice(0, 10))) {
    problems.push({ field: 'nextReviewOn', message: 'The next review date must be in the future' });
  }
  if (choice.decision === 'delete') {
    const held = await heldElsewhere(db, personId);
    if (held.length) {
      problems.push({
        field: 'decision',
        message: `This record also holds ${held.join(', ')}, which deletion does not yet cover: keep it, set a review date, and ask the system administrator`,
      });
    }
  }
  if (problems.length) throw new ValidationError(problems);
  return db.transaction().execute(async (trx) => {
    const decision = await trx
      .insertInto('retention_decision')
      .values({
        person_id: personId, rule_id: choice.ruleId, decision: choice.decision, reason: choice.reason.trim(),
        next_review_on: choice.decision === 'retain' ? choice.nextReviewOn : null, decided_by: actor.userId,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    let removedEvents = 0;
    if (choice.decision === 'delete') {
      await sql`SELECT set_config('jigsaw.deletion_decision', ${decision.id}, true)`.execute(trx);
      const only = await trx
        .selectFrom('event_person as ep')
        .select('ep.event_id')
        .where('ep.person_id', '=', personId)
        .where(({ not, exists, selectFrom }) =>
          not(exists(selectFrom('event_person as o').select('o.event_id').whereRef('o.event_id', '=', 'ep.event_id').where('o.person_id', '!=', personId))))
        .execute();
      const ids = [...new Set(only.map((r) => r.event_id))];
      await trx.deleteFrom('event_person').where('person_id', '=', personId).execute();
      if (ids.length) {
        // Other people's corrections never point at these (the entries were only about this person).
        await trx.deleteFrom('event_restriction_grant').where('event_id', 'in', ids).execute();
        await trx.deleteFrom('event_restriction').where('event_id', 'in', ids).execute();
        removedEvents = Number((await trx.deleteFrom('event').where('id', 'in', ids).executeTakeFirst()).numDeletedRows);
      }
      await trx.deleteFrom('person_name').where('person_id', '=', personId).execute();
      await trx.deleteFrom('person_identifier').where('person_id', '=', personId).execute();
      await trx.deleteFrom('person_address').where('person_id', '=', personId).execute();
      // The match index is derived from the above (date of birth, initials, phonetic keys, postcodes, identifiers).
      await trx.deleteFrom('person_match_key').where('person_id', '=', personId).execute();
      await trx.deleteFrom('person_match_profile').where('person_id', '=', personId).execute();
      await trx.deleteFrom('person_relationship').where((eb) => eb.or([eb('person_id', '=', personId), eb('related_person_id', '=', personId)])).execute();
      await trx.deleteFrom('involvement').where('person_id', '=', personId).execute();
      await trx.updateTable('person')
        .set({ date_of_birth: null, dob_accuracy: 'unknown', sex: 'not_known', ethnicity: null, erased_at: new Date(), erased_by_decision: decision.id })
        .where('id', '=', personId).execute();
      await sql`SELECT set_config('jigsaw.deletion_decision', '', true)`.execute(trx);
    }
    await recordAccess(trx, {
      actor, action: 'retention.decide', personId, route: meta.route, outcome: 'allowed', requestId: meta.requestId,
      detail: { decisionId: decision.id, decision: choice.decision, removedEvents },
    });
    return { decisionId: decision.id, removedEvents };
  });
}

// Areas whose rows about a person the erasure above does not remove. Deleting around them
// would leave personal data behind (or fail on their references), so deletion is refused.
const OTHER_HOLDINGS: { table: 'intake_record' | 'source_record' | 'assessment' | 'consideration' | 'identity_review_item'; label: string }[] = [
  { table: 'intake_record', label: 'imported agency records' },
  { table: 'source_record', label: 'agency identity records' },
  { table: 'assessment', label: 'risk and vulnerability assessments' },
  { table: 'consideration', label: 'early identification considerations' },
  { table: 'identity_review_item', label: 'identity review items' },
];

async function heldElsewhere(db: Kysely<Database>, personId: string): Promise<string[]> {
  const found: string[] = [];
  // A record merged with others is one child with them: erasing one record would leave the child's
  // other records (and entries linking them) behind, so the merge is undone or decided first.
  const merged = await db.selectFrom('person').select(sql<number>`1`.as('x')).where('id', 'in', samePersonIds(db, personId)).where('id', '!=', personId).limit(1).executeTakeFirst();
  if (merged) found.push('other records of the same child (merged)');
  for (const h of OTHER_HOLDINGS) {
    const row = await db.selectFrom(h.table).select(sql<number>`1`.as('x')).where('person_id', '=', personId).limit(1).executeTakeFirst();
    if (row) found.push(h.label);
  }
  return found;
}
