/**
 * Reads of a child's risk management plan. The routes admit only someone who may see the child
 * (visiblePersonIds, in SQL), so every agency involved with the child sees the plan; lists across
 * children (the home page) join the same scope.
 */
import { sql, type Kysely } from 'kysely';
import type { Database, PlanActionStatus } from '../../../db/database.js';
import type { Actor } from '../../actor.js';
import { samePersonIds } from '../chronology/chronology.policy.js';
import { visiblePersonIds } from '../people/people.policy.js';
import { OPEN_STATUSES } from './plans.commands.js';

/** A plan action with its owner and history. */
export interface PlanActionView {
  id: string;
  kind: 'supportive' | 'disruptive';
  description: string;
  ownerUserId: string;
  ownerName: string;
  ownerOrganisation: string;
  dueOn: string;
  status: PlanActionStatus;
  statusReason: string | null;
  escalatedAt: Date | null;
  history: { status: PlanActionStatus; reason: string | null; by: string; at: Date; eventId: string | null }[];
}

/** A child's plan in force, with its actions and reviews. */
export interface PlanView {
  id: string;
  personId: string;
  worries: string;
  goals: string;
  reviewEveryWeeks: number;
  nextReviewOn: string;
  createdAt: Date;
  createdBy: string;
  organisation: string;
  actions: PlanActionView[];
  reviews: { at: Date; by: string; notes: string; nextReviewOn: string }[];
}

/** The plan in force for a child (on any of their merged records), or null. */
export async function planOf(db: Kysely<Database>, personId: string): Promise<PlanView | null> {
  const plan = await db.selectFrom('risk_plan as p').innerJoin('app_user as u', 'u.id', 'p.created_by_user_id').innerJoin('organisation as o', 'o.id', 'p.organisation_id')
    .select(['p.id', 'p.person_id', 'p.worries', 'p.goals', 'p.review_every_weeks', 'p.next_review_on', 'p.created_at', 'u.name as created_by', 'o.name as organisation'])
    .where('p.status', '=', 'active').where(sql<boolean>`p.person_id IN ${samePersonIds(db, personId)}`)
    .orderBy('p.created_at', 'desc').executeTakeFirst();
  if (!plan) return null;
  const [actions, history, reviews] = await Promise.all([
    db.selectFrom('plan_action as a').innerJoin('app_user as u', 'u.id', 'a.owner_user_id').innerJoin('organisation as o', 'o.id', 'a.owner_organisation_id')
      .select(['a.id', 'a.kind', 'a.description', 'a.owner_user_id', 'u.name as owner_name', 'o.name as owner_org', 'a.due_on', 'a.status', 'a.status_reason', 'a.escalated_at'])
      .where('a.plan_id', '=', plan.id).orderBy('a.due_on').orderBy('a.created_at').execute(),
    db.selectFrom('plan_action_status_change as c').innerJoin('plan_action as a', 'a.id', 'c.action_id').innerJoin('app_user as u', 'u.id', 'c.changed_by_user_id')
      .select(['c.action_id', 'c.status', 'c.reason', 'u.name', 'c.changed_at', 'c.event_id'])
      .where('a.plan_id', '=', plan.id).orderBy('c.changed_at').orderBy('c.id').execute(),
    db.selectFrom('risk_plan_review as r').innerJoin('app_user as u', 'u.id', 'r.reviewed_by_user_id')
      .select(['r.reviewed_at', 'u.name', 'r.notes', 'r.next_review_on']).where('r.plan_id', '=', plan.id).orderBy('r.reviewed_at', 'desc').execute(),
  ]);
  return {
    id: plan.id, personId: plan.person_id, worries: plan.worries, goals: plan.goals, reviewEveryWeeks: plan.review_every_weeks, nextReviewOn: plan.next_review_on,
    createdAt: plan.created_at, createdBy: plan.created_by, organisation: plan.organisation,
    actions: actions.map((a) => ({
      id: a.id, kind: a.kind, description: a.description, ownerUserId: a.owner_user_id, ownerName: a.owner_name, ownerOrganisation: a.owner_org,
      dueOn: a.due_on, status: a.status, statusReason: a.status_reason, escalatedAt: a.escalated_at,
      history: history.filter((h) => h.action_id === a.id).map((h) => ({ status: h.status, reason: h.reason, by: h.name, at: h.changed_at, eventId: h.event_id })),
    })),
    reviews: reviews.map((r) => ({ at: r.reviewed_at, by: r.name, notes: r.notes, nextReviewOn: r.next_review_on })),
  };
}

