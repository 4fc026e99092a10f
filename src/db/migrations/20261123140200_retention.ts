import { sql, type Kysely } from 'kysely';

const UP = `
CREATE TABLE retention_rule (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  basis text NOT NULL CHECK (basis IN ('after_last_involvement', 'at_age')),
  years integer NOT NULL CHECK (years > 0 AND years <= 120),
  description text NOT NULL,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO retention_rule (basis, years, description) VALUES
  ('after_last_involvement', 6, 'Records are reviewed six years after the last agency stops working with the person'),
  ('at_age', 25, 'Records are reviewed when the person reaches 25');

CREATE TABLE retention_decision (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES person(id),
  rule_id uuid REFERENCES retention_rule(id),
  decision text NOT NULL CHECK (decision IN ('retain', 'delete')),
  reason text NOT NULL CHECK (length(trim(reason)) >= 10),
  next_review_on date,
  decided_by uuid NOT NULL REFERENCES app_user(id),
  decided_at timestamptz NOT NULL DEFAULT now(),
  CHECK (decision = 'delete' OR next_review_on IS NOT NULL)
);
CREATE INDEX retention_decision_person_idx ON retention_decision (person_id, decided_at);
CREATE TRIGGER retention_decision_append_only BEFORE UPDATE OR DELETE ON retention_decision
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();

-- What a deletion leaves: which records went, under which decision; never their content.
CREATE TABLE deletion_tombstone (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  retention_decision_id uuid NOT NULL REFERENCES retention_decision(id),
  table_name text NOT NULL,
  record_id text NOT NULL,
  deleted_at timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER deletion_tombstone_append_only BEFORE UPDATE OR DELETE ON deletion_tombstone
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();

ALTER TABLE person ADD COLUMN erased_at timestamptz;
ALTER TABLE person ADD COLUMN erased_by_decision uuid REFERENCES retention_decision(id);

-- The chronology stays append-only, except for a deletion carried out under a recorded
-- retention decision named in the transaction (jigsaw.deletion_decision); each removed row
-- leaves a tombstone.
CREATE OR REPLACE FUNCTION reject_append_only_change() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  named_decision text := current_setting('jigsaw.deletion_decision', true);
BEGIN
  IF TG_OP = 'DELETE' AND TG_TABLE_NAME IN ('event', 'event_person') AND coalesce(named_decision, '') <> ''
     AND EXISTS (SELECT 1 FROM retention_decision d WHERE d.id = named_decision::uuid AND d.decision = 'delete') THEN
    IF TG_TABLE_NAME = 'event' THEN
      INSERT INTO deletion_tombstone (retention_decision_id, table_name, record_id) VALUES (named_decision::uuid, 'event', OLD.id::text);
    ELSE
      INSERT INTO deletion_tombstone (retention_decision_id, table_name, record_id) VALUES (named_decision::uuid, 'event_person', OLD.event_id::text);
    END IF;
    RETURN OLD;
  END IF;
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
`;

const DOWN = `
CREATE OR REPLACE FUNCTION reject_append_only_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
ALTER TABLE person DROP COLUMN erased_by_decision;
ALTER TABLE person DROP COLUMN erased_at;
DROP TABLE IF EXISTS deletion_tombstone, retention_decision, retention_rule;
`;

/** Retention rules, recorded decisions, tombstones, and deletion only under a decision. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

/** Removes retention. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(DOWN).execute(db);
}
