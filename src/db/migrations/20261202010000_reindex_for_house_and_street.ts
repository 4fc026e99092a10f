import { sql, type Kysely } from 'kysely';

/**
 * Two blocking rules were added: the house (its number and the first letters of its street) in its
 * postcode area with either initial, and the street in its postcode district with the surname's phonetic
 * key. Forgetting every stored match profile makes
 * `jigsaw serve` index every person again at start-up, adding the new keys; until then candidates are
 * found by the keys already stored (read from the person tables when a profile is missing). The earlier
 * rules' keys are unchanged and stay.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`DELETE FROM person_match_profile`.execute(db);
}

/** Nothing to restore: profiles are derived data, written again from the records held. */
export async function down(): Promise<void> {}
