import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead. The vocabulary it
// loads is its own copy (vocabulary/vocabulary.v3.json, byte for byte the published version 3).

const VERSION = '3';

interface VocabularyFile {
  publishedOn: string;
  eventTypes: {
    code: string; category: string; label: string; definition: string;
    agencyKinds: string[]; impliesFactors: string[]; significant: boolean;
  }[];
}

const FAMILY = ['parent', 'carer', 'sibling', 'other_family'];
const PEER = ['friend', 'associate', 'partner', 'rival', 'co_accused', 'co_victim', 'suspected_exploiter', 'classmate'];
const list = (values: string[]) => values.map((v) => `'${v}'`).join(', ');

const UP = `
-- Relationships between people beyond family, each with its source (the entry it came from, or the
-- person who recorded it), an intelligence grading (3x5x2: source 1-3, intelligence A-E), when it
-- held, and its sensitivity (a restricted relationship is seen only by the organisation that recorded it).
ALTER TABLE person_relationship DROP CONSTRAINT person_relationship_kind_check;
ALTER TABLE person_relationship ADD CONSTRAINT person_relationship_kind_check CHECK (kind IN (${list([...FAMILY, ...PEER])}));
ALTER TABLE person_relationship
  ADD COLUMN source_event_id uuid REFERENCES event(id) ON DELETE CASCADE,
  ADD COLUMN recorded_by_user_id uuid REFERENCES app_user(id),
  ADD COLUMN recorded_by_organisation_id uuid REFERENCES organisation(id),
  ADD COLUMN grading text CHECK (grading IS NULL OR grading ~ '^[1-3][A-E]$'),
  ADD COLUMN sensitivity text NOT NULL DEFAULT 'standard' CHECK (sensitivity IN ('standard', 'restricted')),
  ADD COLUMN note text CHECK (note IS NULL OR length(note) <= 2000),
  ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now();
-- The network's walks read a person's edges in either direction with their kind, from the index alone.
CREATE INDEX person_relationship_walk_idx ON person_relationship (person_id, kind, related_person_id);
CREATE INDEX person_relationship_walk_back_idx ON person_relationship (related_person_id, kind, person_id);
CREATE INDEX person_relationship_source_idx ON person_relationship (source_event_id) WHERE source_event_id IS NOT NULL;

-- Places as records: schools, youth centres, estates, parks, transport hubs, shops, addresses and online spaces.
CREATE TABLE place (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN ('school', 'youth_centre', 'estate', 'park', 'transport_hub', 'shop', 'address', 'online', 'other')),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  postcode text CHECK (postcode IS NULL OR length(postcode) <= 10),
  ward text CHECK (ward IS NULL OR length(ward) <= 100),
  borough text CHECK (borough IS NULL OR length(borough) <= 100),
  platform text CHECK (platform IS NULL OR length(platform) <= 100),
  handle text CHECK (handle IS NULL OR length(handle) <= 200),
  recorded_by_organisation_id uuid REFERENCES organisation(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (kind <> 'online' OR (platform IS NOT NULL AND handle IS NOT NULL))
);
CREATE INDEX place_borough_idx ON place (borough, kind);

-- Where an entry happened (or which online space it concerns).
CREATE TABLE event_place (
  event_id uuid NOT NULL REFERENCES event(id) ON DELETE CASCADE,
  place_id uuid NOT NULL REFERENCES place(id),
  PRIMARY KEY (event_id, place_id)
);
CREATE INDEX event_place_place_idx ON event_place (place_id, event_id);

-- A person's link to a place over time: enrolled at a school, attends a youth centre, frequents a park, member of an online space.
CREATE TABLE person_place (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES person(id) ON DELETE CASCADE,
  place_id uuid NOT NULL REFERENCES place(id),
  kind text NOT NULL CHECK (kind IN ('enrolled', 'attends', 'frequents', 'lives', 'member')),
  source_event_id uuid REFERENCES event(id) ON DELETE CASCADE,
  recorded_by_user_id uuid REFERENCES app_user(id),
  recorded_by_organisation_id uuid REFERENCES organisation(id),
  grading text CHECK (grading IS NULL OR grading ~ '^[1-3][A-E]$'),
  sensitivity text NOT NULL DEFAULT 'standard' CHECK (sensitivity IN ('standard', 'restricted')),
  valid_from date,
  valid_to date,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from)
);
CREATE INDEX person_place_person_idx ON person_place (person_id, place_id);
CREATE INDEX person_place_place_idx ON person_place (place_id, kind, person_id);

-- Peer groups, with members over time.
CREATE TABLE peer_group (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  borough text,
  description text CHECK (description IS NULL OR length(description) <= 5000),
  recorded_by_organisation_id uuid REFERENCES organisation(id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE peer_group_member (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  group_id uuid NOT NULL REFERENCES peer_group(id) ON DELETE CASCADE,
  person_id uuid NOT NULL REFERENCES person(id) ON DELETE CASCADE,
  source_event_id uuid REFERENCES event(id) ON DELETE CASCADE,
  recorded_by_organisation_id uuid REFERENCES organisation(id),
  grading text CHECK (grading IS NULL OR grading ~ '^[1-3][A-E]$'),
  sensitivity text NOT NULL DEFAULT 'standard' CHECK (sensitivity IN ('standard', 'restricted')),
  valid_from date,
  valid_to date
);
CREATE INDEX peer_group_member_group_idx ON peer_group_member (group_id, person_id);
CREATE INDEX peer_group_member_person_idx ON peer_group_member (person_id);

-- One happening recorded by several agencies: the entries linked into one incident (automatically where
-- person, kind and time agree; by hand otherwise). Serious incidents start a critical-moment response.
CREATE TABLE incident (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  kind text NOT NULL CHECK (kind IN ('homicide', 'death', 'stabbing', 'shooting', 'serious_assault', 'school_violence', 'other')),
  serious boolean NOT NULL,
  occurred_at timestamptz NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incident_occurred_idx ON incident (occurred_at);
CREATE TABLE incident_entry (
  incident_id uuid NOT NULL REFERENCES incident(id) ON DELETE CASCADE,
  event_id uuid NOT NULL UNIQUE REFERENCES event(id) ON DELETE CASCADE,
  linked_by text NOT NULL CHECK (linked_by IN ('automatic', 'manual')),
  linked_by_user_id uuid REFERENCES app_user(id),
  linked_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (incident_id, event_id)
);

-- A welfare check for each child of a critical-moment cohort, for their lead professional (else the
-- front door of the child's partnership), tracked to done. It holds no reason: the reason a child is in
-- the cohort is computed for each reader over what they may see.
CREATE TABLE welfare_check (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  incident_id uuid NOT NULL REFERENCES incident(id) ON DELETE CASCADE,
  person_id uuid NOT NULL REFERENCES person(id) ON DELETE CASCADE,
  assignee_user_id uuid REFERENCES app_user(id),
  front_door_organisation_id uuid REFERENCES organisation(id),
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
  created_at timestamptz NOT NULL DEFAULT now(),
  completed_at timestamptz,
  completed_by_user_id uuid REFERENCES app_user(id),
  outcome text CHECK (outcome IS NULL OR length(outcome) BETWEEN 10 AND 5000),
  UNIQUE (incident_id, person_id),
  CHECK ((status = 'done') = (completed_at IS NOT NULL AND completed_by_user_id IS NOT NULL AND outcome IS NOT NULL))
);
CREATE INDEX welfare_check_open_idx ON welfare_check (assignee_user_id) WHERE status = 'open';

-- Welfare checks reach people as alerts do.
ALTER TABLE alert ADD COLUMN welfare_check_id uuid REFERENCES welfare_check(id) ON DELETE CASCADE;
ALTER TABLE alert DROP CONSTRAINT alert_kind_check;
ALTER TABLE alert ADD CONSTRAINT alert_kind_check CHECK (kind IN ('significant_entry', 'escalation', 'encompass', 'action_due', 'action_overdue', 'offer_outcome', 'welfare_check'));
ALTER TABLE alert DROP CONSTRAINT alert_subject_check;
ALTER TABLE alert ADD CONSTRAINT alert_subject_check CHECK (num_nonnulls(event_id, plan_action_id, offer_id, welfare_check_id) >= 1);
CREATE UNIQUE INDEX alert_welfare_check_unique_idx ON alert (recipient_user_id, welfare_check_id, kind) WHERE welfare_check_id IS NOT NULL;

-- An incident's link to the children affected by it: a child named in an entry as affected.
ALTER TABLE event_person DROP CONSTRAINT event_person_role_check;
ALTER TABLE event_person ADD CONSTRAINT event_person_role_check CHECK (role IN ('subject', 'victim', 'suspect', 'witness', 'associate', 'parent', 'affected'));
`;

