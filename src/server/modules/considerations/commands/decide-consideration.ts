import type { Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import type { Actor } from '../../../actor.js';
import { recordAccess } from '../../../audit/record-access.js';
import { recordOffer } from '../../offers/offers.commands.js';
import { AppError, ValidationError } from '../../../errors.js';

/** The decisions a recipient can record. Nothing is done to the child automatically: this records what a person decided. */
export const DECISIONS = ['offer_of_help', 'already_in_hand', 'no_action', 'refer_to_panel'] as const;
/** A decision. */
export type Decision = (typeof DECISIONS)[number];

/** What the recipient decided, with the service offered or the reason for no action. */
export interface DecisionInput {
  decision: string;
  service: string;
  reason: string;
}

/** Checks a decision field by field. */
export function checkDecision(input: DecisionInput): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  if (!(DECISIONS as readonly string[]).includes(input.decision)) problems.push({ field: 'decision', message: 'Select what you have decided' });
  if (input.decision === 'offer_of_help' && !input.service.trim()) problems.push({ field: 'service', message: 'Enter which service is offering help' });
  if (input.decision === 'no_action' && !input.reason.trim()) problems.push({ field: 'reason', message: 'Enter the reason for taking no action' });
  if (input.service.length > 500) problems.push({ field: 'service', message: 'The service must be 500 characters or fewer' });
  if (input.reason.length > 5000) problems.push({ field: 'reason', message: 'The reason must be 5,000 characters or fewer' });
  return problems;
}

/** Records the recipient's decision on a consideration, once, with an access-log row. The caller has authorised it. */
export async function decideConsideration(
  db: Kysely<Database>, actor: Actor & { kind: 'user' }, considerationId: string, input: DecisionInput, meta: { route: string; requestId: string },
): Promise<void> {
  const problems = checkDecision(input);
  if (problems.length) throw new ValidationError(problems);
  await db.transaction().execute(async (trx) => {
    const c = await trx.selectFrom('consideration').select('person_id').where('id', '=', considerationId).executeTakeFirstOrThrow();
    const inserted = await trx
      .insertInto('consideration_decision')
      .values({
        consideration_id: considerationId, decision: input.decision, decided_by_user_id: actor.userId, organisation_id: actor.organisationId,
        service: input.decision === 'offer_of_help' ? input.service.trim() : null,
        reason: input.reason.trim() || null,
      })
      .onConflict((oc) => oc.column('consideration_id').doNothing())
      .returning('consideration_id')
      .executeTakeFirst();
    if (!inserted) throw new AppError(409, 'already_decided', 'A decision has already been recorded for this consideration');
    // An offer of help decided here is an offer to be made: the decider referred, and hears the outcome.
    if (input.decision === 'offer_of_help') {
      await recordOffer(trx, actor, { personId: c.person_id, serviceId: null, serviceName: input.service, considerationId, made: null }, meta);
    }
    // A referral to the partnership's panels: the child is on the agenda of its next meeting.
    if (input.decision === 'refer_to_panel') {
      await trx.insertInto('panel_referral').values({
        person_id: c.person_id, partnership_id: actor.partnershipId, source: 'consideration', consideration_id: considerationId,
        reason: input.reason.trim().slice(0, 5000) || 'A consideration decided as a referral to a panel', referred_by_user_id: actor.userId, organisation_id: actor.organisationId,
      }).onConflict((oc) => oc.column('consideration_id').doNothing()).execute();
    }
    await recordAccess(trx, {
      actor, action: 'consideration.decide', personId: c.person_id, route: meta.route, outcome: 'allowed', requestId: meta.requestId,
      detail: { considerationId, decision: input.decision },
    });
  });
}
