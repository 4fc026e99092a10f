import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const UP = `
-- The early help service directory (Open Referral UK / HSDS shaped): each partnership keeps its own.
CREATE TABLE service (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  partnership_id uuid NOT NULL REFERENCES partnership(id) ON DELETE CASCADE,
  -- The identifier the service has in the directory it came from (HSDS service.id), kept on import and export.
  external_id text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 200),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 300),
  description text CHECK (description IS NULL OR length(description) <= 10000),
  -- The organisation providing it, as the directory names it; and the Jigsaw organisation when it is one.
  provider_name text NOT NULL CHECK (length(provider_name) BETWEEN 1 AND 300),
  organisation_id uuid REFERENCES organisation(id) ON DELETE SET NULL,
  min_age integer CHECK (min_age IS NULL OR min_age BETWEEN 0 AND 30),
  max_age integer CHECK (max_age IS NULL OR max_age BETWEEN 0 AND 30),
  -- Needs it meets (taxonomy terms, free codes such as 'exploitation', 'mental_health').
  needs text[] NOT NULL DEFAULT '{}',
  -- Boroughs it serves (HSDS service_area); empty means anywhere.
  areas text[] NOT NULL DEFAULT '{}',
  referral_route text CHECK (referral_route IS NULL OR length(referral_route) <= 2000),
  contact_email text CHECK (contact_email IS NULL OR length(contact_email) <= 300),
  contact_phone text CHECK (contact_phone IS NULL OR length(contact_phone) <= 50),
  url text CHECK (url IS NULL OR length(url) <= 1000),
  waiting_weeks integer CHECK (waiting_weeks IS NULL OR waiting_weeks BETWEEN 0 AND 520),
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'inactive', 'defunct', 'temporarily closed')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  CHECK (min_age IS NULL OR max_age IS NULL OR min_age <= max_age),
  UNIQUE (partnership_id, external_id)
);
CREATE INDEX service_partnership_name_idx ON service (partnership_id, name);

-- Postcode districts of the boroughs Jigsaw covers (outward code to borough), for searching the directory by postcode.
CREATE TABLE postcode_district (
  district text PRIMARY KEY CHECK (district ~ '^[A-Z]{1,2}[0-9][0-9A-Z]?$'),
  borough text NOT NULL CHECK (length(borough) BETWEEN 2 AND 100)
);
INSERT INTO postcode_district (district, borough)
SELECT a.letters || n::text, a.borough
FROM (VALUES ('NB', 'Northbridge'), ('EM', 'Eastmere'), ('RV', 'Ravensmoor'), ('KV', 'Kestrel Vale')) AS a(letters, borough)
CROSS JOIN generate_series(1, 9) AS n;

-- A multi-agency risk management plan for a child: worries and goals in plain words, reviewed on a cadence.
CREATE TABLE risk_plan (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES person(id) ON DELETE CASCADE,
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  created_by_user_id uuid NOT NULL REFERENCES app_user(id),
  worries text NOT NULL CHECK (length(worries) BETWEEN 1 AND 10000),
  goals text NOT NULL CHECK (length(goals) BETWEEN 1 AND 10000),
  review_every_weeks integer NOT NULL DEFAULT 6 CHECK (review_every_weeks BETWEEN 1 AND 52),
  next_review_on date NOT NULL,
  status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'closed')),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  closed_at timestamptz,
  CHECK ((status = 'closed') = (closed_at IS NOT NULL))
);
-- One plan in force per child record.
CREATE UNIQUE INDEX risk_plan_active_idx ON risk_plan (person_id) WHERE status = 'active';
CREATE INDEX risk_plan_review_idx ON risk_plan (next_review_on) WHERE status = 'active';

-- A plan's review: what was said, and when the next one falls.
CREATE TABLE risk_plan_review (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  plan_id uuid NOT NULL REFERENCES risk_plan(id) ON DELETE CASCADE,
  reviewed_by_user_id uuid NOT NULL REFERENCES app_user(id),
  reviewed_at timestamptz NOT NULL DEFAULT now(),
  notes text NOT NULL CHECK (length(notes) BETWEEN 1 AND 10000),
  next_review_on date NOT NULL
);
CREATE INDEX risk_plan_review_plan_idx ON risk_plan_review (plan_id, reviewed_at);

-- An action on a plan: supportive (help for the child and family) or disruptive (against those who
-- exploit), with an owner (a person in an agency), a due date and its current status; the history is
-- plan_action_status_change. Incomplete actions are split into "not possible, circumstances changed"
-- and "not done", each with a reason.
CREATE TABLE plan_action (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  plan_id uuid NOT NULL REFERENCES risk_plan(id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN ('supportive', 'disruptive')),
  description text NOT NULL CHECK (length(description) BETWEEN 1 AND 2000),
  owner_user_id uuid NOT NULL REFERENCES app_user(id),
  owner_organisation_id uuid NOT NULL REFERENCES organisation(id),
  due_on date NOT NULL,
  status text NOT NULL DEFAULT 'not_started' CHECK (status IN ('not_started', 'in_progress', 'done', 'not_possible', 'not_done')),
  status_reason text CHECK (status_reason IS NULL OR length(status_reason) BETWEEN 1 AND 2000),
  created_by_user_id uuid NOT NULL REFERENCES app_user(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  updated_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  reminded_at timestamptz,
  escalated_at timestamptz,
  CHECK (status NOT IN ('not_possible', 'not_done') OR status_reason IS NOT NULL),
  CHECK ((status IN ('done', 'not_possible', 'not_done')) = (completed_at IS NOT NULL))
);
CREATE INDEX plan_action_plan_idx ON plan_action (plan_id);
CREATE INDEX plan_action_open_owner_idx ON plan_action (owner_user_id, due_on) WHERE status IN ('not_started', 'in_progress');

-- Every change of an action's status, in order, with its reason and the chronology entry recorded with it.
CREATE TABLE plan_action_status_change (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  action_id uuid NOT NULL REFERENCES plan_action(id) ON DELETE CASCADE,
  status text NOT NULL CHECK (status IN ('not_started', 'in_progress', 'done', 'not_possible', 'not_done')),
  reason text CHECK (reason IS NULL OR length(reason) BETWEEN 1 AND 2000),
  changed_by_user_id uuid NOT NULL REFERENCES app_user(id),
  changed_at timestamptz NOT NULL DEFAULT now(),
  event_id uuid REFERENCES event(id) ON DELETE SET NULL,
  CHECK (status NOT IN ('not_possible', 'not_done') OR reason IS NOT NULL)
);
CREATE INDEX plan_action_status_change_action_idx ON plan_action_status_change (action_id, changed_at);

-- An offer of help to a child and family: the service, who offered it and how, at what moment, and the
-- response with its barrier in their own words. referred_by_user_id is told the outcome.
CREATE TABLE offer_of_help (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES person(id) ON DELETE CASCADE,
  service_id uuid REFERENCES service(id) ON DELETE SET NULL,
  service_name text NOT NULL CHECK (length(service_name) BETWEEN 1 AND 300),
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  offered_by_user_id uuid REFERENCES app_user(id),
  referred_by_user_id uuid REFERENCES app_user(id),
  consideration_id uuid REFERENCES consideration(id) ON DELETE SET NULL,
  offered_on date,
  mode text CHECK (mode IN ('face_to_face', 'phone', 'letter', 'digital')),
  moment text CHECK (moment IS NULL OR length(moment) BETWEEN 1 AND 500),
  response text CHECK (response IN ('accepted', 'declined', 'not_taken_up')),
  barrier text CHECK (barrier IN ('awareness', 'accessibility', 'acceptability')),
  own_words text CHECK (own_words IS NULL OR length(own_words) BETWEEN 1 AND 5000),
  responded_at timestamptz,
  responded_by_user_id uuid REFERENCES app_user(id),
  created_by_user_id uuid NOT NULL REFERENCES app_user(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (offered_on IS NULL OR mode IS NOT NULL),
  CHECK (response IS NULL OR (offered_on IS NOT NULL AND responded_at IS NOT NULL)),
  CHECK (response IS NOT NULL OR barrier IS NULL),
  CHECK (response IS NULL OR response = 'accepted' OR own_words IS NOT NULL)
);
CREATE INDEX offer_of_help_person_idx ON offer_of_help (person_id);
CREATE INDEX offer_of_help_service_idx ON offer_of_help (service_id);
CREATE UNIQUE INDEX offer_of_help_consideration_idx ON offer_of_help (consideration_id) WHERE consideration_id IS NOT NULL;

-- Alerts about things other than an entry: a plan action falling due or overdue, an offer's outcome.
-- The same delivery (in the app, email without personal data); one alert per recipient, subject and kind.
ALTER TABLE alert ALTER COLUMN event_id DROP NOT NULL;
ALTER TABLE alert ADD COLUMN plan_action_id uuid REFERENCES plan_action(id) ON DELETE CASCADE;
ALTER TABLE alert ADD COLUMN offer_id uuid REFERENCES offer_of_help(id) ON DELETE CASCADE;
ALTER TABLE alert DROP CONSTRAINT alert_kind_check;
ALTER TABLE alert ADD CONSTRAINT alert_kind_check CHECK (kind IN ('significant_entry', 'escalation', 'encompass', 'action_due', 'action_overdue', 'offer_outcome'));
ALTER TABLE alert ADD CONSTRAINT alert_subject_check CHECK (num_nonnulls(event_id, plan_action_id, offer_id) >= 1);
CREATE UNIQUE INDEX alert_plan_action_idx ON alert (recipient_user_id, plan_action_id, kind) WHERE plan_action_id IS NOT NULL;
CREATE UNIQUE INDEX alert_offer_idx ON alert (recipient_user_id, offer_id, kind) WHERE offer_id IS NOT NULL;
`;

