import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';

/** A record due for a retention review, and which rule makes it due. */
export interface DueRecord {
  personId: string;
  ruleId: string;
  ruleDescription: string;
  dueOn: string;
  lastInvolvementEnded: string | null;
  dateOfBirth: string | null;
}

/**
 * Records due for review under the active rules of each person's partnership (the partnership of
 * their current address; a person in no partnership's area under the default rules, so no record
 * escapes review), as of a day: no active involvement and the
 * last one ended long enough ago, or old enough. A record with a later "retain" decision is not
 * due again until its next review date; an erased record is never due.
 */
export async function dueForReview(db: Kysely<Database>, asOf: string, limit = 500, only?: { personId: string }): Promise<DueRecord[]> {
  const onePerson = only ? sql`AND p.id = ${only.personId}::uuid` : sql``;
  const rows = await sql<{ person_id: string; rule_id: string; description: string; due_on: string; last_ended: string | null; date_of_birth: string | null }>`
    WITH last_involvement AS (
      SELECT person_id,
             bool_or(ended_on IS NULL OR ended_on >= ${asOf}::date) AS active,
             max(ended_on) AS last_ended
      FROM involvement ${only ? sql`WHERE person_id = ${only.personId}::uuid` : sql``} GROUP BY person_id
    ),
    candidates AS (
      SELECT p.id AS person_id, r.id AS rule_id, r.description, li.last_ended, p.date_of_birth,
             CASE r.basis
               WHEN 'after_last_involvement' THEN (li.last_ended + make_interval(years => r.years))::date
               WHEN 'at_age' THEN (p.date_of_birth + make_interval(years => r.years))::date
             END AS due_on,
             coalesce(li.active, false) AS active
      FROM person p
      LEFT JOIN person_partnership pp ON pp.person_id = p.id
      JOIN retention_rule r ON r.partnership_id IS NOT DISTINCT FROM pp.partnership_id
      LEFT JOIN last_involvement li ON li.person_id = p.id
      WHERE r.active AND p.erased_at IS NULL ${onePerson}
    )
    SELECT c.person_id, c.rule_id, c.description, c.due_on::text AS due_on, c.last_ended::text AS last_ended, c.date_of_birth
    FROM candidates c
    WHERE c.due_on IS NOT NULL AND c.due_on <= ${asOf}::date AND NOT c.active
      AND NOT EXISTS (
        SELECT 1 FROM retention_decision d
        WHERE d.person_id = c.person_id AND d.decision = 'retain' AND d.next_review_on > ${asOf}::date
      )
    ORDER BY c.due_on, c.person_id
    LIMIT ${limit}`.execute(db);
  // One line per person: the rule that made them due first.
  const seen = new Set<string>();
  const out: DueRecord[] = [];
  for (const r of rows.rows) {
    if (seen.has(r.person_id)) continue;
    seen.add(r.person_id);
    out.push({ personId: r.person_id, ruleId: r.rule_id, ruleDescription: r.description, dueOn: r.due_on, lastInvolvementEnded: r.last_ended, dateOfBirth: r.date_of_birth });
  }
  return out;
}

/** The active retention rules that apply to a person: their partnership's, or the default set when they are in no partnership's area. */
export async function retentionRulesFor(db: Kysely<Database>, personId: string): Promise<{ id: string; basis: string; years: number; description: string }[]> {
  return db.selectFrom('retention_rule').select(['id', 'basis', 'years', 'description']).where('active', '=', true)
    .where(sql<boolean>`partnership_id IS NOT DISTINCT FROM (SELECT pp.partnership_id FROM person_partnership pp WHERE pp.person_id = ${personId}::uuid)`)
    .orderBy('basis').orderBy('description').execute();
}

/** Whether the retention rules make this record due for review (and so open to a deletion decision) on a day. */
export async function isDueForReview(db: Kysely<Database>, personId: string, asOf: string): Promise<DueRecord | null> {
  return (await dueForReview(db, asOf, 10, { personId }))[0] ?? null;
}

/** The agencies working with a child on a day (involvements started and not ended), named for the deciding officers. */
export async function activeInvolvements(db: Kysely<Database>, personId: string, asOf: string): Promise<{ organisationName: string; role: string; startedOn: string }[]> {
  const rows = await db.selectFrom('involvement as i').innerJoin('organisation as o', 'o.id', 'i.organisation_id')
    .select(['o.name', 'i.role', sql<string>`i.started_on::text`.as('started_on')])
    .where('i.person_id', '=', personId)
    .where('i.started_on', '<=', asOf)
    .where((eb) => eb.or([eb('i.ended_on', 'is', null), eb('i.ended_on', '>=', asOf)]))
    .orderBy('o.name').execute();
  return rows.map((r) => ({ organisationName: r.name, role: r.role, startedOn: r.started_on }));
}

/** A deletion request waiting for a second data protection officer. */
export interface PendingDeletion {
  id: string;
  personId: string;
  reason: string;
  legalBasis: string;
  requestedBy: string;
  requestedByName: string;
  requestedAt: Date;
}

/** Deletion requests not yet approved, oldest first. */
export async function pendingDeletionRequests(db: Kysely<Database>): Promise<PendingDeletion[]> {
  const rows = await db.selectFrom('retention_deletion_request as q').innerJoin('app_user as u', 'u.id', 'q.requested_by')
    .select(['q.id', 'q.person_id', 'q.reason', 'q.legal_basis', 'q.requested_by', 'u.name', 'q.requested_at'])
    .where('q.approved_by', 'is', null)
    .orderBy('q.requested_at').limit(500).execute();
  return rows.map((r) => ({ id: r.id, personId: r.person_id, reason: r.reason, legalBasis: r.legal_basis, requestedBy: r.requested_by, requestedByName: r.name, requestedAt: r.requested_at }));
}
