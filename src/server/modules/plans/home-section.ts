import type { Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor } from '../../actor.js';
import { recordAccess } from '../../audit/record-access.js';
import { formatDate } from '../../format.js';
import { displayNames } from '../people/people.queries.js';
import { ACTION_STATUSES } from './plans.commands.js';
import { dueActions } from './plans.queries.js';

/**
 * The home page's plan actions: open actions the user owns due within two weeks or overdue, and
 * overdue actions escalated to them, on plans of children they may see. One access-log row names the
 * children and actions shown.
 */
export async function loadPlanWork(db: Kysely<Database>, actor: Actor & { kind: 'user' }, route: string, requestId: string, now = new Date()) {
  const due = await dueActions(db, actor, now.toISOString().slice(0, 10));
  if (due.length === 0) return [];
  const personIds = [...new Set(due.map((d) => d.personId))];
  const names = await displayNames(db, personIds);
  await recordAccess(db, { actor, action: 'plan.read', route, outcome: 'allowed', requestId, detail: { list: 'home', personIds, actionIds: due.map((d) => d.actionId) } });
  return due.map((d) => ({ ...d, personName: names.get(d.personId) ?? 'Name not recorded', due: formatDate(d.dueOn), statusText: ACTION_STATUSES[d.status] }));
}
