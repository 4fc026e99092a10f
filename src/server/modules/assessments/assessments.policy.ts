import type { FastifyRequest } from 'fastify';
import type { Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { refuseRecord } from '../../access.js';
import type { AssessmentAction } from '../../actions.js';
import type { Actor, Role } from '../../actor.js';
import type { AppContext } from '../../context.js';
import { actorOf, isUuid } from '../../request.js';
import { authorizePerson } from '../people/people.policy.js';

export type { AssessmentAction } from '../../actions.js';

/** Roles that may write an assessment of a child they have a relationship with. */
export const ASSESSOR_ROLES: readonly Role[] = ['practitioner', 'team_manager', 'designated_safeguarding_lead'];

/** What the decision needs to know about an assessment. */
export interface AssessmentHeader {
  id: string;
  personId: string;
  organisationId: string;
  assessorUserId: string;
  status: string;
}

/**
 * The per-record decision, given whether the actor may see the child at all (authorizePerson):
 * - read: signed-off assessments by anyone with a relationship to the child, whichever agency or
 *   borough wrote them (so nothing starts again after a move); drafts only within the assessor's organisation;
 * - create: a case-holding role with a relationship to the child;
 * - update and submit: the assessor, while it is a draft;
 * - sign-off (or return): a team manager in the assessor's organisation, never the assessor, while it awaits sign-off.
 */
export function decideAssessment(actor: Actor, action: AssessmentAction, a: AssessmentHeader | null, personVisible: boolean): boolean {
  if (actor.kind !== 'user' || !personVisible) return false;
  if (action === 'assessment.create') return actor.roles.some((r) => ASSESSOR_ROLES.includes(r));
  if (!a) return false;
  switch (action) {
    case 'assessment.read':
      return a.status === 'signed_off' || a.organisationId === actor.organisationId;
    case 'assessment.update':
    case 'assessment.submit':
      return a.status === 'draft' && a.assessorUserId === actor.userId;
    case 'assessment.sign_off':
      return a.status === 'awaiting_sign_off' && actor.roles.includes('team_manager') && actor.organisationId === a.organisationId && actor.userId !== a.assessorUserId;
  }
}

/** Loads an assessment's header. */
export async function getAssessmentHeader(db: Kysely<Database>, assessmentId: string): Promise<AssessmentHeader | null> {
  if (!isUuid(assessmentId)) return null;
  const row = await db
    .selectFrom('assessment')
    .select(['id', 'person_id', 'organisation_id', 'assessor_user_id', 'status'])
    .where('id', '=', assessmentId)
    .executeTakeFirst();
  return row ? { id: row.id, personId: row.person_id, organisationId: row.organisation_id, assessorUserId: row.assessor_user_id, status: row.status } : null;
}

/**
 * Authorises an action on an assessment for a request. Missing and forbidden both refuse through
 * refuseRecord: a "denied" row and 404.
 */
export async function guardAssessment(
  ctx: AppContext, request: FastifyRequest, action: AssessmentAction, assessmentId: string,
): Promise<{ actor: Actor & { kind: 'user' }; assessment: AssessmentHeader }> {
  const actor = actorOf(request);
  const a = await getAssessmentHeader(ctx.db, assessmentId);
  const visible = a ? await authorizePerson(ctx.db, actor, 'person.read', a.personId) : false;
  if (a && actor.kind === 'user' && decideAssessment(actor, action, a, visible)) return { actor, assessment: a };
  return refuseRecord(ctx, request, { action, personId: a?.personId ?? null, detail: { assessmentId: isUuid(assessmentId) ? assessmentId : null } });
}
