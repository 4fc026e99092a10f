import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const UP = `
-- Each change of a person's shown detail (name, date of birth, sex, ethnicity, current address): the
-- value shown from then on, the agency record it came from and when. Append-only; the latest row per
-- field is the detail shown now. An address is read through its person_address row (address_id), so a
-- protected address stays protected wherever it is shown.
CREATE TABLE person_detail_history (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES person(id),
  field text NOT NULL CHECK (field IN ('name', 'date_of_birth', 'sex', 'ethnicity', 'address')),
  value jsonb,
  address_id uuid REFERENCES person_address(id),
  source_record_ref uuid REFERENCES source_record(id),
  organisation_id uuid REFERENCES organisation(id),
  source_received_at timestamptz,
  changed_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((field = 'address') = (address_id IS NOT NULL))
);
CREATE INDEX person_detail_history_person_idx ON person_detail_history (person_id, field, changed_at);
`;

/** A history of each person's shown details and the agency record each came from. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

/** Reverts: the history goes. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw('DROP TABLE person_detail_history;').execute(db);
}
