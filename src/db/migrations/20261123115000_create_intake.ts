import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const UP = `
-- One import of one or more files: who sent it, how, and its report once finished.
CREATE TABLE intake_batch (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  format text NOT NULL CHECK (format IN ('jsonl', 'csv', 'cin-xml', 'ssda903')),
  file_names text[] NOT NULL DEFAULT '{}',
  via text NOT NULL CHECK (via IN ('cli', 'upload', 'api')),
  user_id uuid REFERENCES app_user(id),
  api_key_id uuid REFERENCES api_key(id),
  status text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed')),
  bytes_total bigint,
  bytes_read bigint NOT NULL DEFAULT 0,
  records_read integer NOT NULL DEFAULT 0,
  started_at timestamptz NOT NULL DEFAULT now(),
  finished_at timestamptz,
  report jsonb
);
CREATE INDEX intake_batch_organisation_idx ON intake_batch (organisation_id, started_at DESC);

-- Every record received in a batch and what became of it: the batch report's detail.
CREATE TABLE intake_row (
  batch_id uuid NOT NULL REFERENCES intake_batch(id),
  seq integer NOT NULL,
  file_name text NOT NULL,
  table_name text NOT NULL,
  row_number integer NOT NULL,
  ref text,
  source_record_id text,
  outcome text NOT NULL CHECK (outcome IN ('new', 'updated', 'unchanged', 'rejected')),
  person_outcome text CHECK (person_outcome IN ('linked', 'new', 'review', 'existing_source_record')),
  person_id uuid REFERENCES person(id),
  -- No foreign key: a report keeps naming an entry that retention later erases.
  event_id uuid,
  review_item_id uuid,
  errors jsonb,
  warnings jsonb,
  PRIMARY KEY (batch_id, seq)
);
CREATE TRIGGER intake_row_append_only BEFORE UPDATE OR DELETE ON intake_row
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();

-- The versions of each agency record received: what makes a re-import a no-op and a changed
-- record a correction. Append-only: the latest row per source record is the current version.
CREATE TABLE intake_record (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  source_system text NOT NULL,
  source_record_id text NOT NULL,
  content_hash text NOT NULL,
  person_id uuid NOT NULL REFERENCES person(id),
  event_id uuid, -- the entry this version created; retention may erase it, the version history stays
  batch_id uuid NOT NULL REFERENCES intake_batch(id),
  received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX intake_record_source_idx ON intake_record (organisation_id, source_system, source_record_id, id DESC);
CREATE TRIGGER intake_record_append_only BEFORE UPDATE OR DELETE ON intake_record
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER intake_record_truncate_refused BEFORE TRUNCATE ON intake_record
  FOR EACH STATEMENT EXECUTE FUNCTION reject_append_only_change();

-- An organisation's own event codes, mapped to the common vocabulary (maintained by the organisation).
CREATE TABLE agency_code_mapping (
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  agency_code text NOT NULL CHECK (length(agency_code) BETWEEN 1 AND 80),
  event_type_code text NOT NULL REFERENCES event_type(code),
  factor_codes text[] NOT NULL DEFAULT '{}',
  description text,
  updated_by_user_id uuid REFERENCES app_user(id),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organisation_id, agency_code)
);

-- Intelligence grading of a chronology entry, kept beside the entry (which never changes).
CREATE TABLE event_grading (
  event_id uuid PRIMARY KEY REFERENCES event(id) ON DELETE CASCADE,
  grading_system text NOT NULL CHECK (grading_system IN ('3x5x2', '5x5x5')),
  source_evaluation text NOT NULL,
  intelligence_evaluation text NOT NULL,
  handling_code text NOT NULL,
  handling_conditions text,
  CHECK (
    (grading_system = '3x5x2' AND source_evaluation IN ('1', '2', '3') AND intelligence_evaluation IN ('A', 'B', 'C', 'D', 'E')
      AND handling_code IN ('P', 'C') AND (handling_code <> 'C' OR handling_conditions IS NOT NULL))
    OR (grading_system = '5x5x5' AND source_evaluation IN ('A', 'B', 'C', 'D', 'E') AND intelligence_evaluation IN ('1', '2', '3', '4', '5')
      AND handling_code IN ('1', '2', '3', '4', '5'))
  )
);
-- A grading never changes while its entry exists; it goes only with its entry (a retention erasure).
CREATE FUNCTION reject_event_grading_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND NOT EXISTS (SELECT 1 FROM event WHERE id = OLD.event_id) THEN
    RETURN OLD;
  END IF;
  RAISE EXCEPTION 'event_grading is append-only: % is not allowed', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER event_grading_append_only BEFORE UPDATE OR DELETE ON event_grading
  FOR EACH ROW EXECUTE FUNCTION reject_event_grading_change();
CREATE TRIGGER event_grading_truncate_refused BEFORE TRUNCATE ON event_grading
  FOR EACH STATEMENT EXECUTE FUNCTION reject_append_only_change();
`;

const DOWN = `
DROP TABLE IF EXISTS event_grading, agency_code_mapping, intake_record, intake_row, intake_batch;
DROP FUNCTION IF EXISTS reject_event_grading_change();
`;

/** Creates the intake tables: batches and their rows, record versions, code mappings and intelligence grading. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

/** Removes the intake tables. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(DOWN).execute(db);
}
