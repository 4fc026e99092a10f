import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import type { Actor } from '../../../actor.js';
import { recordAccess } from '../../../audit/record-access.js';
import { ValidationError } from '../../../errors.js';
import { samePersonIds } from '../../chronology/chronology.policy.js';
import { activeInvolvements, isDueForReview } from '../retention.queries.js';

/** A retention decision as the data protection officer records it. */
export type RetentionChoice =
  | { decision: 'retain'; reason: string; nextReviewOn: string; ruleId: string | null }
  | { decision: 'delete'; reason: string; ruleId: string | null; legalBasis?: string };

/** What a decision did: decided (and, for "delete", erased), or a deletion request left for a second officer. */
export type RetentionOutcome =
  | { kind: 'decided'; decisionId: string; removedEvents: number }
  | { kind: 'requested'; requestId: string; activeInvolvements: number };

const today = () => new Date().toISOString().slice(0, 10);

/**
 * Records a retention decision. "Retain" sets the next review. "Delete" of a record the retention
 * rules make due erases it at once (recordDecision). "Delete" of any other record erases
 * nothing: it records a request, with its legal basis, that a second data protection officer
 * must approve (approveDeletion); the request names the agencies still working with the child.
 */
export async function decideRetention(
  db: Kysely<Database>,
  actor: Actor & { kind: 'user' },
  personId: string,
  choice: RetentionChoice,
  meta: { route: string; requestId: string },
): Promise<RetentionOutcome> {
  const problems: { field: string; message: string }[] = [];
  if (choice.reason.trim().length < 10) problems.push({ field: 'reason', message: 'Give the reason for the decision, in at least 10 characters' });
  if (choice.decision === 'retain' && !(choice.nextReviewOn > today())) {
    problems.push({ field: 'nextReviewOn', message: 'The next review date must be in the future' });
  }
  let notDue: { involvements: Awaited<ReturnType<typeof activeInvolvements>> } | null = null;
  if (choice.decision === 'delete') {
    const held = await heldElsewhere(db, personId);
    if (held.length) {
      problems.push({
        field: 'decision',
        message: `This record also holds ${held.join(', ')}, which deletion does not yet cover: keep it, set a review date, and ask the system administrator`,
      });
    }
    if (!(await isDueForReview(db, personId, today()))) {
      const involvements = await activeInvolvements(db, personId, today());
      notDue = { involvements };
      const legalBasis = choice.legalBasis?.trim() ?? '';
      if (legalBasis.length < 20) {
        const working = involvements.length
          ? ` ${involvements.length} active involvement${involvements.length === 1 ? '' : 's'}: ${involvements.map((i) => i.organisationName).join(', ')} ${involvements.length === 1 ? 'is' : 'are'} still working with the child.`
          : '';
        problems.push({
          field: 'legalBasis',
          message: `This record is not due for review under the retention rules.${working} To delete it, state the legal basis (for example, the Article 17 request and why no exemption applies), in at least 20 characters: a second data protection officer must then approve the deletion`,
        });
      }
      const open = await db.selectFrom('retention_deletion_request').select('id').where('person_id', '=', personId).where('approved_by', 'is', null).executeTakeFirst();
      if (open) problems.push({ field: 'decision', message: 'A request to delete this record is already waiting for a second data protection officer' });
    }
  }
  if (problems.length) throw new ValidationError(problems);
  if (choice.decision === 'delete' && notDue) {
    const involvementCount = notDue.involvements.length;
    return db.transaction().execute(async (trx) => {
      const request = await trx.insertInto('retention_deletion_request')
        .values({ person_id: personId, reason: choice.reason.trim(), legal_basis: (choice.legalBasis ?? '').trim(), requested_by: actor.userId })
        .returning('id').executeTakeFirstOrThrow();
      await recordAccess(trx, {
        actor, action: 'retention.decide', personId, route: meta.route, outcome: 'allowed', requestId: meta.requestId,
        detail: { deletionRequestId: request.id, decision: 'delete', step: 'requested', activeInvolvements: involvementCount },
      });
      return { kind: 'requested' as const, requestId: request.id, activeInvolvements: involvementCount };
    });
  }
  return db.transaction().execute(async (trx) => {
    const done = await recordDecision(trx, actor, personId, choice);
    await recordAccess(trx, {
      actor, action: 'retention.decide', personId, route: meta.route, outcome: 'allowed', requestId: meta.requestId,
      detail: { decisionId: done.decisionId, decision: choice.decision, removedEvents: done.removedEvents },
    });
    return { kind: 'decided' as const, ...done };
  });
}

/**
 * Approves a deletion request by a second data protection officer and erases the record, in one
 * transaction. Returns null when there is no such pending request or the approver made it (the
 * caller refuses); the database also refuses an approval by the requester.
 */
export async function approveDeletion(
  db: Kysely<Database>,
  actor: Actor & { kind: 'user' },
  requestId: string,
  meta: { route: string; requestId: string },
): Promise<{ personId: string; decisionId: string; removedEvents: number } | null> {
  const pending = await db.selectFrom('retention_deletion_request as q').innerJoin('person as p', 'p.id', 'q.person_id').selectAll('q')
    .where('q.id', '=', requestId).where('q.approved_by', 'is', null).where('p.erased_at', 'is', null).executeTakeFirst();
  if (!pending || pending.requested_by === actor.userId) return null;
  const held = await heldElsewhere(db, pending.person_id);
  if (held.length) {
    throw new ValidationError([{ field: 'decision', message: `This record also holds ${held.join(', ')}, which deletion does not yet cover: the request stays open` }]);
  }
  return db.transaction().execute(async (trx) => {
    // Taken once: a second approval at the same moment finds it gone.
    const request = await trx.selectFrom('retention_deletion_request').selectAll().where('id', '=', requestId).where('approved_by', 'is', null).forUpdate().executeTakeFirst();
    if (!request || request.requested_by === actor.userId) return null;
    const done = await recordDecision(trx, actor, request.person_id, {
      decision: 'delete', ruleId: null,
      reason: `${request.reason} — legal basis: ${request.legal_basis} — requested by another data protection officer, approved by this one`,
    });
    await trx.updateTable('retention_deletion_request').set({ approved_by: actor.userId, approved_at: new Date(), decision_id: done.decisionId }).where('id', '=', request.id).execute();
    await recordAccess(trx, {
      actor, action: 'retention.decide', personId: request.person_id, route: meta.route, outcome: 'allowed', requestId: meta.requestId,
      detail: { deletionRequestId: request.id, decisionId: done.decisionId, decision: 'delete', step: 'approved', removedEvents: done.removedEvents },
    });
    return { personId: request.person_id, ...done };
  });
}

/**
 * Writes the decision and, for "delete", erases the person's record in the caller's transaction:
 * entries only about them, their links to shared entries, names, identifiers, addresses, the
 * blocking keys derived from them, family links and involvements go; the person row stays as an
 * erased shell so that the access log and break-glass history still resolve; every removed
 * chronology row leaves a tombstone.
 */
async function recordDecision(
  trx: Kysely<Database>,
  actor: Actor & { kind: 'user' },
  personId: string,
  choice: RetentionChoice,
): Promise<{ decisionId: string; removedEvents: number }> {
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
    // The history of the shown details holds earlier names, dates of birth and addresses (and points at the addresses).
    await trx.deleteFrom('person_detail_history').where('person_id', '=', personId).execute();
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
  return { decisionId: decision.id, removedEvents };
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
