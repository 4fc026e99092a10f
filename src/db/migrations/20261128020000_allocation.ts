import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const UP = `
-- Continuity: every change of who works with a child (a worker allocated, a lead professional
-- named, a worker replaced, an involvement ended), by whom (a person, or an organisation's system),
-- when, and why (the handover note). The involvement rows say who works with the child; these rows
-- say how that came about, for the child's "Workers and handovers" page.
CREATE TABLE involvement_change (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES person(id),
  -- Erasing a child's record deletes their involvements: their history (and its notes) goes with them.
  involvement_id uuid NOT NULL REFERENCES involvement(id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('allocated', 'ended', 'lead_named', 'replaced')),
  -- The other involvement of a handover: the one this allocation replaced, or the one that replaced this.
  related_involvement_id uuid REFERENCES involvement(id) ON DELETE CASCADE,
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  by_user_id uuid REFERENCES app_user(id),
  api_key_id uuid REFERENCES api_key(id),
  note text CHECK (note IS NULL OR length(note) BETWEEN 20 AND 4000),
  at timestamptz NOT NULL DEFAULT now(),
  CHECK (num_nonnulls(by_user_id, api_key_id) = 1),
  -- Ending someone's work with a child always says why, and hands over.
  CHECK (kind NOT IN ('ended', 'replaced') OR note IS NOT NULL)
);
CREATE INDEX involvement_change_person_idx ON involvement_change (person_id, at);
CREATE INDEX involvement_change_involvement_idx ON involvement_change (involvement_id);
COMMENT ON TABLE involvement_change IS 'Who was allocated to a child, replaced, named lead or ended, by whom, when, with the handover note';

-- A trusted adult the child names who is not a worker (a worker is an involvement with the role
-- trusted_adult): a name and how the child knows them, free text.
CREATE TABLE trusted_adult (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES person(id),
  name text NOT NULL CHECK (length(name) BETWEEN 2 AND 200),
  relationship text NOT NULL CHECK (length(relationship) BETWEEN 2 AND 300),
  started_on date NOT NULL,
  ended_on date,
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  recorded_by_user_id uuid NOT NULL REFERENCES app_user(id),
  recorded_at timestamptz NOT NULL DEFAULT now(),
  CHECK (ended_on IS NULL OR ended_on >= started_on)
);
CREATE INDEX trusted_adult_person_idx ON trusted_adult (person_id);
COMMENT ON TABLE trusted_adult IS 'A trusted adult a child names who is not a worker: name and relationship';

-- An involvement ends at once: its last day is yesterday, so access stops now. One that started
-- today and is ended today ends the day before it started (it never took effect).
ALTER TABLE involvement DROP CONSTRAINT involvement_check;
ALTER TABLE involvement ADD CONSTRAINT involvement_ended_check CHECK (ended_on IS NULL OR ended_on >= started_on - 1);

-- Erasing a child's record (retention) removes their trusted adults and change history too.
CREATE FUNCTION person_erased_allocation() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM trusted_adult WHERE person_id = NEW.id;
  DELETE FROM involvement_change WHERE person_id = NEW.id;
  RETURN NEW;
END
$fn$;
CREATE TRIGGER person_erased_allocation AFTER UPDATE OF erased_at ON person
  FOR EACH ROW WHEN (NEW.erased_at IS NOT NULL AND OLD.erased_at IS NULL) EXECUTE FUNCTION person_erased_allocation();
`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    DROP TRIGGER IF EXISTS person_erased_allocation ON person; DROP FUNCTION IF EXISTS person_erased_allocation();
    ALTER TABLE involvement DROP CONSTRAINT IF EXISTS involvement_ended_check;
    ALTER TABLE involvement ADD CONSTRAINT involvement_check CHECK (ended_on IS NULL OR ended_on >= started_on);
    DROP TABLE IF EXISTS trusted_adult; DROP TABLE IF EXISTS involvement_change;
  `).execute(db);
}
