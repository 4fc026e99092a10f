import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const UP = `
-- A missing episode as a structured record. Every episode is also a chronology entry
-- (event_type_code missing_episode), written by the one entry writer; the episode names it (one
-- episode per entry), so the rules and alerts see it and readers see it only as the entry's scope
-- allows. Imported entries (SSDA903, police) get their episode from the outbox with what the entry
-- carries; the rest is completed by hand.
CREATE TABLE missing_episode (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES person(id),
  -- Deleting the entry under a retention decision deletes its episode (and interview) with it.
  event_id uuid NOT NULL UNIQUE REFERENCES event(id) ON DELETE CASCADE,
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  source text NOT NULL CHECK (source IN ('form', 'import')),
  reported_missing_at timestamptz NOT NULL,
  -- When the child was found or came back; its precision ('date' for a return known only by its day).
  returned_at timestamptz,
  returned_precision text CHECK (returned_precision IN ('time', 'date')),
  where_found text CHECK (where_found IS NULL OR length(where_found) <= 300),
  who_with text CHECK (who_with IS NULL OR length(who_with) <= 300),
  police_reference text CHECK (police_reference IS NULL OR length(police_reference) <= 60),
  -- As the police grade it.
  risk_grading text CHECK (risk_grading IN ('no_apparent_risk', 'low', 'medium', 'high')),
  recorded_by_user_id uuid REFERENCES app_user(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by_user_id uuid REFERENCES app_user(id),
  CHECK (returned_at IS NULL OR returned_at >= reported_missing_at - interval '1 day'),
  CHECK ((returned_at IS NULL) = (returned_precision IS NULL))
);
CREATE INDEX missing_episode_person_idx ON missing_episode (person_id, reported_missing_at);
CREATE INDEX missing_episode_returned_idx ON missing_episode (returned_at) WHERE returned_at IS NOT NULL;
COMMENT ON TABLE missing_episode IS 'A missing episode: reported, returned, where found, who with, police reference and risk grading; one per chronology entry';

-- The return home interview after a return: due 72 hours after the return. Made when the return
-- time becomes known (by hand or by import), in the same transaction.
CREATE TABLE return_interview (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  episode_id uuid NOT NULL UNIQUE REFERENCES missing_episode(id) ON DELETE CASCADE,
  person_id uuid NOT NULL REFERENCES person(id),
  due_at timestamptz NOT NULL,
  offered_at timestamptz,
  offered_by text CHECK (offered_by IS NULL OR length(offered_by) <= 200),
  outcome text CHECK (outcome IN ('accepted', 'declined')),
  declined_reason text CHECK (declined_reason IS NULL OR length(declined_reason) <= 2000),
  completed_at timestamptz,
  completed_by_kind text CHECK (completed_by_kind IN ('allocated_worker', 'independent')),
  completed_by_name text CHECK (completed_by_name IS NULL OR length(completed_by_name) <= 200),
  where_child_was text CHECK (where_child_was IS NULL OR length(where_child_was) <= 300),
  who_with text CHECK (who_with IS NULL OR length(who_with) <= 300),
  push_factors text[] NOT NULL DEFAULT '{}',
  pull_factors text[] NOT NULL DEFAULT '{}',
  findings text CHECK (findings IS NULL OR length(findings) <= 8000),
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by_user_id uuid REFERENCES app_user(id),
  CHECK (outcome <> 'declined' OR declined_reason IS NOT NULL),
  CHECK (completed_at IS NULL OR completed_by_kind IS NOT NULL)
);
CREATE INDEX return_interview_person_idx ON return_interview (person_id);
-- The home pages' due and overdue interviews: the open ones, by when they are due.
CREATE INDEX return_interview_open_idx ON return_interview (due_at) WHERE completed_at IS NULL AND (outcome IS NULL OR outcome <> 'declined');
COMMENT ON TABLE return_interview IS 'A return home interview: offered, accepted or declined, completed, by whom, what it found';

-- The Philomena profile's description, recorded by hand: one row per child record.
CREATE TABLE missing_description (
  person_id uuid PRIMARY KEY REFERENCES person(id),
  height text CHECK (height IS NULL OR length(height) <= 60),
  build text CHECK (build IS NULL OR length(build) <= 100),
  distinguishing_features text CHECK (distinguishing_features IS NULL OR length(distinguishing_features) <= 2000),
  phones text CHECK (phones IS NULL OR length(phones) <= 500),
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by_user_id uuid NOT NULL REFERENCES app_user(id)
);
COMMENT ON TABLE missing_description IS 'A child''s description for the missing profile (height, build, distinguishing features, phones)';

-- Erasing a child's record (retention) removes their episodes, interviews and description.
CREATE FUNCTION person_erased_missing() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM return_interview WHERE person_id = NEW.id;
  DELETE FROM missing_episode WHERE person_id = NEW.id;
  DELETE FROM missing_description WHERE person_id = NEW.id;
  RETURN NEW;
END
$fn$;
CREATE TRIGGER person_erased_missing AFTER UPDATE OF erased_at ON person
  FOR EACH ROW WHEN (NEW.erased_at IS NOT NULL AND OLD.erased_at IS NULL) EXECUTE FUNCTION person_erased_missing();
`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    DROP TRIGGER IF EXISTS person_erased_missing ON person; DROP FUNCTION IF EXISTS person_erased_missing();
    DROP TABLE IF EXISTS missing_description; DROP TABLE IF EXISTS return_interview; DROP TABLE IF EXISTS missing_episode;
  `).execute(db);
}
