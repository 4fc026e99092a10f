/**
 * Relocation for safety: a relocation risk assessment (risks in the new area, ties to the old one,
 * the professional network that would be lost, the family's practical and financial position, the
 * child's and family's views), signed off by a senior manager (app_user.senior_manager) other than its
 * author, before the move is recorded as planned. Planning it tells the receiving partnership (a
 * pre-move transfer and a notice to its front door's team managers). Recording the move sets a
 * review three months later: did the risk fall, did ties to the old area continue. The database
 * refuses a planned relocation without the sign-off, and a sign-off by anyone but a senior manager.
 */
import { sql, type Kysely, type Transaction } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor } from '../../actor.js';
import { recordAccess } from '../../audit/record-access.js';
import type { CommandResult, FieldProblem } from '../allocation/allocation.commands.js';
import { openPreMoveTransfer } from './transfers.commands.js';

interface Meta { route: string; requestId: string }

export const RELOCATION_FIELDS = {
  risksNewArea: 'Risks in the new area (known places and groups)',
  tiesOldArea: 'Ties to the old area (friends, school, youth centre, relatives)',
  networkLost: 'The professional network that would be lost',
  familyPosition: "The family's practical and financial position",
  views: "The child's and the family's views",
} as const;
export type RelocationField = keyof typeof RELOCATION_FIELDS;

export interface RelocationInput extends Record<RelocationField, string> { toBorough: string }

const LIMIT = 10_000;

/** The date three months after a date (the end of the month when it has fewer days). */
export function threeMonthsAfter(date: string): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const last = new Date(Date.UTC(y, m + 2, 0)).getUTCDate();
  return new Date(Date.UTC(y, m + 2, Math.min(d, last))).toISOString().slice(0, 10);
}

/** Records a relocation risk assessment (not yet signed off). The caller has authorised the actor for the child. */
export async function recordRelocation(trx: Transaction<Database>, actor: Actor & { kind: 'user' }, personId: string, input: RelocationInput, meta: Meta): Promise<CommandResult<{ id: string }>> {
  const problems: FieldProblem[] = [];
  const toBorough = input.toBorough.trim();
  if (toBorough.length < 2 || toBorough.length > 100) problems.push({ field: 'toBorough', message: 'Enter the borough the child would move to' });
  for (const [field, label] of Object.entries(RELOCATION_FIELDS) as [RelocationField, string][]) {
    const v = input[field].trim();
    if (!v) problems.push({ field, message: `Enter ${label.charAt(0).toLowerCase()}${label.slice(1)}` });
    else if (v.length > LIMIT) problems.push({ field, message: `${label} must be ${LIMIT.toLocaleString('en-GB')} characters or fewer` });
  }
  if (problems.length) return { ok: false, problems };
  const row = await trx.insertInto('relocation').values({
    person_id: personId, organisation_id: actor.organisationId, created_by_user_id: actor.userId, to_borough: toBorough,
    risks_new_area: input.risksNewArea.trim(), ties_old_area: input.tiesOldArea.trim(), network_lost: input.networkLost.trim(),
    family_position: input.familyPosition.trim(), views: input.views.trim(),
  }).returning('id').executeTakeFirstOrThrow();
  await recordAccess(trx, { actor, action: 'relocation.record', personId, route: meta.route, outcome: 'allowed', requestId: meta.requestId, detail: { relocationId: row.id } });
  return { ok: true, value: { id: row.id } };
}

/** Whether the actor is a senior manager (head of service), read from the database, not the session. */
export async function isSeniorManager(trx: Kysely<Database>, actor: Actor): Promise<boolean> {
  if (actor.kind !== 'user') return false;
  const u = await trx.selectFrom('app_user').select('senior_manager').where('id', '=', actor.userId).where('active', '=', true).executeTakeFirst();
  return u?.senior_manager === true;
}

/** Signs off the assessment. The caller has decided the actor is a senior manager who may see the child and did not write it. */
export async function signOffRelocation(trx: Transaction<Database>, actor: Actor & { kind: 'user' }, relocationId: string, meta: Meta): Promise<CommandResult<null>> {
  const r = await trx.selectFrom('relocation').selectAll().where('id', '=', relocationId).forUpdate().executeTakeFirstOrThrow();
  if (r.status !== 'assessing' || r.signed_off_at) return { ok: false, problems: [{ field: 'status', message: 'This relocation risk assessment is already signed off' }] };
  await trx.updateTable('relocation').set({ signed_off_at: sql<Date>`now()`, signed_off_by_user_id: actor.userId }).where('id', '=', r.id).execute();
  await recordAccess(trx, { actor, action: 'relocation.sign_off', personId: r.person_id, route: meta.route, outcome: 'allowed', requestId: meta.requestId, detail: { relocationId: r.id } });
  return { ok: true, value: null };
}

