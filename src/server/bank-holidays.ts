import { sql, type Kysely } from 'kysely';
import type { Database } from '../db/database.js';

/**
 * The England and Wales bank holidays Jigsaw knows (the `bank_holiday` table, seeded by migration
 * with the published dates), as YYYY-MM-DD. Working days (a transfer's time limit) and school days
 * (Operation Encompass) skip them. A few dozen rows: read whole when a calculation needs them.
 */
export async function bankHolidays(db: Kysely<Database>): Promise<ReadonlySet<string>> {
  const rows = await db.selectFrom('bank_holiday').select(sql<string>`to_char(date, 'YYYY-MM-DD')`.as('day')).execute();
  return new Set(rows.map((r) => r.day));
}
