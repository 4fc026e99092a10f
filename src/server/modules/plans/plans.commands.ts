/**
 * Writes to a child's risk management plan: making the plan, adding an action (with its reminder and
 * overdue check queued in the same transaction), changing an action's status (optionally recording a
 * chronology entry through the one entry writer, in the same transaction) and reviewing the plan.
 * Each takes the caller's transaction; the routes have authorised the actor on the child.
 */
import { sql, type Kysely } from 'kysely';
import type { Database, PlanActionStatus } from '../../../db/database.js';
import type { Actor } from '../../actor.js';
import { recordAccess } from '../../audit/record-access.js';
import { AppError } from '../../errors.js';
import { enqueueMany } from '../../outbox/outbox.js';
import { appendEntry } from '../chronology/commands/append-entry.js';

type User = Actor & { kind: 'user' };

/** Where a write came from, for its access-log row. */
export interface PlanWriteMeta {
  route: string;
  requestId?: string;
}

export const ACTION_REMINDER_KIND = 'plan.action_reminder';
export const ACTION_OVERDUE_KIND = 'plan.action_overdue';
/** Days before its due date that an open action's owner is reminded. */
export const REMINDER_DAYS_BEFORE = 3;

/** The statuses an action can have, in the words the pages use. */
export const ACTION_STATUSES: Record<PlanActionStatus, string> = {
  not_started: 'Not started',
  in_progress: 'In progress',
  done: 'Done',
  not_possible: 'Not possible: circumstances changed',
  not_done: 'Not done',
};
/** Statuses of an action still to do. */
export const OPEN_STATUSES: readonly PlanActionStatus[] = ['not_started', 'in_progress'];

/** Chronology entries that completing an action may record (the vocabulary's own types). */
export const COMPLETION_ENTRY_TYPES = [
  'outreach_contact', 'mentoring_started', 'positive_activity', 'trusted_adult_identified', 'youth_club_attendance',
  'referral_to_early_help', 'camhs_referral', 'substance_misuse_referral', 'nrm_referral', 'strategy_meeting',
  'move_to_alternative_provision', 'school_move', 'relocation_for_safety', 'anti_social_behaviour_warning', 'arrest',
] as const;

const DAY = 86_400_000;
/** 'YYYY-MM-DD' a number of days after a date (UTC). */
export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY).toISOString().slice(0, 10);
}

/** When an action's reminder and overdue check fall due: three days before (08:00 UTC), and once its due day has ended. */
export function actionSchedule(dueOn: string): { remindAt: Date; overdueAt: Date } {
  return { remindAt: new Date(Date.parse(`${addDays(dueOn, -REMINDER_DAYS_BEFORE)}T08:00:00Z`)), overdueAt: new Date(Date.parse(`${addDays(dueOn, 1)}T00:00:00Z`)) };
}

/** Makes the child's plan (one in force per child record). */
export async function createPlan(trx: Kysely<Database>, actor: User, input: { personId: string; worries: string; goals: string; reviewEveryWeeks: number; today: string }, meta: PlanWriteMeta): Promise<string> {
  // Two people making the child's plan at once: the second waits here, then finds the first's plan.
  await sql`SELECT pg_advisory_xact_lock(hashtext(${`risk_plan:${input.personId}`}))`.execute(trx);
  const existing = await trx.selectFrom('risk_plan').select('id').where('person_id', '=', input.personId).where('status', '=', 'active').executeTakeFirst();
  if (existing) throw new AppError(409, 'plan_exists', 'This child already has a plan');
  const plan = await trx.insertInto('risk_plan').values({
    person_id: input.personId, organisation_id: actor.organisationId, created_by_user_id: actor.userId,
    worries: input.worries, goals: input.goals, review_every_weeks: input.reviewEveryWeeks, next_review_on: addDays(input.today, input.reviewEveryWeeks * 7),
  }).returning('id').executeTakeFirstOrThrow();
  await recordAccess(trx, { actor, action: 'plan.record', personId: input.personId, route: meta.route, outcome: 'allowed', requestId: meta.requestId, detail: { plan: plan.id, created: true } });
  return plan.id;
}

/** Changes the plan's worries, goals or cadence. */
export async function updatePlan(trx: Kysely<Database>, actor: User, input: { personId: string; planId: string; worries: string; goals: string; reviewEveryWeeks: number }, meta: PlanWriteMeta): Promise<void> {
  await trx.updateTable('risk_plan').set({ worries: input.worries, goals: input.goals, review_every_weeks: input.reviewEveryWeeks, updated_at: sql<Date>`now()` })
    .where('id', '=', input.planId).execute();
  await recordAccess(trx, { actor, action: 'plan.record', personId: input.personId, route: meta.route, outcome: 'allowed', requestId: meta.requestId, detail: { plan: input.planId, updated: true } });
}

