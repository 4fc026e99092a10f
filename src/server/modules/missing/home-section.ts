import type { Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor } from '../../actor.js';
import { recordAccess } from '../../audit/record-access.js';
import { displayNames } from '../people/people.queries.js';
import { dueInterviews, type DueInterview } from './missing.queries.js';

/**
 * The home page's return home interviews: those not completed or declined, for the children the
 * user works with (their own, their team's), due or overdue. Showing them is a read of each child
 * named, so one access-log row lists them.
 */
export async function loadMissingWork(db: Kysely<Database>, actor: Actor & { kind: 'user' }, route: string, requestId: string, now = new Date()): Promise<(DueInterview & { personName: string })[]> {
  const due = await dueInterviews(db, actor, now);
  if (due.length === 0) return [];
  const personIds = [...new Set(due.map((d) => d.personId))];
  const names = await displayNames(db, personIds);
  await recordAccess(db, { actor, action: 'missing.read', route, outcome: 'allowed', requestId, detail: { list: 'home', personIds, episodeIds: due.map((d) => d.episodeId) } });
  return due.map((d) => ({ ...d, personName: names.get(d.personId) ?? 'Name not recorded' }));
}
