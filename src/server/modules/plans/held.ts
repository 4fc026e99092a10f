/**
 * A child's plans and offers of help as held, for subject access: every plan (in force or closed)
 * with its actions, their status history and reviews, and every offer with its answer. Items naming
 * staff (owners, people offering) are marked for review, as the access history is.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import { samePersonIds } from '../chronology/chronology.policy.js';

/** Plans and offers in the subject access export. */
export interface PlansAndOffersHeld {
  plans: {
    createdAt: string; organisation: string; status: string; worries: string; goals: string; reviewEveryWeeks: number; nextReviewOn: string;
    actions: { kind: string; description: string; owner: string; ownerOrganisation: string; dueOn: string; status: string; history: { status: string; reason: string | null; at: string }[] }[];
    reviews: { at: string; notes: string; nextReviewOn: string }[];
    forReview: string | null;
  }[];
  offersOfHelp: {
    service: string; organisation: string; offeredOn: string | null; mode: string | null; moment: string | null;
    response: string | null; barrier: string | null; ownWords: string | null; forReview: string | null;
  }[];
}

const STAFF = 'Names of staff: check individual names against local policy before release';

/** Every plan and offer of help held about the child (every merged record). */
export async function plansAndOffersHeld(db: Kysely<Database>, personId: string): Promise<PlansAndOffersHeld> {
  const ids = samePersonIds(db, personId);
  const [plans, actions, history, reviews, offers] = await Promise.all([
    db.selectFrom('risk_plan as p').innerJoin('organisation as o', 'o.id', 'p.organisation_id')
      .select(['p.id', 'p.created_at', 'o.name as organisation', 'p.status', 'p.worries', 'p.goals', 'p.review_every_weeks', 'p.next_review_on'])
      .where(sql<boolean>`p.person_id IN ${ids}`).orderBy('p.created_at').execute(),
    db.selectFrom('plan_action as a').innerJoin('risk_plan as p', 'p.id', 'a.plan_id').innerJoin('app_user as u', 'u.id', 'a.owner_user_id').innerJoin('organisation as o', 'o.id', 'a.owner_organisation_id')
      .select(['a.id', 'a.plan_id', 'a.kind', 'a.description', 'u.name as owner', 'o.name as owner_org', 'a.due_on', 'a.status'])
      .where(sql<boolean>`p.person_id IN ${ids}`).orderBy('a.due_on').orderBy('a.id').execute(),
    db.selectFrom('plan_action_status_change as c').innerJoin('plan_action as a', 'a.id', 'c.action_id').innerJoin('risk_plan as p', 'p.id', 'a.plan_id')
      .select(['c.action_id', 'c.status', 'c.reason', 'c.changed_at']).where(sql<boolean>`p.person_id IN ${ids}`).orderBy('c.changed_at').orderBy('c.id').execute(),
    db.selectFrom('risk_plan_review as r').innerJoin('risk_plan as p', 'p.id', 'r.plan_id')
      .select(['r.plan_id', 'r.reviewed_at', 'r.notes', 'r.next_review_on']).where(sql<boolean>`p.person_id IN ${ids}`).orderBy('r.reviewed_at').execute(),
    db.selectFrom('offer_of_help as f').innerJoin('organisation as o', 'o.id', 'f.organisation_id')
      .select(['f.service_name', 'o.name as organisation', 'f.offered_on', 'f.mode', 'f.moment', 'f.response', 'f.barrier', 'f.own_words', 'f.offered_by_user_id'])
      .where(sql<boolean>`f.person_id IN ${ids}`).orderBy('f.created_at').execute(),
  ]);
  return {
    plans: plans.map((p) => ({
      createdAt: p.created_at.toISOString(), organisation: p.organisation, status: p.status, worries: p.worries, goals: p.goals,
      reviewEveryWeeks: p.review_every_weeks, nextReviewOn: p.next_review_on,
      actions: actions.filter((a) => a.plan_id === p.id).map((a) => ({
        kind: a.kind, description: a.description, owner: a.owner, ownerOrganisation: a.owner_org, dueOn: a.due_on, status: a.status,
        history: history.filter((h) => h.action_id === a.id).map((h) => ({ status: h.status, reason: h.reason, at: h.changed_at.toISOString() })),
      })),
      reviews: reviews.filter((r) => r.plan_id === p.id).map((r) => ({ at: r.reviewed_at.toISOString(), notes: r.notes, nextReviewOn: r.next_review_on })),
      forReview: actions.some((a) => a.plan_id === p.id) ? STAFF : null,
    })),
    offersOfHelp: offers.map((o) => ({
      service: o.service_name, organisation: o.organisation, offeredOn: o.offered_on, mode: o.mode, moment: o.moment,
      response: o.response, barrier: o.barrier, ownWords: o.own_words, forReview: null,
    })),
  };
}
