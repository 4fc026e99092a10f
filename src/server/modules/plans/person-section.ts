import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { formatDate } from '../../format.js';
import { samePersonIds } from '../chronology/chronology.policy.js';

/** The person page's plan and offers of help, in brief, with links to their pages. */
export interface PlanAndOffersPanel {
  plan: { nextReview: string; reviewOverdue: boolean; open: number; overdue: number; done: number } | null;
  offers: { made: number; accepted: number; awaiting: number };
}

/**
 * The child's plan in force (open and overdue actions, next review) and their offers of help (made,
 * accepted, awaiting a response), over every merged record, in one statement: the person page is read
 * often. The page itself is admitted only to someone who may see the child.
 */
export async function loadPlanAndOffersPanel(db: Kysely<Database>, personId: string, today = new Date().toISOString().slice(0, 10)): Promise<PlanAndOffersPanel> {
  const row = (await sql<{ next_review_on: string | null; open: number; overdue: number; done: number; made: number; accepted: number; awaiting: number }>`
    WITH ids AS (SELECT * FROM ${samePersonIds(db, personId)} AS s(id)),
    p AS (SELECT id, next_review_on FROM risk_plan WHERE status = 'active' AND person_id IN (SELECT id FROM ids) ORDER BY created_at DESC LIMIT 1)
    SELECT (SELECT next_review_on FROM p) AS next_review_on,
      (SELECT count(*)::int FROM plan_action a WHERE a.plan_id IN (SELECT id FROM p) AND a.status IN ('not_started', 'in_progress')) AS open,
      (SELECT count(*)::int FROM plan_action a WHERE a.plan_id IN (SELECT id FROM p) AND a.status IN ('not_started', 'in_progress') AND a.due_on < ${today}::date) AS overdue,
      (SELECT count(*)::int FROM plan_action a WHERE a.plan_id IN (SELECT id FROM p) AND a.status = 'done') AS done,
      (SELECT count(*)::int FROM offer_of_help o WHERE o.person_id IN (SELECT id FROM ids) AND o.offered_on IS NOT NULL) AS made,
      (SELECT count(*)::int FROM offer_of_help o WHERE o.person_id IN (SELECT id FROM ids) AND o.response = 'accepted') AS accepted,
      (SELECT count(*)::int FROM offer_of_help o WHERE o.person_id IN (SELECT id FROM ids) AND o.response IS NULL) AS awaiting`.execute(db)).rows[0]!;
  return {
    plan: row.next_review_on ? { nextReview: formatDate(row.next_review_on), reviewOverdue: row.next_review_on < today, open: row.open, overdue: row.overdue, done: row.done } : null,
    offers: { made: row.made, accepted: row.accepted, awaiting: row.awaiting },
  };
}