const DOWN = `
ALTER TABLE event_person DROP CONSTRAINT event_person_role_check;
ALTER TABLE event_person ADD CONSTRAINT event_person_role_check CHECK (role IN ('subject', 'victim', 'suspect', 'witness', 'associate', 'parent'));
DELETE FROM alert WHERE welfare_check_id IS NOT NULL;
DROP INDEX IF EXISTS alert_welfare_check_unique_idx;
ALTER TABLE alert DROP CONSTRAINT alert_subject_check;
ALTER TABLE alert DROP CONSTRAINT alert_kind_check;
ALTER TABLE alert DROP COLUMN welfare_check_id;
ALTER TABLE alert ADD CONSTRAINT alert_kind_check CHECK (kind IN ('significant_entry', 'escalation', 'encompass', 'action_due', 'action_overdue', 'offer_outcome'));
ALTER TABLE alert ADD CONSTRAINT alert_subject_check CHECK (num_nonnulls(event_id, plan_action_id, offer_id) >= 1);
DROP TABLE IF EXISTS welfare_check, incident_entry, incident, peer_group_member, peer_group, person_place, event_place, place;
DROP INDEX IF EXISTS person_relationship_walk_idx, person_relationship_walk_back_idx, person_relationship_source_idx;
DELETE FROM person_relationship WHERE kind NOT IN (${list(FAMILY)});
ALTER TABLE person_relationship DROP COLUMN source_event_id, DROP COLUMN recorded_by_user_id, DROP COLUMN recorded_by_organisation_id,
  DROP COLUMN grading, DROP COLUMN sensitivity, DROP COLUMN note, DROP COLUMN recorded_at;
ALTER TABLE person_relationship DROP CONSTRAINT person_relationship_kind_check;
ALTER TABLE person_relationship ADD CONSTRAINT person_relationship_kind_check CHECK (kind IN (${list(FAMILY)}));
`;