/** Adds an action with its owner and due date, and queues its reminder and overdue check for their times. */
export async function addAction(
  trx: Kysely<Database>, actor: User,
  input: { personId: string; planId: string; kind: 'supportive' | 'disruptive'; description: string; ownerUserId: string; dueOn: string },
  meta: PlanWriteMeta,
): Promise<string> {
  const owner = await trx.selectFrom('app_user').select(['id', 'organisation_id']).where('id', '=', input.ownerUserId).where('active', '=', true).executeTakeFirst();
  if (!owner) throw new AppError(400, 'unknown_owner', 'Choose who owns the action');
  const action = await trx.insertInto('plan_action').values({
    plan_id: input.planId, kind: input.kind, description: input.description, owner_user_id: owner.id, owner_organisation_id: owner.organisation_id,
    due_on: input.dueOn, created_by_user_id: actor.userId,
  }).returning('id').executeTakeFirstOrThrow();
  await trx.insertInto('plan_action_status_change').values({ action_id: action.id, status: 'not_started', reason: null, changed_by_user_id: actor.userId }).execute();
  const { remindAt, overdueAt } = actionSchedule(input.dueOn);
  const payload = { actionId: action.id, dueOn: input.dueOn };
  await enqueueMany(trx, [
    { kind: ACTION_REMINDER_KIND, payload, dedupeKey: `${action.id}:${input.dueOn}`, availableAt: remindAt },
    { kind: ACTION_OVERDUE_KIND, payload, dedupeKey: `${action.id}:${input.dueOn}`, availableAt: overdueAt },
  ]);
  await recordAccess(trx, { actor, action: 'plan.record', personId: input.personId, route: meta.route, outcome: 'allowed', requestId: meta.requestId, detail: { plan: input.planId, action: action.id, owner: owner.id, dueOn: input.dueOn } });
  return action.id;
}

/**
 * Records a new status for an action, with its reason ("not possible" and "not done" need one), and
 * when asked an entry in the child's chronology, written by appendEntry in the same transaction.
 */
export async function changeActionStatus(
  trx: Kysely<Database>, actor: User,
  input: { personId: string; actionId: string; status: PlanActionStatus; reason: string | null; entry: { eventTypeCode: string; summary: string } | null },
  meta: PlanWriteMeta,
): Promise<{ eventId: string | null }> {
  if ((input.status === 'not_possible' || input.status === 'not_done') && !input.reason) throw new AppError(400, 'reason_required', 'Give the reason');
  const closing = !OPEN_STATUSES.includes(input.status);
  let eventId: string | null = null;
  if (input.entry) {
    const entry = await appendEntry(trx, actor, {
      personId: input.personId, eventTypeCode: input.entry.eventTypeCode, occurredAt: new Date(), occurredPrecision: 'time',
      summary: input.entry.summary, sourceSystem: 'jigsaw', sourceRecordId: null,
    }, { via: 'form', route: meta.route, requestId: meta.requestId ?? '' });
    eventId = entry.id;
  }
  await trx.updateTable('plan_action').set({
    status: input.status, status_reason: input.reason, updated_at: sql<Date>`now()`,
    completed_at: closing ? sql<Date>`now()` : null,
  }).where('id', '=', input.actionId).execute();
  await trx.insertInto('plan_action_status_change').values({ action_id: input.actionId, status: input.status, reason: input.reason, changed_by_user_id: actor.userId, event_id: eventId }).execute();
  await recordAccess(trx, { actor, action: 'plan.action.update', personId: input.personId, route: meta.route, outcome: 'allowed', requestId: meta.requestId, detail: { action: input.actionId, status: input.status, eventId } });
  return { eventId };
}

/**
 * Records a review of the plan and sets the next one by the plan's cadence (or the date given); a
 * review that ends the plan closes it (its actions stay as they were; a new plan can then be made).
 */
export async function reviewPlan(trx: Kysely<Database>, actor: User, input: { personId: string; planId: string; notes: string; nextReviewOn: string; close?: boolean }, meta: PlanWriteMeta): Promise<void> {
  await trx.insertInto('risk_plan_review').values({ plan_id: input.planId, reviewed_by_user_id: actor.userId, notes: input.notes, next_review_on: input.nextReviewOn }).execute();
  await trx.updateTable('risk_plan').set({
    next_review_on: input.nextReviewOn, updated_at: sql<Date>`now()`, ...(input.close ? { status: 'closed' as const, closed_at: sql<Date>`now()` } : {}),
  }).where('id', '=', input.planId).execute();
  await recordAccess(trx, { actor, action: 'plan.record', personId: input.personId, route: meta.route, outcome: 'allowed', requestId: meta.requestId, detail: { plan: input.planId, reviewed: true, nextReviewOn: input.nextReviewOn, closed: input.close === true } });
}
