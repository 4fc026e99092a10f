import type { Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor } from '../../actor.js';
import { canReviewIdentity, mayUnmerge } from './identity.policy.js';
import { outcomeLabel } from './identity.presenter.js';
import { getPersonRecords } from './identity.queries.js';

/** Data for the person page's "agency records" section (the caller has authorised reading the person). */
export async function personRecordsView(db: Kysely<Database>, actor: Actor, personId: string) {
  const data = await getPersonRecords(db, personId);
  return {
    records: data.records.map((r) => ({ ...r, outcomeLabel: outcomeLabel(r.outcome) })),
    // Each merge offers its undo only to those who may undo it (mayUnmerge: its maker, their team manager, a DPO).
    merges: await Promise.all(data.merges.map(async (m) => ({ ...m, canUnmerge: canReviewIdentity(actor) && (await mayUnmerge(db, actor, m.id)) }))),
  };
}
