import { sql, type Expression, type ExpressionBuilder, type Kysely, type SqlBool } from 'kysely';
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

type LogScope = ExpressionBuilder<Database & { l: Database['access_log'] }, 'l'>;

/**
 * The access-log rows about a person: rows naming them, and rows whose detail lists them among
 * the people a list, report or download showed (`detail.personIds`).
 */
function aboutPerson(eb: LogScope, personId: string): Expression<SqlBool> {
  return eb.or([eb('l.person_id', '=', personId), sql<SqlBool>`l.detail @> ${JSON.stringify({ personIds: [personId] })}::jsonb`]);
}

/** Who has read or changed a person's record, newest first, including lists that showed them and refusals. */
export async function accessHistory(db: Kysely<Database>, personId: string, limit = 500): Promise<AccessHistoryRow[]> {
  return db
    .selectFrom('access_log as l')
    .leftJoin('app_user as u', 'u.id', 'l.user_id')
    .leftJoin('organisation as o', 'o.id', 'l.organisation_id')
    .select(['l.at', 'u.name as user_name', 'o.name as organisation_name', 'l.roles', 'l.action', 'l.route', 'l.outcome'])
    .where((eb) => aboutPerson(eb, personId))
    .orderBy('l.seq', 'desc')
    .limit(limit)
    .execute();
}

/** Which of a person's access-log rows to show (all given filters apply together). */
export interface AccessLogFilter {
  outcome?: 'allowed' | 'denied';
  organisationId?: string;
  userId?: string;
  /** First and last day (UTC, YYYY-MM-DD), both included. */
  from?: string;
  to?: string;
}

/** One page of a person's access log, with the true number of rows the filter matches. */
export interface AccessLogPage {
  rows: AccessHistoryRow[];
  total: number;
  /** The organisations and users that appear in the person's log (whatever the filter), for the filter's choices. */
  organisations: { id: string; name: string }[];
  users: { id: string; name: string }[];
}

/** A page of a person's access log, newest first, filtered and counted in SQL. */
export async function accessLogPage(
  db: Kysely<Database>,
  personId: string,
  filter: AccessLogFilter,
  page: { page: number; pageSize: number },
): Promise<AccessLogPage> {
  const filtered = db.selectFrom('access_log as l').where((eb) => {
    const all = [aboutPerson(eb, personId)];
    if (filter.outcome) all.push(eb('l.outcome', '=', filter.outcome));
    if (filter.organisationId) all.push(eb('l.organisation_id', '=', filter.organisationId));
    if (filter.userId) all.push(eb('l.user_id', '=', filter.userId));
    if (filter.from) all.push(eb('l.at', '>=', sql<Date>`(${filter.from}::date)::timestamp AT TIME ZONE 'UTC'`));
    if (filter.to) all.push(eb('l.at', '<', sql<Date>`(${filter.to}::date + 1)::timestamp AT TIME ZONE 'UTC'`));
    return eb.and(all);
  });
  const everything = db.selectFrom('access_log as l').where((eb) => aboutPerson(eb, personId));
  const [rows, count, organisations, users] = await Promise.all([
    filtered
      .leftJoin('app_user as u', 'u.id', 'l.user_id')
      .leftJoin('organisation as o', 'o.id', 'l.organisation_id')
      .select(['l.at', 'u.name as user_name', 'o.name as organisation_name', 'l.roles', 'l.action', 'l.route', 'l.outcome'])
      .orderBy('l.seq', 'desc')
      .limit(page.pageSize)
      .offset((page.page - 1) * page.pageSize)
      .execute(),
    filtered.select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(),
    db.selectFrom('organisation as o').select(['o.id', 'o.name'])
      .where('o.id', 'in', everything.select('l.organisation_id').where('l.organisation_id', 'is not', null).distinct())
      .orderBy('o.name').execute(),
    db.selectFrom('app_user as u').select(['u.id', 'u.name'])
      .where('u.id', 'in', everything.select('l.user_id').where('l.user_id', 'is not', null).distinct())
      .orderBy('u.name').execute(),
  ]);
  return { rows, total: Number(count.n), organisations, users };
}
