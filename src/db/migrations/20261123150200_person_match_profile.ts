import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const UP = `
-- Each person as the matcher compares them (names, date of birth, sex, current address, identifiers),
-- one row per person, written with the blocking keys: candidate finding reads one row per person
-- instead of four tables. Derived data: rebuilt by jigsaw identity reindex, removed on erasure.
CREATE TABLE person_match_profile (
  person_id uuid PRIMARY KEY REFERENCES person(id),
  record jsonb NOT NULL,
  indexed_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE person_match_profile IS 'Derived: each person as the identity matcher compares them (see match-index.ts)';
`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw('DROP TABLE IF EXISTS person_match_profile;').execute(db);
}
