import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';

/** One line of a person's access history. */
export interface AccessHistoryRow {
  at: Date;
  user_name: string | null;
  organisation_name: string | null;
  roles: string[];
  action: string;
  route: string;
  outcome: string;
}

/** Who has read or changed a person's record, newest first, including lists that showed them and refusals. */
export async function accessHistory(db: Kysely<Database>, personId: string, limit = 500): Promise<AccessHistoryRow[]> {
  return db
    .selectFrom('access_log as l')
    .leftJoin('app_user as u', 'u.id', 'l.user_id')
    .leftJoin('organisation as o', 'o.id', 'l.organisation_id')
    .select(['l.at', 'u.name as user_name', 'o.name as organisation_name', 'l.roles', 'l.action', 'l.route', 'l.outcome'])
    .where((eb) => eb.or([eb('l.person_id', '=', personId), sql<boolean>`l.detail @> ${JSON.stringify({ personIds: [personId] })}::jsonb`]))
    .orderBy('l.seq', 'desc')
    .limit(limit)
    .execute();
}
