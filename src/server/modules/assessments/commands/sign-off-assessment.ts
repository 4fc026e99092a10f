import type { Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import { isLowering, loweringMessage, panelReferralDue, type RiskLevel } from '../../../../domain/factors/risk-levels.js';
import type { Actor } from '../../../actor.js';
import { recordAccess } from '../../../audit/record-access.js';
import { AppError, ValidationError } from '../../../errors.js';
import { latestSignedOff, toContent } from '../assessments.queries.js';
import type { AssessmentWriteMeta } from './start-assessment.js';

/**
 * A team manager signs off an assessment, or returns it to the assessor with a note. Signing off
 * checks the level against the latest signed-off assessment as it is now (another agency may
 * have signed one off since this draft began), and records that a panel referral is due when
 * the level reaches high or very high. The caller has authorised `assessment.sign_off`.
 */
export async function signOffAssessment(
  db: Kysely<Database>, actor: Actor & { kind: 'user' }, assessmentId: string,
  decision: { approve: true } | { approve: false; note: string }, meta: AssessmentWriteMeta,
): Promise<{ panelReferralDue: boolean }> {
  return db.transaction().execute(async (trx) => {
    const header = await trx.selectFrom('assessment').select(['person_id', 'status', 'previous_level']).where('id', '=', assessmentId).forUpdate().executeTakeFirstOrThrow();
    if (header.status !== 'awaiting_sign_off') throw new AppError(409, 'not_awaiting_sign_off', 'This assessment is not waiting for sign-off');
    const base = { actor, personId: header.person_id, route: meta.route, outcome: 'allowed' as const, requestId: meta.requestId };
    if (!decision.approve) {
      if (!decision.note.trim()) throw new ValidationError([{ field: 'returnNote', message: 'Say what the assessor needs to change' }]);
      await trx.updateTable('assessment').set({ status: 'draft', return_note: decision.note.trim(), submitted_at: null }).where('id', '=', assessmentId).execute();
      await recordAccess(trx, { ...base, action: 'assessment.return', detail: { assessmentId } });
      return { panelReferralDue: false };
    }
    const latest = await trx.selectFrom('assessment_version').selectAll().where('assessment_id', '=', assessmentId).orderBy('version', 'desc').limit(1).executeTakeFirstOrThrow();
    const content = toContent(latest as unknown as Record<string, unknown>);
    const current = await latestSignedOff(trx, header.person_id);
    const previous = (current?.content.level ?? null) as RiskLevel | null;
    if (!content.level) throw new ValidationError([{ field: 'level', message: 'The assessment has no level: return it to the assessor' }]);
    if (isLowering(content.level, previous) && !content.loweringReason?.trim()) {
      throw new ValidationError([{ field: 'loweringReason', message: `${loweringMessage(content.level, previous!)}. Return it to the assessor to add the reason` }]);
    }
    await trx.updateTable('assessment').set({ status: 'signed_off', signed_off_at: new Date(), signed_off_by_user_id: actor.userId }).where('id', '=', assessmentId).execute();
    const due = panelReferralDue(content.level, previous);
    if (due) {
      await trx.insertInto('panel_referral_due').values({ person_id: header.person_id, assessment_id: assessmentId, level: content.level, previous_level: previous }).execute();
    }
    await recordAccess(trx, { ...base, action: 'assessment.sign_off', detail: { assessmentId, level: content.level, previousLevel: previous, panelReferralDue: due } });
    return { panelReferralDue: due };
  });
}
