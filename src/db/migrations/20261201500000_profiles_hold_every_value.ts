import { sql, type Kysely } from 'kysely';

/**
 * The match profile now holds every date of birth and address the person's agency records hold (not
 * only the shown ones), so a new record is compared with each. Forgetting every stored match profile
 * makes `jigsaw serve` index every person again at start-up with them; until then candidates are read
 * from the person tables and their agency records. The keys stay: they have not changed.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`DELETE FROM person_match_profile`.execute(db);
}

/** Nothing to restore: profiles are derived data, written again from the records held. */
export async function down(): Promise<void> {}
