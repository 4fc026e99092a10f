import type { Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { RISK_LEVEL_LABELS, type RiskLevel } from '../../../domain/factors/risk-levels.js';
import type { Actor } from '../../actor.js';
import { recordAccess } from '../../audit/record-access.js';
import { displayNames } from '../people/people.queries.js';
import { awaitingSignOff, overdueReviews, type AssessmentSummary } from './assessments.queries.js';

type Line = AssessmentSummary & { personName: string; levelLabel: string | null };

/**
 * The home page's assessment work: overdue reviews (for the assessor and the manager who signed
 * off) and, for team managers, assessments waiting for sign-off. Showing them is a read of each
 * child named, so one access-log row lists them.
 */
export async function loadAssessmentWork(db: Kysely<Database>, actor: Actor & { kind: 'user' }, route: string, requestId: string): Promise<{ overdue: Line[]; awaiting: Line[] }> {
  const today = new Date().toISOString().slice(0, 10);
  const [overdue, awaiting] = await Promise.all([
    overdueReviews(db, actor, today),
    actor.roles.includes('team_manager') ? awaitingSignOff(db, actor) : Promise.resolve([]),
  ]);
  const all = [...overdue, ...awaiting];
  if (all.length === 0) return { overdue: [], awaiting: [] };
  const names = await displayNames(db, [...new Set(all.map((a) => a.personId))]);
  const dress = (a: AssessmentSummary): Line => ({ ...a, personName: names.get(a.personId) ?? 'Name not recorded', levelLabel: a.level ? RISK_LEVEL_LABELS[a.level as RiskLevel] : null });
  await recordAccess(db, {
    actor, action: 'assessment.read', route, outcome: 'allowed', requestId,
    detail: { list: 'home', personIds: [...new Set(all.map((a) => a.personId))], assessmentIds: all.map((a) => a.id) },
  });
  return { overdue: overdue.map(dress), awaiting: awaiting.map(dress) };
}
