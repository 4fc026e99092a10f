import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { MatchExplanation, MatchRecord } from '../../../domain/matching/types.js';
import { displayNames } from '../people/people.queries.js';
import { loadMatchRecords } from './identity.candidates.js';
import { samePersonIds } from '../chronology/chronology.policy.js';

/** The latest decision on a review item, if any. */
const latestDecision = sql<string | null>`(SELECT d.decision FROM identity_decision d WHERE d.review_item_id = i.id ORDER BY d.decided_at DESC LIMIT 1)`;

/** One row of the review queue. */
export interface ReviewListItem {
  id: string;
  createdAt: Date;
  sourceSystem: string;
  matchWeight: number;
  status: 'open' | 'asked';
}

/** Open review items for records an organisation sent (oldest first); "not sure" items stay open, marked asked. */
export async function listOpenReviews(db: Kysely<Database>, organisationId: string): Promise<ReviewListItem[]> {
  const rows = await db
    .selectFrom('identity_review_item as i')
    .innerJoin('source_record as s', 's.id', 'i.source_record_ref')
    .select(['i.id', 'i.created_at', 's.source_system', 'i.match_weight', latestDecision.as('decision')])
    .where('s.organisation_id', '=', organisationId)
    .where(sql<boolean>`coalesce(${latestDecision}, 'unsure') = 'unsure'`)
    .orderBy('i.created_at')
    .limit(200)
    .execute();
  return rows.map((r) => ({ id: r.id, createdAt: r.created_at, sourceSystem: r.source_system, matchWeight: r.match_weight, status: r.decision === 'unsure' ? 'asked' : 'open' }));
}

/** A review item with both records side by side, scoped to the reviewer's organisation (null when not theirs or missing). */
export interface ReviewDetail {
  id: string;
  personId: string;
  candidatePersonId: string;
  organisationId: string;
  sourceSystem: string;
  sourceRecordId: string;
  incoming: MatchRecord | null;
  candidate: MatchRecord | null;
  candidateName: string;
  explanation: MatchExplanation;
  decisions: { decision: string; note: string | null; decidedAt: Date; decidedBy: string }[];
  open: boolean;
}

/** Loads a review item for a reviewer of the sending organisation. */
export async function getReview(db: Kysely<Database>, itemId: string, organisationId: string): Promise<ReviewDetail | null> {
  const item = await db
    .selectFrom('identity_review_item as i')
    .innerJoin('source_record as s', 's.id', 'i.source_record_ref')
    .select(['i.id', 'i.person_id', 'i.candidate_person_id', 'i.explanation', 's.organisation_id', 's.source_system', 's.source_record_id'])
    .where('i.id', '=', itemId)
    .where('s.organisation_id', '=', organisationId)
    .executeTakeFirst();
  if (!item) return null;
  const [records, names, decisions] = await Promise.all([
    loadMatchRecords(db, [item.person_id, item.candidate_person_id]),
    displayNames(db, [item.candidate_person_id]),
    db.selectFrom('identity_decision as d').innerJoin('app_user as u', 'u.id', 'd.decided_by_user_id')
      .select(['d.decision', 'd.note', 'd.decided_at', 'u.name']).where('d.review_item_id', '=', itemId).orderBy('d.decided_at').execute(),
  ]);
  const last = decisions.at(-1)?.decision;
  return {
    id: item.id, personId: item.person_id, candidatePersonId: item.candidate_person_id, organisationId: item.organisation_id,
    sourceSystem: item.source_system, sourceRecordId: item.source_record_id,
    incoming: records.get(item.person_id) ?? null, candidate: records.get(item.candidate_person_id) ?? null,
    candidateName: names.get(item.candidate_person_id) ?? '',
    explanation: item.explanation as MatchExplanation,
    decisions: decisions.map((d) => ({ decision: d.decision, note: d.note, decidedAt: d.decided_at, decidedBy: d.name })),
    open: last === undefined || last === 'unsure',
  };
}

/** The agency records that make up a person (across merged records), each with why it was linked. */
export interface PersonRecords {
  records: { organisationName: string; sourceSystem: string; sourceRecordId: string; outcome: string; matchWeight: number | null; explanation: MatchExplanation | null; receivedAt: Date; personId: string }[];
  merges: { id: string; survivorPersonId: string; mergedPersonId: string; reason: string; createdAt: Date; decidedBy: string | null }[];
}

/** Loads the source records and merges in force for a person (the caller has authorised the read). */
export async function getPersonRecords(db: Kysely<Database>, personId: string): Promise<PersonRecords> {
  const [records, merges] = await Promise.all([
    db.selectFrom('source_record as s').innerJoin('organisation as o', 'o.id', 's.organisation_id')
      .select(['o.name', 's.source_system', 's.source_record_id', 's.outcome', 's.match_weight', 's.explanation', 's.created_at', 's.person_id'])
      .where('s.person_id', 'in', samePersonIds(db, personId)).orderBy('s.created_at').execute(),
    db.selectFrom('person_merge as m').leftJoin('app_user as u', 'u.id', 'm.decided_by_user_id')
      .select(['m.id', 'm.survivor_person_id', 'm.merged_person_id', 'm.reason', 'm.created_at', 'u.name'])
      .where('m.merged_person_id', 'in', samePersonIds(db, personId))
      .where(({ not, exists, selectFrom }) => not(exists(selectFrom('person_unmerge as x').select('x.id').whereRef('x.merge_id', '=', 'm.id'))))
      .orderBy('m.created_at').execute(),
  ]);
  return {
    records: records.map((r) => ({
      organisationName: r.name, sourceSystem: r.source_system, sourceRecordId: r.source_record_id, outcome: r.outcome,
      matchWeight: r.match_weight, explanation: (r.explanation as MatchExplanation | null) ?? null, receivedAt: r.created_at, personId: r.person_id,
    })),
    merges: merges.map((m) => ({ id: m.id, survivorPersonId: m.survivor_person_id, mergedPersonId: m.merged_person_id, reason: m.reason, createdAt: m.created_at, decidedBy: m.name })),
  };
}
