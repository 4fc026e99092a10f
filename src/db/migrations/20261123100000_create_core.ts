import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const ORG_KINDS = [
  'police', 'school', 'gp', 'acute_hospital', 'community_health', 'camhs',
  'childrens_social_care', 'early_help', 'youth_justice', 'targeted_youth_support',
  'housing', 'probation', 'substance_misuse', 'voluntary_sector', 'youth_centre',
];
const ROLES = [
  'practitioner', 'team_manager', 'designated_safeguarding_lead', 'panel_coordinator',
  'analyst', 'data_protection_officer', 'partnership_admin',
];
const list = (values: string[]) => values.map((v) => `'${v}'`).join(', ');

const UP = `
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;
CREATE EXTENSION IF NOT EXISTS pgcrypto;

CREATE TABLE organisation (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  kind text NOT NULL CHECK (kind IN (${list(ORG_KINDS)})),
  borough text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE team (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  name text NOT NULL
);
CREATE INDEX team_organisation_idx ON team (organisation_id);

CREATE TABLE app_user (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  email text NOT NULL,
  name text NOT NULL,
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  team_id uuid REFERENCES team(id),
  roles text[] NOT NULL CHECK (cardinality(roles) > 0 AND roles <@ ARRAY[${list(ROLES)}]::text[]),
  job_title text,
  password_hash text,
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX app_user_email_idx ON app_user (lower(email));

CREATE TABLE person (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  date_of_birth date,
  dob_accuracy text NOT NULL DEFAULT 'exact' CHECK (dob_accuracy IN ('exact', 'month', 'year', 'estimated', 'unknown')),
  sex text NOT NULL DEFAULT 'not_known' CHECK (sex IN ('female', 'male', 'not_known')),
  ethnicity text CHECK (ethnicity ~ '^[A-Z]{4}$'),
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by_organisation_id uuid REFERENCES organisation(id)
);
CREATE INDEX person_dob_idx ON person (date_of_birth);

CREATE TABLE person_name (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES person(id),
  kind text NOT NULL CHECK (kind IN ('legal', 'known_as', 'alias', 'nickname', 'online_handle', 'previous')),
  given_names text,
  family_name text,
  valid_from date,
  valid_to date,
  recorded_by_organisation_id uuid REFERENCES organisation(id),
  CHECK (given_names IS NOT NULL OR family_name IS NOT NULL)
);
CREATE INDEX person_name_person_idx ON person_name (person_id);
CREATE INDEX person_name_trgm_idx ON person_name
  USING gin ((lower(coalesce(given_names, '') || ' ' || coalesce(family_name, ''))) gin_trgm_ops);

CREATE TABLE person_identifier (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES person(id),
  scheme text NOT NULL CHECK (scheme IN ('nhs_number', 'upn', 'police_id', 'local_id')),
  value text NOT NULL,
  issuer_organisation_id uuid REFERENCES organisation(id)
);
CREATE INDEX person_identifier_value_idx ON person_identifier (scheme, value);
CREATE INDEX person_identifier_person_idx ON person_identifier (person_id);

CREATE TABLE person_address (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES person(id),
  line1 text,
  town text,
  postcode text,
  borough text,
  valid_from date,
  valid_to date,
  recorded_by_organisation_id uuid REFERENCES organisation(id)
);
CREATE INDEX person_address_person_idx ON person_address (person_id);

CREATE TABLE person_relationship (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES person(id),
  related_person_id uuid NOT NULL REFERENCES person(id),
  kind text NOT NULL CHECK (kind IN ('parent', 'carer', 'sibling', 'other_family')),
  valid_from date,
  valid_to date,
  CHECK (person_id <> related_person_id)
);
CREATE INDEX person_relationship_person_idx ON person_relationship (person_id);
CREATE INDEX person_relationship_related_idx ON person_relationship (related_person_id);

CREATE TABLE involvement (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES person(id),
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  team_id uuid REFERENCES team(id),
  user_id uuid REFERENCES app_user(id),
  role text NOT NULL CHECK (role IN ('lead_professional', 'key_worker', 'allocated_worker', 'trusted_adult', 'case_holder', 'designated_safeguarding_lead', 'health_lead', 'other')),
  started_on date NOT NULL,
  ended_on date,
  CHECK (ended_on IS NULL OR ended_on >= started_on)
);
CREATE INDEX involvement_person_idx ON involvement (person_id);
CREATE INDEX involvement_user_idx ON involvement (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX involvement_team_idx ON involvement (team_id) WHERE team_id IS NOT NULL;

CREATE TABLE vocabulary_version (
  version text PRIMARY KEY,
  published_on date NOT NULL,
  checksum text NOT NULL,
  loaded_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE event_type (
  code text PRIMARY KEY,
  vocabulary_version text NOT NULL REFERENCES vocabulary_version(version),
  category text NOT NULL,
  label text NOT NULL,
  definition text NOT NULL,
  agency_kinds text[] NOT NULL,
  implies_factors text[] NOT NULL DEFAULT '{}',
  significant boolean NOT NULL DEFAULT false
);

CREATE TABLE factor (
  code text PRIMARY KEY,
  vocabulary_version text NOT NULL REFERENCES vocabulary_version(version),
  kind text NOT NULL CHECK (kind IN ('vulnerability', 'risk', 'protective')),
  label text NOT NULL,
  definition text NOT NULL
);

CREATE TABLE api_key (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  name text NOT NULL,
  key_prefix text NOT NULL,
  key_hash text NOT NULL UNIQUE,
  created_at timestamptz NOT NULL DEFAULT now(),
  revoked_at timestamptz
);

CREATE TABLE event (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_type_code text NOT NULL REFERENCES event_type(code),
  vocabulary_version text NOT NULL REFERENCES vocabulary_version(version),
  occurred_at timestamptz NOT NULL,
  occurred_precision text NOT NULL CHECK (occurred_precision IN ('time', 'date', 'month', 'approximate')),
  recorded_at timestamptz NOT NULL DEFAULT now(),
  recorded_by_user_id uuid REFERENCES app_user(id),
  recorded_via text NOT NULL CHECK (recorded_via IN ('form', 'api', 'import', 'synthetic')),
  api_key_id uuid REFERENCES api_key(id),
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  source_system text NOT NULL,
  source_record_id text,
  summary text NOT NULL CHECK (length(summary) BETWEEN 1 AND 500),
  narrative text,
  place text,
  factor_codes text[] NOT NULL DEFAULT '{}',
  sensitivity text NOT NULL DEFAULT 'standard' CHECK (sensitivity IN ('standard', 'restricted')),
  reliability text NOT NULL DEFAULT 'reported' CHECK (reliability IN ('confirmed', 'reported', 'unverified')),
  supersedes uuid REFERENCES event(id),
  correction_reason text,
  CHECK (supersedes IS NULL OR correction_reason IS NOT NULL)
);
CREATE INDEX event_supersedes_idx ON event (supersedes) WHERE supersedes IS NOT NULL;
CREATE INDEX event_source_idx ON event (organisation_id, source_system, source_record_id);
CREATE INDEX event_occurred_idx ON event (occurred_at);

CREATE TABLE event_person (
  event_id uuid NOT NULL REFERENCES event(id),
  person_id uuid NOT NULL REFERENCES person(id),
  role text NOT NULL CHECK (role IN ('subject', 'victim', 'suspect', 'witness', 'associate', 'parent')),
  PRIMARY KEY (event_id, person_id, role)
);
CREATE INDEX event_person_person_idx ON event_person (person_id, event_id);

CREATE TABLE access_log (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at timestamptz NOT NULL DEFAULT now(),
  user_id uuid,
  api_key_id uuid,
  organisation_id uuid,
  roles text[] NOT NULL DEFAULT '{}',
  action text NOT NULL,
  person_id uuid,
  route text NOT NULL,
  outcome text NOT NULL CHECK (outcome IN ('allowed', 'denied')),
  request_id text,
  detail jsonb
);
CREATE INDEX access_log_person_idx ON access_log (person_id, at) WHERE person_id IS NOT NULL;
CREATE INDEX access_log_user_idx ON access_log (user_id, at);

CREATE TABLE app_session (
  id text PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES app_user(id),
  csrf_token text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  last_seen_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX app_session_user_idx ON app_session (user_id);

-- Nothing lost: the chronology and the access log refuse change in the database itself.
CREATE FUNCTION reject_append_only_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: % is not allowed', TG_TABLE_NAME, TG_OP
    USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER event_append_only BEFORE UPDATE OR DELETE ON event
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER event_truncate_refused BEFORE TRUNCATE ON event
  FOR EACH STATEMENT EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER event_person_append_only BEFORE UPDATE OR DELETE ON event_person
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER event_person_truncate_refused BEFORE TRUNCATE ON event_person
  FOR EACH STATEMENT EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER access_log_truncate_refused BEFORE TRUNCATE ON access_log
  FOR EACH STATEMENT EXECUTE FUNCTION reject_append_only_change();
`;

const DOWN = `
DROP TABLE IF EXISTS app_session, access_log, event_person, event, api_key, factor, event_type,
  vocabulary_version, involvement, person_relationship, person_address, person_identifier,
  person_name, person, app_user, team, organisation;
DROP FUNCTION IF EXISTS reject_append_only_change();
`;

/** Creates the core model: organisations, users, people, involvements, the chronology and the access log. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

/** Removes the core model (extensions stay: other schemas may use them). */
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(DOWN).execute(db);
}
