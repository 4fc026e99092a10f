import type { Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { samePersonIds } from '../chronology/chronology.policy.js';

/** A consideration as the child and family would be told of it: the rule, its reason, and what was decided. */
export interface ConsiderationHeld {
  raisedOn: Date;
  rule: string;
  rationale: string;
  explanation: string;
  decision: string | null;
  service: string | null;
  reason: string | null;
}

/** Considerations held about a person, with their reasons, for "what we hold and why" and subject access. */
export async function considerationsHeld(db: Kysely<Database>, personId: string): Promise<ConsiderationHeld[]> {
  const rows = await db
    .selectFrom('consideration as c')
    .innerJoin('rule_version as v', 'v.id', 'c.rule_version_id')
    .leftJoin('consideration_decision as d', 'd.consideration_id', 'c.id')
    .select(['c.created_at', 'v.name', 'v.rationale', 'c.explanation', 'd.decision', 'd.service', 'd.reason'])
    .where('c.person_id', 'in', samePersonIds(db, personId))
    .orderBy('c.created_at', 'desc')
    .execute();
  return rows.map((r) => ({ raisedOn: r.created_at, rule: r.name, rationale: r.rationale, explanation: r.explanation, decision: r.decision, service: r.service, reason: r.reason }));
}
