import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.
// Identity resolution: agencies' records of a person, their links with explanations, the
// linkage model's versions, the review queue, human decisions, and reversible merges.

const UP = `
CREATE TABLE identity_model (
  version text PRIMARY KEY,
  created_at timestamptz NOT NULL DEFAULT now(),
  parameters jsonb NOT NULL,
  link_threshold double precision NOT NULL,
  review_threshold double precision NOT NULL,
  description text NOT NULL,
  CHECK (link_threshold > review_threshold)
);

CREATE TABLE source_record (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  source_system text NOT NULL CHECK (length(source_system) BETWEEN 1 AND 200),
  source_record_id text NOT NULL CHECK (length(source_record_id) BETWEEN 1 AND 200),
  person_id uuid NOT NULL REFERENCES person(id),
  outcome text NOT NULL CHECK (outcome IN ('linked', 'new', 'review')),
  match_weight double precision,
  explanation jsonb,
  model_version text REFERENCES identity_model(version),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organisation_id, source_system, source_record_id)
);
CREATE INDEX source_record_person_idx ON source_record (person_id);

CREATE TABLE source_record_version (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  source_record_ref uuid NOT NULL REFERENCES source_record(id),
  content_hash text NOT NULL,
  person_data jsonb NOT NULL,
  received_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX source_record_version_ref_idx ON source_record_version (source_record_ref, received_at);

CREATE TABLE person_match_key (
  key text NOT NULL,
  person_id uuid NOT NULL REFERENCES person(id),
  PRIMARY KEY (key, person_id)
);
CREATE INDEX person_match_key_person_idx ON person_match_key (person_id);

CREATE TABLE person_merge (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  survivor_person_id uuid NOT NULL REFERENCES person(id),
  merged_person_id uuid NOT NULL REFERENCES person(id),
  reason text NOT NULL,
  decided_by_user_id uuid REFERENCES app_user(id),
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  CHECK (survivor_person_id <> merged_person_id)
);
CREATE INDEX person_merge_survivor_idx ON person_merge (survivor_person_id);
CREATE INDEX person_merge_merged_idx ON person_merge (merged_person_id);

CREATE TABLE person_unmerge (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  merge_id uuid NOT NULL UNIQUE REFERENCES person_merge(id),
  reason text NOT NULL,
  decided_by_user_id uuid REFERENCES app_user(id),
  created_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE identity_review_item (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  source_record_ref uuid NOT NULL REFERENCES source_record(id),
  person_id uuid NOT NULL REFERENCES person(id),
  candidate_person_id uuid NOT NULL REFERENCES person(id),
  match_weight double precision NOT NULL,
  explanation jsonb NOT NULL,
  model_version text NOT NULL REFERENCES identity_model(version),
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  CHECK (person_id <> candidate_person_id)
);
CREATE INDEX identity_review_item_created_idx ON identity_review_item (created_at);

CREATE TABLE identity_decision (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  review_item_id uuid NOT NULL REFERENCES identity_review_item(id),
  decision text NOT NULL CHECK (decision IN ('same', 'different', 'unsure')),
  note text,
  decided_by_user_id uuid NOT NULL REFERENCES app_user(id),
  merge_id uuid REFERENCES person_merge(id),
  decided_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX identity_decision_item_idx ON identity_decision (review_item_id, decided_at);

-- Pairs a person judged to be different people: never linked automatically again.
CREATE TABLE person_non_match (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_a uuid NOT NULL REFERENCES person(id),
  person_b uuid NOT NULL REFERENCES person(id),
  decided_by_user_id uuid REFERENCES app_user(id),
  reason text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  CHECK (person_a < person_b)
);
CREATE INDEX person_non_match_pair_idx ON person_non_match (person_a, person_b);
CREATE INDEX person_non_match_b_idx ON person_non_match (person_b);

-- Nothing lost: links, versions, decisions and merges are history, refused change in the database.
CREATE TRIGGER identity_model_append_only BEFORE UPDATE OR DELETE ON identity_model
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER source_record_append_only BEFORE UPDATE OR DELETE ON source_record
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER source_record_version_append_only BEFORE UPDATE OR DELETE ON source_record_version
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER person_merge_append_only BEFORE UPDATE OR DELETE ON person_merge
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER person_unmerge_append_only BEFORE UPDATE OR DELETE ON person_unmerge
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER identity_review_item_append_only BEFORE UPDATE OR DELETE ON identity_review_item
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER identity_decision_append_only BEFORE UPDATE OR DELETE ON identity_decision
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER person_non_match_append_only BEFORE UPDATE OR DELETE ON person_non_match
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
`;

const DOWN = `
DROP TABLE IF EXISTS person_non_match, identity_decision, identity_review_item, person_unmerge, person_merge,
  person_match_key, source_record_version, source_record, identity_model;
`;

/** Creates the identity-resolution tables: source records, links, model versions, review queue, merges. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

/** Removes the identity-resolution tables. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(DOWN).execute(db);
}
