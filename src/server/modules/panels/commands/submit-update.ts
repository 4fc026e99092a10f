/**
 * An agency's update about a child for a meeting (SafeLives' research form): facts apart from
 * opinion, and what the agency could not share and why. Every significant entry since the child's
 * last review that the author may read (from any agency, through the chronology's scope) is listed
 * on the form, and the update is refused until each is acknowledged: an agency cannot report "no
 * significant incident" while the chronology holds one. Submitting again replaces the agency's update.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import type { Actor } from '../../../actor.js';
import { recordAccess } from '../../../audit/record-access.js';
import type { MeetingHeader } from '../panels.policy.js';
import { significantEntriesSince } from '../panels.queries.js';

type User = Extract<Actor, { kind: 'user' }>;
interface Meta { route: string; requestId: string }

export interface UpdateInput {
  facts: string;
  opinion: string;
  notShared: string;
  notSharedReason: string;
  noSignificantIncident: boolean;
  acknowledged: string[];
}

export type UpdateResult = { ok: true } | { ok: false; problems: { field: string; message: string }[] };

export async function submitUpdate(trx: Kysely<Database>, actor: User, meeting: MeetingHeader, organisationId: string, personId: string, input: UpdateInput, meta: Meta): Promise<UpdateResult> {
  const problems: { field: string; message: string }[] = [];
  const facts = input.facts.trim();
  const opinion = input.opinion.trim();
  const notShared = input.notShared.trim();
  const notSharedReason = input.notSharedReason.trim();
  if (!facts) problems.push({ field: 'facts', message: 'Enter the facts your agency holds' });
  if (notShared && !notSharedReason) problems.push({ field: 'notSharedReason', message: 'Say why this could not be shared' });
  if (!notShared && notSharedReason) problems.push({ field: 'notShared', message: 'Say what could not be shared' });
  const significant = await significantEntriesSince(trx, actor, meeting, personId);
  const acknowledged = new Set(input.acknowledged);
  const missing = significant.filter((e) => !acknowledged.has(e.id));
  if (missing.length) {
    const n = significant.length === 1 ? '1 significant entry' : `${significant.length} significant entries`;
    problems.push({
      field: 'acknowledged',
      message: input.noSignificantIncident
        ? `You cannot report no significant incident: the chronology holds ${n} since the last review. Acknowledge each one`
        : `The chronology holds ${n} since the last review. Acknowledge each one`,
    });
  }
  if (problems.length) return { ok: false, problems };
  const values = {
    author_user_id: actor.userId, facts, opinion: opinion || null, not_shared: notShared || null, not_shared_reason: notSharedReason || null,
    no_significant_incident: input.noSignificantIncident, submitted_at: new Date(),
  };
  const update = await trx.insertInto('panel_update')
    .values({ meeting_id: meeting.id, person_id: personId, organisation_id: organisationId, ...values })
    .onConflict((oc) => oc.columns(['meeting_id', 'person_id', 'organisation_id']).doUpdateSet(values))
    .returning('id').executeTakeFirstOrThrow();
  await trx.deleteFrom('panel_update_acknowledgement').where('update_id', '=', update.id).execute();
  if (significant.length) {
    await trx.insertInto('panel_update_acknowledgement').values(significant.map((e) => ({ update_id: update.id, event_id: e.id }))).execute();
  }
  await recordAccess(trx, { actor, action: 'panel.update.submit', personId, route: meta.route, outcome: 'allowed', requestId: meta.requestId,
    detail: { meetingId: meeting.id, updateId: update.id, acknowledged: significant.map((e) => e.id) } });
  return { ok: true };
}
