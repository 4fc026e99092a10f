import { sql, type Kysely } from 'kysely';

/**
 * The blocking rules changed (date of birth with either initial, postcode with either initial, date of
 * birth with the postcode district or its characters in order, names alone in small blocks). Forgetting
 * every stored match profile makes `jigsaw serve` index every person again at start-up, adding the new
 * keys; until then candidates found by the keys still stored are read from the person tables. Keys of
 * the earlier rules stay until `jigsaw identity reindex` rebuilds the index.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`DELETE FROM person_match_profile`.execute(db);
}

/** Nothing to restore: profiles are derived data, written again from the records held. */
export async function down(): Promise<void> {}
