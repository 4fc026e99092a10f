import type { Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor } from '../../actor.js';
import { recordAccess } from '../../audit/record-access.js';
import { formatDate } from '../../format.js';
import { displayNames } from '../people/people.queries.js';
import { ACTION_STATUSES } from './plans.commands.js';
import { dueActions, reviewsDue } from './plans.queries.js';

/**
 * The home page's plan actions: open actions the user owns due within two weeks or overdue, and
 * overdue actions escalated to them, on plans of children they may see; and plans they made or lead on
 * that are due for review within a week. One access-log row names the children, actions and plans shown.
 */
export async function loadPlanWork(db: Kysely<Database>, actor: Actor & { kind: 'user' }, route: string, requestId: string, now = new Date()) {
  const today = now.toISOString().slice(0, 10);
  const [due, reviews] = await Promise.all([dueActions(db, actor, today), reviewsDue(db, actor, today)]);
  if (due.length === 0 && reviews.length === 0) return { actions: [], reviews: [] };
  const personIds = [...new Set([...due.map((d) => d.personId), ...reviews.map((r) => r.personId)])];
  const names = await displayNames(db, personIds);
  await recordAccess(db, { actor, action: 'plan.read', route, outcome: 'allowed', requestId, detail: { list: 'home', personIds, actionIds: due.map((d) => d.actionId), planIds: reviews.map((r) => r.planId) } });
  const name = (id: string) => names.get(id) ?? 'Name not recorded';
  return {
    actions: due.map((d) => ({ ...d, personName: name(d.personId), due: formatDate(d.dueOn), statusText: ACTION_STATUSES[d.status] })),
    reviews: reviews.map((r) => ({ ...r, personName: name(r.personId), due: formatDate(r.nextReviewOn) })),
  };
}
