import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

/**
 * The match index's keys no longer carry their own reference to person. A first import writes about
 * twenty keys for each person, and checking that reference row by row was about two fifths of the cost
 * of writing them, the largest statement of an import. The guarantee is kept through the person's
 * match profile (one row a person), which still references person: keys are only written after the
 * person's profile (writeIndexEntries), so keys for a person who does not exist are never written; and
 * a person who has a profile cannot be deleted (erasure keeps the person row and removes the keys
 * before the profile). match-index.test.ts checks that every key has its profile.
 */
const UP = `
ALTER TABLE person_match_key DROP CONSTRAINT person_match_key_person_id_fkey;
COMMENT ON TABLE person_match_key IS 'Derived: each person''s blocking keys (see match-index.ts), written only after the person''s match profile, whose reference to person stands for the keys too';
`;

const DOWN = `
COMMENT ON TABLE person_match_key IS NULL;
ALTER TABLE person_match_key ADD CONSTRAINT person_match_key_person_id_fkey FOREIGN KEY (person_id) REFERENCES person(id);
`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(DOWN).execute(db);
}