/** Who may own an action on a child's plan: the workers involved with the child now, and the actor's colleagues. */
export async function ownerChoices(db: Kysely<Database>, personId: string, organisationId: string): Promise<{ id: string; name: string; organisation: string }[]> {
  const rows = await sql<{ id: string; name: string; organisation: string }>`
    SELECT DISTINCT u.id, u.name, o.name AS organisation FROM app_user u JOIN organisation o ON o.id = u.organisation_id
    WHERE u.active AND (
      u.organisation_id = ${organisationId}
      OR u.id IN (SELECT i.user_id FROM involvement i WHERE i.person_id IN ${samePersonIds(db, personId)} AND i.user_id IS NOT NULL
                  AND i.started_on <= current_date AND (i.ended_on IS NULL OR i.ended_on >= current_date)))
      AND u.roles && ARRAY['practitioner', 'team_manager', 'designated_safeguarding_lead', 'panel_coordinator']::text[]
    ORDER BY o.name, u.name`.execute(db);
  return rows.rows;
}

/** An action for the home page. */
export interface DueAction {
  actionId: string;
  personId: string;
  description: string;
  dueOn: string;
  status: PlanActionStatus;
  overdue: boolean;
  escalatedToYou: boolean;
}

/**
 * Open actions the user owns that fall due within two weeks or are overdue, and overdue actions
 * escalated to them, on plans of children they may see (visiblePersonIds).
 */
export async function dueActions(db: Kysely<Database>, actor: Actor & { kind: 'user' }, today: string, limit = 50): Promise<DueAction[]> {
  const horizon = new Date(Date.parse(`${today}T00:00:00Z`) + 14 * 86_400_000).toISOString().slice(0, 10);
  const rows = await db.selectFrom('plan_action as a').innerJoin('risk_plan as p', 'p.id', 'a.plan_id')
    .select(['a.id', 'p.person_id', 'a.description', 'a.due_on', 'a.status', 'a.owner_user_id'])
    .where('a.status', 'in', [...OPEN_STATUSES]).where('p.status', '=', 'active')
    .where((eb) => eb.or([
      eb.and([eb('a.owner_user_id', '=', actor.userId), eb('a.due_on', '<=', horizon)]),
      eb('a.id', 'in', db.selectFrom('alert').select('alert.plan_action_id as id').where('alert.recipient_user_id', '=', actor.userId).where('alert.kind', '=', 'action_overdue')
        .where('alert.plan_action_id', 'is not', null) as never),
    ]))
    .where('p.person_id', 'in', visiblePersonIds(db, actor))
    .orderBy('a.due_on').orderBy('a.id').limit(limit).execute();
  return rows.map((r) => ({
    actionId: r.id, personId: r.person_id, description: r.description, dueOn: r.due_on, status: r.status,
    overdue: r.due_on < today, escalatedToYou: r.owner_user_id !== actor.userId,
  }));
}

/**
 * Plans due for review within a week or overdue, of children the user may see, that the user made or
 * whose lead professional they are now.
 */
export async function reviewsDue(db: Kysely<Database>, actor: Actor & { kind: 'user' }, today: string, limit = 50): Promise<{ planId: string; personId: string; nextReviewOn: string; overdue: boolean }[]> {
  const horizon = new Date(Date.parse(`${today}T00:00:00Z`) + 7 * 86_400_000).toISOString().slice(0, 10);
  const rows = await db.selectFrom('risk_plan as p').select(['p.id', 'p.person_id', 'p.next_review_on'])
    .where('p.status', '=', 'active').where('p.next_review_on', '<=', horizon)
    .where((eb) => eb.or([
      eb('p.created_by_user_id', '=', actor.userId),
      eb.exists(eb.selectFrom('involvement as i').select('i.id').whereRef('i.person_id', '=', 'p.person_id').where('i.user_id', '=', actor.userId)
        .where('i.role', '=', 'lead_professional').where('i.started_on', '<=', today).where((x) => x.or([x('i.ended_on', 'is', null), x('i.ended_on', '>=', today)]))),
    ]))
    .where('p.person_id', 'in', visiblePersonIds(db, actor))
    .orderBy('p.next_review_on').orderBy('p.id').limit(limit).execute();
  return rows.map((r) => ({ planId: r.id, personId: r.person_id, nextReviewOn: r.next_review_on, overdue: r.next_review_on < today }));
}

/** The child's closed plans, newest first: when made and closed, by whom, how many actions were done. */
export async function closedPlans(db: Kysely<Database>, personId: string) {
  return db.selectFrom('risk_plan as p').innerJoin('organisation as o', 'o.id', 'p.organisation_id')
    .select((eb) => ['p.id', 'p.created_at', 'p.closed_at', 'o.name as organisation',
      eb.selectFrom('plan_action as a').select((x) => x.fn.countAll<number>().as('n')).whereRef('a.plan_id', '=', 'p.id').as('actions'),
      eb.selectFrom('plan_action as a').select((x) => x.fn.countAll<number>().as('n')).whereRef('a.plan_id', '=', 'p.id').where('a.status', '=', 'done').as('done')])
    .where('p.status', '=', 'closed').where(sql<boolean>`p.person_id IN ${samePersonIds(db, personId)}`)
    .orderBy('p.closed_at', 'desc').execute();
}