/**
 * Contextual safeguarding: relationships beyond family, places, peer groups, incidents, welfare
 * checks (delivered as alerts) and the affected role; and version 3 of the common vocabulary (homicide,
 * death of a young person, a violent incident at school, physical abuse).
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
  const bytes = readFileSync(new URL(`./vocabulary/vocabulary.v${VERSION}.json`, import.meta.url));
  const vocabulary = JSON.parse(bytes.toString('utf8')) as VocabularyFile;
  const checksum = createHash('sha256').update(bytes).digest('hex');
  await db.insertInto('vocabulary_version').values({ version: VERSION, published_on: vocabulary.publishedOn, checksum }).execute();
  const knownTypes = new Set((await db.selectFrom('event_type').select('code').execute()).map((r: { code: string }) => r.code));
  const newTypes = vocabulary.eventTypes.filter((t) => !knownTypes.has(t.code));
  await db.insertInto('event_type').values(newTypes.map((t) => ({
    code: t.code, vocabulary_version: VERSION, category: t.category, label: t.label, definition: t.definition,
    agency_kinds: t.agencyKinds, implies_factors: t.impliesFactors, significant: t.significant,
  }))).execute();
}

/** Reverts: the network tables go, relationships beyond family are removed, and vocabulary version 3 is unloaded. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(DOWN).execute(db);
  await db.deleteFrom('event_type').where('vocabulary_version', '=', VERSION).execute();
  await db.deleteFrom('vocabulary_version').where('version', '=', VERSION).execute();
}
