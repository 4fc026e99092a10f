import type { Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import type { Actor } from '../../../actor.js';
import { recordAccess } from '../../../audit/record-access.js';
import { latestSignedOff } from '../assessments.queries.js';

/** Where a write came from, for the access log. */
export interface AssessmentWriteMeta {
  route: string;
  requestId: string;
}

/**
 * Starts a draft assessment of a child from the latest signed-off one, whichever agency or
 * borough made it, so nothing starts again after a move. The review date and any lowering
 * reason are not carried over: they belong to the new assessment. The caller has authorised it.
 */
export async function startAssessment(db: Kysely<Database>, actor: Actor & { kind: 'user' }, personId: string, meta: AssessmentWriteMeta): Promise<{ id: string; basedOn: string | null }> {
  return db.transaction().execute(async (trx) => {
    const base = await latestSignedOff(trx, personId);
    const created = await trx
      .insertInto('assessment')
      .values({
        person_id: personId, organisation_id: actor.organisationId, assessor_user_id: actor.userId,
        based_on_assessment_id: base?.id ?? null, previous_level: base?.content.level ?? null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    const c = base?.content;
    await trx
      .insertInto('assessment_version')
      .values({
        assessment_id: created.id, version: 1, saved_by_user_id: actor.userId,
        risk_home: c?.riskHome ?? null, risk_peers: c?.riskPeers ?? null, risk_school: c?.riskSchool ?? null,
        risk_community: c?.riskCommunity ?? null, risk_online: c?.riskOnline ?? null, risk_to_others: c?.riskToOthers ?? null,
        strengths: c?.strengths ?? null, child_views: c?.childViews ?? null, family_views: c?.familyViews ?? null,
        analysis: c?.analysis ?? null, level: c?.level ?? null, level_rationale: c?.levelRationale ?? null,
        previous_level: c?.level ?? null, lowering_reason: null, review_on: null,
      })
      .execute();
    await recordAccess(trx, {
      actor, action: 'assessment.create', personId, route: meta.route, outcome: 'allowed', requestId: meta.requestId,
      detail: { assessmentId: created.id, basedOn: base?.id ?? null },
    });
    return { id: created.id, basedOn: base?.id ?? null };
  });
}