/** Plans and their actions, offers of help, the service directory and postcode districts; alerts about actions and offers. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

/** Reverts: alerts about actions and offers go, event alerts keep their shape. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    DELETE FROM alert WHERE event_id IS NULL;
    DROP INDEX IF EXISTS alert_plan_action_idx; DROP INDEX IF EXISTS alert_offer_idx;
    ALTER TABLE alert DROP CONSTRAINT IF EXISTS alert_subject_check;
    ALTER TABLE alert DROP CONSTRAINT alert_kind_check;
    DELETE FROM alert WHERE kind NOT IN ('significant_entry', 'escalation', 'encompass');
    ALTER TABLE alert ADD CONSTRAINT alert_kind_check CHECK (kind IN ('significant_entry', 'escalation', 'encompass'));
    ALTER TABLE alert DROP COLUMN offer_id; ALTER TABLE alert DROP COLUMN plan_action_id;
    ALTER TABLE alert ALTER COLUMN event_id SET NOT NULL;
    DROP TABLE IF EXISTS offer_of_help; DROP TABLE IF EXISTS plan_action_status_change; DROP TABLE IF EXISTS plan_action;
    DROP TABLE IF EXISTS risk_plan_review; DROP TABLE IF EXISTS risk_plan; DROP TABLE IF EXISTS postcode_district; DROP TABLE IF EXISTS service;
  `).execute(db);
}
