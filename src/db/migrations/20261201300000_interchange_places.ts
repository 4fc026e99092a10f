import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const UP = `
-- Places arrive with imported records: each is found again within its partnership by a stable key
-- (an online space's platform and handle; any other place's kind, name and postcode), so two agencies'
-- records of one park, school or handle meet at one place. Places recorded otherwise have no key.
ALTER TABLE place ADD COLUMN match_key text CHECK (match_key IS NULL OR length(match_key) <= 400);
CREATE UNIQUE INDEX place_match_key_idx ON place (partnership_id, match_key) WHERE match_key IS NOT NULL;
-- An export reads the links to places that came from the organisation's entries.
CREATE INDEX person_place_source_idx ON person_place (source_event_id) WHERE source_event_id IS NOT NULL;
`;

/** Places can be found again by a stable key within their partnership; links to places by their source entry. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

/** Reverts: the key and the indexes go. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`DROP INDEX IF EXISTS person_place_source_idx;
    DROP INDEX IF EXISTS place_match_key_idx;
    ALTER TABLE place DROP COLUMN match_key;`).execute(db);
}
