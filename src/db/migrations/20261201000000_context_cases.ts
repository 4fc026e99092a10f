import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const ACTION_KINDS = `'detached_youth_work', 'school_safety_plan', 'lighting_cctv', 'licensing', 'police_patrols', 'other'`;

const UP = `
-- Places and peer groups belong to a partnership: the one whose area holds their borough, else the
-- recording organisation's. Every writer that names none gets it from the trigger.
ALTER TABLE place ADD COLUMN partnership_id uuid REFERENCES partnership(id);
ALTER TABLE peer_group ADD COLUMN partnership_id uuid REFERENCES partnership(id);
CREATE FUNCTION network_record_partnership() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF NEW.partnership_id IS NULL THEN
    SELECT pa.partnership_id INTO NEW.partnership_id FROM partnership_area pa WHERE pa.borough = NEW.borough;
  END IF;
  IF NEW.partnership_id IS NULL AND NEW.recorded_by_organisation_id IS NOT NULL THEN
    SELECT min(op.partnership_id::text)::uuid INTO NEW.partnership_id FROM organisation_partnership op WHERE op.organisation_id = NEW.recorded_by_organisation_id;
  END IF;
  RETURN NEW;
END
$fn$;
CREATE TRIGGER place_partnership BEFORE INSERT ON place FOR EACH ROW EXECUTE FUNCTION network_record_partnership();
CREATE TRIGGER peer_group_partnership BEFORE INSERT ON peer_group FOR EACH ROW EXECUTE FUNCTION network_record_partnership();
UPDATE place p SET partnership_id = coalesce(
  (SELECT pa.partnership_id FROM partnership_area pa WHERE pa.borough = p.borough),
  (SELECT min(op.partnership_id::text)::uuid FROM organisation_partnership op WHERE op.organisation_id = p.recorded_by_organisation_id));
UPDATE peer_group g SET partnership_id = coalesce(
  (SELECT pa.partnership_id FROM partnership_area pa WHERE pa.borough = g.borough),
  (SELECT min(op.partnership_id::text)::uuid FROM organisation_partnership op WHERE op.organisation_id = g.recorded_by_organisation_id));
CREATE INDEX place_partnership_idx ON place (partnership_id, name);
CREATE INDEX peer_group_partnership_idx ON peer_group (partnership_id, name);

-- Who recorded a membership by hand (the source of a membership not taken from an entry).
ALTER TABLE peer_group_member
  ADD COLUMN recorded_by_user_id uuid REFERENCES app_user(id),
  ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now(),
  ADD CONSTRAINT peer_group_member_dates_check CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from);

-- A context case (Contextual Safeguarding): a case opened on a place or a peer group, not on a child.
CREATE TABLE context_case (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  partnership_id uuid NOT NULL REFERENCES partnership(id),
  place_id uuid REFERENCES place(id),
  group_id uuid REFERENCES peer_group(id) ON DELETE CASCADE,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'closed')),
  opened_by_user_id uuid NOT NULL REFERENCES app_user(id),
  opened_at timestamptz NOT NULL DEFAULT now(),
  lead_user_id uuid NOT NULL REFERENCES app_user(id),
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  closed_at timestamptz,
  closed_by_user_id uuid REFERENCES app_user(id),
  closing_note text CHECK (closing_note IS NULL OR length(closing_note) <= 5000),
  CHECK (num_nonnulls(place_id, group_id) = 1),
  CHECK ((status = 'closed') = (closed_at IS NOT NULL AND closed_by_user_id IS NOT NULL))
);
CREATE INDEX context_case_partnership_idx ON context_case (partnership_id, status, opened_at DESC);
-- One open case per place and per group.
CREATE UNIQUE INDEX context_case_open_place_idx ON context_case (place_id) WHERE status = 'open' AND place_id IS NOT NULL;
CREATE UNIQUE INDEX context_case_open_group_idx ON context_case (group_id) WHERE status = 'open' AND group_id IS NOT NULL;

-- The assessment of the context, versioned: each save is a new version; the highest is current.
CREATE TABLE context_case_assessment (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES context_case(id) ON DELETE CASCADE,
  version integer NOT NULL CHECK (version >= 1),
  happening text NOT NULL CHECK (length(happening) BETWEEN 1 AND 10000),
  strengths text CHECK (strengths IS NULL OR length(strengths) <= 10000),
  harms text CHECK (harms IS NULL OR length(harms) <= 10000),
  recorded_by_user_id uuid NOT NULL REFERENCES app_user(id),
  recorded_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (case_id, version)
);

-- The plan: actions on the context, each owned by an agency, tracked to done.
CREATE TABLE context_case_action (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES context_case(id) ON DELETE CASCADE,
  kind text NOT NULL CHECK (kind IN (${ACTION_KINDS})),
  description text NOT NULL CHECK (length(description) BETWEEN 3 AND 2000),
  owner_organisation_id uuid NOT NULL REFERENCES organisation(id),
  due_on date NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
  done_at timestamptz,
  done_by_user_id uuid REFERENCES app_user(id),
  done_note text CHECK (done_note IS NULL OR length(done_note) BETWEEN 1 AND 2000),
  created_by_user_id uuid NOT NULL REFERENCES app_user(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'done') = (done_at IS NOT NULL AND done_by_user_id IS NOT NULL AND done_note IS NOT NULL))
);
CREATE INDEX context_case_action_case_idx ON context_case_action (case_id, status, due_on);

-- The children a context affects, each with the reason (read only by those who may open the child).
CREATE TABLE context_case_child (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES context_case(id) ON DELETE CASCADE,
  person_id uuid NOT NULL REFERENCES person(id) ON DELETE CASCADE,
  reason text NOT NULL CHECK (length(reason) BETWEEN 3 AND 2000),
  linked_by_user_id uuid NOT NULL REFERENCES app_user(id),
  linked_by_organisation_id uuid NOT NULL REFERENCES organisation(id),
  linked_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (case_id, person_id)
);
CREATE INDEX context_case_child_person_idx ON context_case_child (person_id);
`;

const DOWN = `
DROP TABLE IF EXISTS context_case_child, context_case_action, context_case_assessment, context_case;
ALTER TABLE peer_group_member DROP CONSTRAINT peer_group_member_dates_check, DROP COLUMN recorded_by_user_id, DROP COLUMN recorded_at;
DROP TRIGGER IF EXISTS place_partnership ON place;
DROP TRIGGER IF EXISTS peer_group_partnership ON peer_group;
DROP FUNCTION IF EXISTS network_record_partnership();
DROP INDEX IF EXISTS place_partnership_idx, peer_group_partnership_idx;
ALTER TABLE place DROP COLUMN partnership_id;
ALTER TABLE peer_group DROP COLUMN partnership_id;
`;

/**
 * Context cases: a case on a place or a peer group with its assessment (versioned), a plan of
 * actions owned by agencies, and the children it affects; places and groups belong to a partnership,
 * and a membership recorded by hand names who recorded it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

/** Reverts: the context case tables go, and places and groups no longer name a partnership. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(DOWN).execute(db);
}
