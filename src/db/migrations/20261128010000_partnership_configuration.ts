import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const UP = `
-- Early identification rules belong to a partnership: each partnership turns its own rules on and
-- off and revises them, and a child is read against the rules of the partnership of their current
-- address. Rules with no partnership are the default set: they never run; every new partnership
-- starts with a copy of them (with their version history). The rules that existed before become
-- the default set and every existing partnership gets a copy, so no partnership loses a rule.
ALTER TABLE rule ADD COLUMN partnership_id uuid REFERENCES partnership(id);
ALTER TABLE rule DROP CONSTRAINT rule_code_key;
ALTER TABLE rule ADD CONSTRAINT rule_partnership_code_key UNIQUE NULLS NOT DISTINCT (partnership_id, code);
COMMENT ON COLUMN rule.partnership_id IS 'The partnership whose rule this is; NULL: the default set new partnerships copy (never run)';

CREATE FUNCTION partnership_copy_default_rules(p uuid) RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  d record;
  n uuid;
BEGIN
  FOR d IN SELECT id, code, active FROM rule WHERE partnership_id IS NULL ORDER BY code LOOP
    n := NULL;
    INSERT INTO rule (partnership_id, code, active) VALUES (p, d.code, d.active) ON CONFLICT DO NOTHING RETURNING id INTO n;
    IF n IS NOT NULL THEN
      INSERT INTO rule_version (rule_id, version, name, rationale, definition, change_reason, created_by_user_id, created_at)
        SELECT n, v.version, v.name, v.rationale, v.definition, v.change_reason, v.created_by_user_id, v.created_at
        FROM rule_version v WHERE v.rule_id = d.id;
    END IF;
  END LOOP;
END
$fn$;

-- Retention rules belong to a partnership too (the rule for a child is their partnership's); rules
-- with no partnership are the default set, copied to each new partnership and used for children
-- whose current address is in no partnership's area, so no record escapes review.
ALTER TABLE retention_rule ADD COLUMN partnership_id uuid REFERENCES partnership(id);
CREATE INDEX retention_rule_partnership_idx ON retention_rule (partnership_id);

CREATE FUNCTION partnership_copy_default_retention_rules(p uuid) RETURNS void LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO retention_rule (partnership_id, basis, years, description, active)
    SELECT p, basis, years, description, active FROM retention_rule
    WHERE partnership_id IS NULL AND NOT EXISTS (SELECT 1 FROM retention_rule x WHERE x.partnership_id = p)
    ORDER BY created_at, id;
END
$fn$;

CREATE FUNCTION partnership_default_configuration() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  PERFORM partnership_copy_default_rules(NEW.id);
  PERFORM partnership_copy_default_retention_rules(NEW.id);
  RETURN NEW;
END
$fn$;

DO $do$
DECLARE p uuid;
BEGIN
  FOR p IN SELECT id FROM partnership ORDER BY created_at, id LOOP
    PERFORM partnership_copy_default_rules(p);
    PERFORM partnership_copy_default_retention_rules(p);
  END LOOP;
END
$do$;

CREATE TRIGGER partnership_default_configuration AFTER INSERT ON partnership
  FOR EACH ROW EXECUTE FUNCTION partnership_default_configuration();

-- The local population baseline (the fairness page) is each partnership's own: the one baseline
-- there was is kept for every existing partnership; a new partnership starts with none.
ALTER TABLE population_baseline ADD COLUMN partnership_id uuid REFERENCES partnership(id);
ALTER TABLE population_baseline DROP CONSTRAINT population_baseline_pkey;
INSERT INTO population_baseline (partnership_id, dimension, category, children, source, updated_by_user_id, updated_at)
  SELECT p.id, b.dimension, b.category, b.children, b.source, b.updated_by_user_id, b.updated_at
  FROM population_baseline b CROSS JOIN partnership p WHERE b.partnership_id IS NULL;
DELETE FROM population_baseline WHERE partnership_id IS NULL;
ALTER TABLE population_baseline ALTER COLUMN partnership_id SET NOT NULL;
ALTER TABLE population_baseline ADD PRIMARY KEY (partnership_id, dimension, category);

-- A partnership's front door is one of its member organisations, and its team is that organisation's.
CREATE FUNCTION partnership_front_door_is_member() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM organisation_partnership op WHERE op.partnership_id = NEW.partnership_id AND op.organisation_id = NEW.organisation_id) THEN
    RAISE EXCEPTION 'the front door must be an organisation of the partnership' USING ERRCODE = 'check_violation';
  END IF;
  IF NEW.team_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM team t WHERE t.id = NEW.team_id AND t.organisation_id = NEW.organisation_id) THEN
    RAISE EXCEPTION 'the front door team must be a team of the front door organisation' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END
$fn$;
CREATE TRIGGER partnership_front_door_is_member BEFORE INSERT OR UPDATE ON partnership_front_door
  FOR EACH ROW EXECUTE FUNCTION partnership_front_door_is_member();

-- Who changed which partnership setting, from what to what: append-only.
CREATE TABLE partnership_change (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  partnership_id uuid NOT NULL REFERENCES partnership(id),
  setting text NOT NULL CHECK (setting IN ('created', 'area', 'membership', 'front_door', 'significant_events', 'alert_escalation')),
  before jsonb,
  after jsonb,
  changed_by_user_id uuid REFERENCES app_user(id),
  changed_by_operator boolean NOT NULL DEFAULT false,
  changed_at timestamptz NOT NULL DEFAULT now(),
  CHECK (changed_by_operator OR changed_by_user_id IS NOT NULL)
);
CREATE INDEX partnership_change_partnership_idx ON partnership_change (partnership_id, changed_at DESC);
CREATE TRIGGER partnership_change_append_only BEFORE UPDATE OR DELETE ON partnership_change
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER partnership_change_truncate_refused BEFORE TRUNCATE ON partnership_change
  FOR EACH STATEMENT EXECUTE FUNCTION reject_append_only_change();
`;

const DOWN = `
DROP TABLE IF EXISTS partnership_change;
DROP TRIGGER IF EXISTS partnership_front_door_is_member ON partnership_front_door;
DROP FUNCTION IF EXISTS partnership_front_door_is_member();
ALTER TABLE population_baseline DROP CONSTRAINT population_baseline_pkey;
DELETE FROM population_baseline b WHERE b.partnership_id <> (SELECT min(partnership_id::text)::uuid FROM population_baseline);
ALTER TABLE population_baseline DROP COLUMN partnership_id;
ALTER TABLE population_baseline ADD PRIMARY KEY (dimension, category);
DROP TRIGGER IF EXISTS partnership_default_configuration ON partnership;
DROP FUNCTION IF EXISTS partnership_default_configuration();
DROP FUNCTION IF EXISTS partnership_copy_default_retention_rules(uuid);
DROP FUNCTION IF EXISTS partnership_copy_default_rules(uuid);
ALTER TABLE retention_rule DROP COLUMN partnership_id;
ALTER TABLE rule DROP CONSTRAINT rule_partnership_code_key;
ALTER TABLE rule DROP COLUMN partnership_id;
`;

/** Rules, retention rules and the population baseline per partnership; the front door within the partnership; a history of settings. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

/**
 * Reverts the schema. Rules and retention rules copied per partnership stay as rows (rule versions
 * are append-only), so a revert is for an empty development database only.
 */
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(DOWN).execute(db);
}
