import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const UP = `
-- Many partnerships in one deployment. A partnership covers one or more local authority areas
-- (boroughs) and owns its configuration; an organisation belongs to one or more partnerships.
CREATE TABLE partnership (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code text NOT NULL UNIQUE CHECK (code ~ '^[a-z0-9][a-z0-9-]{1,39}$'),
  name text NOT NULL CHECK (length(name) BETWEEN 2 AND 200),
  -- Minutes an alert about a high-risk child may wait unacknowledged before it goes to the recipient's manager.
  alert_escalation_minutes integer NOT NULL DEFAULT 240 CHECK (alert_escalation_minutes BETWEEN 5 AND 10080),
  created_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE partnership IS 'A safeguarding partnership: owns its rules, front door, baseline, retention rules, significant events and administrators';

-- The area a partnership covers: a child belongs to the partnership of their current address.
CREATE TABLE partnership_area (
  borough text PRIMARY KEY,
  partnership_id uuid NOT NULL REFERENCES partnership(id)
);
CREATE INDEX partnership_area_partnership_idx ON partnership_area (partnership_id);

CREATE TABLE organisation_partnership (
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  partnership_id uuid NOT NULL REFERENCES partnership(id),
  PRIMARY KEY (organisation_id, partnership_id)
);
CREATE INDEX organisation_partnership_partnership_idx ON organisation_partnership (partnership_id);

-- Every organisation is in the partnership of its home borough; a borough no partnership covers
-- gets a partnership of its own. Every writer (pages, command line, seeding) goes through this.
CREATE FUNCTION organisation_joins_home_partnership() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
  p uuid;
  base text;
BEGIN
  SELECT partnership_id INTO p FROM partnership_area WHERE borough = NEW.borough;
  IF p IS NULL THEN
    base := left(trim(both '-' from lower(regexp_replace(NEW.borough, '[^A-Za-z0-9]+', '-', 'g'))), 32);
    IF length(base) < 2 THEN base := 'partnership'; END IF;
    INSERT INTO partnership (code, name)
      VALUES (CASE WHEN EXISTS (SELECT 1 FROM partnership WHERE code = base)
                   THEN base || '-' || substr(md5(NEW.borough || clock_timestamp()::text), 1, 6) ELSE base END,
              NEW.borough)
      RETURNING id INTO p;
    INSERT INTO partnership_area (borough, partnership_id) VALUES (NEW.borough, p);
  END IF;
  INSERT INTO organisation_partnership (organisation_id, partnership_id) VALUES (NEW.id, p) ON CONFLICT DO NOTHING;
  RETURN NEW;
END
$fn$;

-- The partnership whose configuration a user works on (administrators, the DPO, analysts): by
-- default their organisation's home partnership.
ALTER TABLE app_user ADD COLUMN partnership_id uuid REFERENCES partnership(id);

CREATE FUNCTION app_user_home_partnership() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF NEW.partnership_id IS NULL THEN
    SELECT pa.partnership_id INTO NEW.partnership_id
    FROM organisation o JOIN partnership_area pa ON pa.borough = o.borough WHERE o.id = NEW.organisation_id;
  END IF;
  RETURN NEW;
END
$fn$;

-- Significant event types: recording one alerts everyone working with the child.
CREATE TABLE significant_event_type (
  partnership_id uuid NOT NULL REFERENCES partnership(id),
  event_type_code text NOT NULL,
  PRIMARY KEY (partnership_id, event_type_code)
);

CREATE FUNCTION partnership_default_significant_events() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO significant_event_type (partnership_id, event_type_code)
  SELECT DISTINCT NEW.id, code FROM event_type WHERE code = ANY (ARRAY[
    'arrest', 'weapon_incident', 'ae_attendance_injury', 'ae_attendance_stab_wound', 'victim_of_serious_violence',
    'missing_episode', 'permanent_exclusion', 'suspension', 'excluded_from_school', 'stop_and_search', 'nrm_referral',
    'bereavement_through_violence', 'domestic_abuse_notification', 'change_of_address', 'move_to_another_borough'])
  ON CONFLICT DO NOTHING;
  RETURN NEW;
END
$fn$;
CREATE TRIGGER partnership_default_significant_events AFTER INSERT ON partnership
  FOR EACH ROW EXECUTE FUNCTION partnership_default_significant_events();

-- Existing organisations and users join their home partnerships.
DO $do$
DECLARE b text;
DECLARE p uuid;
BEGIN
  FOR b IN SELECT DISTINCT borough FROM organisation ORDER BY borough LOOP
    INSERT INTO partnership (code, name)
      VALUES (left(trim(both '-' from lower(regexp_replace(b, '[^A-Za-z0-9]+', '-', 'g'))), 32), b)
      RETURNING id INTO p;
    INSERT INTO partnership_area (borough, partnership_id) VALUES (b, p);
  END LOOP;
END
$do$;
INSERT INTO organisation_partnership (organisation_id, partnership_id)
  SELECT o.id, pa.partnership_id FROM organisation o JOIN partnership_area pa ON pa.borough = o.borough;
UPDATE app_user u SET partnership_id = pa.partnership_id
  FROM organisation o JOIN partnership_area pa ON pa.borough = o.borough WHERE o.id = u.organisation_id;

CREATE TRIGGER organisation_joins_home_partnership AFTER INSERT ON organisation
  FOR EACH ROW EXECUTE FUNCTION organisation_joins_home_partnership();
CREATE TRIGGER app_user_home_partnership BEFORE INSERT ON app_user
  FOR EACH ROW EXECUTE FUNCTION app_user_home_partnership();
ALTER TABLE app_user ALTER COLUMN partnership_id SET NOT NULL;
CREATE INDEX app_user_partnership_idx ON app_user (partnership_id);

-- The front door belongs to a partnership (it was per borough).
CREATE TABLE partnership_front_door (
  partnership_id uuid PRIMARY KEY REFERENCES partnership(id),
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  team_id uuid REFERENCES team(id),
  updated_by_user_id uuid REFERENCES app_user(id),
  updated_at timestamptz NOT NULL DEFAULT now()
);
INSERT INTO partnership_front_door (partnership_id, organisation_id, team_id)
  SELECT DISTINCT ON (pa.partnership_id) pa.partnership_id, f.organisation_id, f.team_id
  FROM front_door f JOIN partnership_area pa ON pa.borough = f.borough ORDER BY pa.partnership_id, f.borough;
DROP TABLE front_door;

-- The partnership of each person record's current address (none when no current address is in
-- an area a partnership covers).
CREATE VIEW person_partnership AS
  SELECT DISTINCT ON (a.person_id) a.person_id, pa.partnership_id, a.borough
  FROM person_address a JOIN partnership_area pa ON pa.borough = a.borough
  WHERE (a.valid_from IS NULL OR a.valid_from <= current_date) AND (a.valid_to IS NULL OR a.valid_to >= current_date)
  ORDER BY a.person_id, a.valid_from DESC NULLS LAST, a.id;

-- People or teams who follow a child without an involvement (a panel, a borough that handed the
-- child over): they receive the child's alerts until the watch ends.
CREATE TABLE watcher (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES person(id) ON DELETE CASCADE,
  user_id uuid REFERENCES app_user(id),
  team_id uuid REFERENCES team(id),
  reason text NOT NULL CHECK (length(reason) BETWEEN 3 AND 500),
  started_at timestamptz NOT NULL DEFAULT now(),
  ends_at timestamptz,
  created_by_user_id uuid REFERENCES app_user(id),
  CHECK (num_nonnulls(user_id, team_id) = 1),
  CHECK (ends_at IS NULL OR ends_at > started_at)
);
CREATE INDEX watcher_person_idx ON watcher (person_id);

-- An alert to one person about one entry. One row per recipient, entry and kind, so an entry
-- processed twice alerts nobody twice. The alert holds no content: the alerts page shows what its
-- recipient may see of the entry when they look.
CREATE TABLE alert (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  recipient_user_id uuid NOT NULL REFERENCES app_user(id),
  person_id uuid NOT NULL REFERENCES person(id) ON DELETE CASCADE,
  event_id uuid NOT NULL REFERENCES event(id) ON DELETE CASCADE,
  partnership_id uuid REFERENCES partnership(id),
  kind text NOT NULL CHECK (kind IN ('significant_entry', 'escalation', 'encompass')),
  reasons text[] NOT NULL CHECK (cardinality(reasons) > 0),
  escalated_from uuid REFERENCES alert(id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT now(),
  respond_by timestamptz,
  acknowledged_at timestamptz,
  emailed_at timestamptz,
  UNIQUE (recipient_user_id, event_id, kind)
);
CREATE INDEX alert_unread_idx ON alert (recipient_user_id) WHERE acknowledged_at IS NULL;
CREATE INDEX alert_recipient_created_idx ON alert (recipient_user_id, created_at DESC, id);
CREATE INDEX alert_event_idx ON alert (event_id);
CREATE INDEX alert_person_idx ON alert (person_id);
COMMENT ON TABLE alert IS 'Alerts about significant entries: in the app, by email without personal data, escalated when unacknowledged';
`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    DROP TABLE IF EXISTS alert; DROP TABLE IF EXISTS watcher; DROP VIEW IF EXISTS person_partnership;
    CREATE TABLE front_door (borough text PRIMARY KEY, organisation_id uuid NOT NULL REFERENCES organisation(id), team_id uuid REFERENCES team(id));
    DROP TABLE IF EXISTS partnership_front_door;
    DROP TRIGGER IF EXISTS app_user_home_partnership ON app_user; DROP FUNCTION IF EXISTS app_user_home_partnership();
    ALTER TABLE app_user DROP COLUMN IF EXISTS partnership_id;
    DROP TRIGGER IF EXISTS organisation_joins_home_partnership ON organisation; DROP FUNCTION IF EXISTS organisation_joins_home_partnership();
    DROP TABLE IF EXISTS significant_event_type; DROP FUNCTION IF EXISTS partnership_default_significant_events() CASCADE;
    DROP TABLE IF EXISTS organisation_partnership; DROP TABLE IF EXISTS partnership_area; DROP TABLE IF EXISTS partnership;
  `).execute(db);
}
