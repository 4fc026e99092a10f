import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import type { RiskLevel } from '../../../../domain/factors/risk-levels.js';
import type { Actor } from '../../../actor.js';
import { recordAccess } from '../../../audit/record-access.js';
import { AppError, ValidationError } from '../../../errors.js';
import { checkContent } from '../assessment-checks.js';
import type { AssessmentContent } from '../assessments.queries.js';
import type { AssessmentWriteMeta } from './start-assessment.js';

/**
 * Saves the assessor's changes as a new version (earlier versions stay), and optionally submits
 * it for a manager's sign-off. The caller has authorised `assessment.update` (and `.submit`).
 */
export async function saveAssessment(
  db: Kysely<Database>, actor: Actor & { kind: 'user' }, assessmentId: string, content: AssessmentContent,
  opts: { submit: boolean; today: string }, meta: AssessmentWriteMeta,
): Promise<{ version: number }> {
  return db.transaction().execute(async (trx) => {
    // Lock the header so two saves cannot take the same version number.
    const header = await trx.selectFrom('assessment').select(['person_id', 'previous_level', 'status']).where('id', '=', assessmentId).forUpdate().executeTakeFirstOrThrow();
    if (header.status !== 'draft') throw new AppError(409, 'not_a_draft', 'This assessment is no longer a draft, so it cannot be changed');
    const previous = header.previous_level as RiskLevel | null;
    const problems = checkContent(content, previous, { complete: opts.submit, today: opts.today });
    if (problems.length) throw new ValidationError(problems.map((p) => ({ field: p.field, message: p.message })));
    const last = await trx.selectFrom('assessment_version').select(sql<number>`max(version)`.as('v')).where('assessment_id', '=', assessmentId).executeTakeFirstOrThrow();
    const version = Number(last.v) + 1;
    await trx
      .insertInto('assessment_version')
      .values({
        assessment_id: assessmentId, version, saved_by_user_id: actor.userId,
        risk_home: content.riskHome, risk_peers: content.riskPeers, risk_school: content.riskSchool, risk_community: content.riskCommunity,
        risk_online: content.riskOnline, risk_to_others: content.riskToOthers, strengths: content.strengths, child_views: content.childViews,
        family_views: content.familyViews, analysis: content.analysis, level: content.level, level_rationale: content.levelRationale,
        previous_level: previous, lowering_reason: content.loweringReason, review_on: content.reviewOn,
      })
      .execute();
    await recordAccess(trx, {
      actor, action: 'assessment.update', personId: header.person_id, route: meta.route, outcome: 'allowed', requestId: meta.requestId,
      detail: { assessmentId, version },
    });
    if (opts.submit) {
      await trx.updateTable('assessment').set({ status: 'awaiting_sign_off', submitted_at: new Date(), return_note: null }).where('id', '=', assessmentId).execute();
      await recordAccess(trx, {
        actor, action: 'assessment.submit', personId: header.person_id, route: meta.route, outcome: 'allowed', requestId: meta.requestId,
        detail: { assessmentId, version },
      });
    }
    return { version };
  });
}