/** Records the move as planned: only on a signed-off assessment. Tells the receiving partnership. */
export async function planRelocation(trx: Transaction<Database>, actor: Actor & { kind: 'user' }, relocationId: string, plannedOn: string | null, meta: Meta): Promise<CommandResult<{ transferId: string | null }>> {
  const r = await trx.selectFrom('relocation').selectAll().where('id', '=', relocationId).forUpdate().executeTakeFirstOrThrow();
  const problems: FieldProblem[] = [];
  if (r.status !== 'assessing') problems.push({ field: 'status', message: 'This relocation is already planned' });
  else if (!r.signed_off_at) problems.push({ field: 'status', message: 'A senior manager must sign off the relocation risk assessment before the move is planned' });
  if (!plannedOn) problems.push({ field: 'plannedOn', message: 'Enter the date of the planned move as a real date' });
  if (problems.length || !plannedOn) return { ok: false, problems };
  await trx.updateTable('relocation').set({ status: 'planned', planned_move_on: plannedOn }).where('id', '=', r.id).execute();
  const transferId = await openPreMoveTransfer(trx, r.person_id, r.id, r.to_borough);
  await recordAccess(trx, { actor, action: 'relocation.plan', personId: r.person_id, route: meta.route, outcome: 'allowed', requestId: meta.requestId, detail: { relocationId: r.id, plannedOn, transferId } });
  return { ok: true, value: { transferId } };
}

/** Records the move: the review falls due three months later. */
export async function recordMove(trx: Transaction<Database>, actor: Actor & { kind: 'user' }, relocationId: string, movedOn: string | null, meta: Meta): Promise<CommandResult<{ reviewDueOn: string }>> {
  const r = await trx.selectFrom('relocation').selectAll().where('id', '=', relocationId).forUpdate().executeTakeFirstOrThrow();
  const problems: FieldProblem[] = [];
  if (r.status !== 'planned') problems.push({ field: 'status', message: 'Only a planned relocation can be recorded as moved' });
  if (!movedOn) problems.push({ field: 'movedOn', message: 'Enter the date of the move as a real date' });
  else if (movedOn > new Date().toISOString().slice(0, 10)) problems.push({ field: 'movedOn', message: 'The date of the move must be today or in the past' });
  if (problems.length || !movedOn) return { ok: false, problems };
  const reviewDueOn = threeMonthsAfter(movedOn);
  await trx.updateTable('relocation').set({ status: 'moved', moved_on: movedOn, review_due_on: reviewDueOn }).where('id', '=', r.id).execute();
  await recordAccess(trx, { actor, action: 'relocation.plan', personId: r.person_id, route: meta.route, outcome: 'allowed', requestId: meta.requestId, detail: { relocationId: r.id, movedOn, reviewDueOn } });
  return { ok: true, value: { reviewDueOn } };
}

/** The three-month review: did the risk fall; did ties to the old area continue. */
export async function reviewRelocation(trx: Transaction<Database>, actor: Actor & { kind: 'user' }, relocationId: string, input: { riskFell: string; tiesContinued: string; notes: string }, meta: Meta): Promise<CommandResult<null>> {
  const r = await trx.selectFrom('relocation').selectAll().where('id', '=', relocationId).forUpdate().executeTakeFirstOrThrow();
  const problems: FieldProblem[] = [];
  if (r.status !== 'moved') problems.push({ field: 'status', message: 'Only a relocation that has happened can be reviewed' });
  if (!['yes', 'no'].includes(input.riskFell)) problems.push({ field: 'riskFell', message: 'Select whether the risk fell after the move' });
  if (!['yes', 'no'].includes(input.tiesContinued)) problems.push({ field: 'tiesContinued', message: 'Select whether ties to the old area continued' });
  const notes = input.notes.trim();
  if (!notes) problems.push({ field: 'notes', message: 'Enter what the review found' });
  else if (notes.length > LIMIT) problems.push({ field: 'notes', message: `What the review found must be ${LIMIT.toLocaleString('en-GB')} characters or fewer` });
  if (problems.length) return { ok: false, problems };
  await trx.updateTable('relocation').set({
    status: 'reviewed', review_risk_fell: input.riskFell === 'yes', review_ties_continued: input.tiesContinued === 'yes', review_notes: notes,
    reviewed_at: sql<Date>`now()`, reviewed_by_user_id: actor.userId,
  }).where('id', '=', r.id).execute();
  await recordAccess(trx, { actor, action: 'relocation.review', personId: r.person_id, route: meta.route, outcome: 'allowed', requestId: meta.requestId, detail: { relocationId: r.id } });
  return { ok: true, value: null };
}
