import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const UP = `
-- How long the sending borough's workers watch a child after a transfer is accepted, and how many
-- working days a transfer may wait at the receiving front door before it escalates.
ALTER TABLE partnership ADD COLUMN transfer_watch_days integer NOT NULL DEFAULT 90 CHECK (transfer_watch_days BETWEEN 1 AND 730);
ALTER TABLE partnership ADD COLUMN transfer_escalation_working_days integer NOT NULL DEFAULT 20 CHECK (transfer_escalation_working_days BETWEEN 1 AND 120);
ALTER TABLE partnership ADD COLUMN transfer_escalation_working_days_on_plan integer NOT NULL DEFAULT 15 CHECK (transfer_escalation_working_days_on_plan BETWEEN 1 AND 120);

-- A senior manager (head of service): the only people who may sign off a relocation risk assessment.
ALTER TABLE app_user ADD COLUMN senior_manager boolean NOT NULL DEFAULT false;

-- A relocation for safety: its risk assessment, the senior manager's sign-off, the planned move,
-- the move and the review three months after it.
CREATE TABLE relocation (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES person(id) ON DELETE CASCADE,
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  created_by_user_id uuid NOT NULL REFERENCES app_user(id),
  to_borough text NOT NULL CHECK (length(to_borough) BETWEEN 2 AND 100),
  status text NOT NULL DEFAULT 'assessing' CHECK (status IN ('assessing', 'planned', 'moved', 'reviewed', 'withdrawn')),
  risks_new_area text NOT NULL CHECK (length(risks_new_area) BETWEEN 1 AND 10000),
  ties_old_area text NOT NULL CHECK (length(ties_old_area) BETWEEN 1 AND 10000),
  network_lost text NOT NULL CHECK (length(network_lost) BETWEEN 1 AND 10000),
  family_position text NOT NULL CHECK (length(family_position) BETWEEN 1 AND 10000),
  views text NOT NULL CHECK (length(views) BETWEEN 1 AND 10000),
  signed_off_at timestamptz,
  signed_off_by_user_id uuid REFERENCES app_user(id),
  planned_move_on date,
  moved_on date,
  review_due_on date,
  review_risk_fell boolean,
  review_ties_continued boolean,
  review_notes text CHECK (review_notes IS NULL OR length(review_notes) BETWEEN 1 AND 10000),
  reviewed_at timestamptz,
  reviewed_by_user_id uuid REFERENCES app_user(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (num_nonnulls(signed_off_at, signed_off_by_user_id) IN (0, 2)),
  -- A move is planned only on a signed-off assessment.
  CHECK (status IN ('assessing', 'withdrawn') OR (signed_off_at IS NOT NULL AND planned_move_on IS NOT NULL)),
  CHECK (status NOT IN ('moved', 'reviewed') OR (moved_on IS NOT NULL AND review_due_on IS NOT NULL)),
  CHECK (status <> 'reviewed' OR (review_risk_fell IS NOT NULL AND review_ties_continued IS NOT NULL AND reviewed_at IS NOT NULL))
);
CREATE INDEX relocation_person_idx ON relocation (person_id);
CREATE INDEX relocation_review_due_idx ON relocation (review_due_on) WHERE status = 'moved';

-- Only a senior manager signs a relocation off, and not the person who wrote the assessment.
CREATE FUNCTION relocation_sign_off_by_senior_manager() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  IF NEW.signed_off_by_user_id IS NOT NULL AND (TG_OP = 'INSERT' OR OLD.signed_off_by_user_id IS DISTINCT FROM NEW.signed_off_by_user_id) THEN
    IF NEW.signed_off_by_user_id = NEW.created_by_user_id
       OR NOT EXISTS (SELECT 1 FROM app_user WHERE id = NEW.signed_off_by_user_id AND senior_manager AND active) THEN
      RAISE EXCEPTION 'a relocation risk assessment is signed off by a senior manager other than its author' USING ERRCODE = 'check_violation';
    END IF;
  END IF;
  RETURN NEW;
END
$fn$;
CREATE TRIGGER relocation_sign_off_by_senior_manager BEFORE INSERT OR UPDATE ON relocation
  FOR EACH ROW EXECUTE FUNCTION relocation_sign_off_by_senior_manager();

-- A child's case moving from one partnership to another: opened when their current address moves
-- into another partnership's area (or before a planned relocation: pre_move), waiting at the
-- receiving front door until a team manager there accepts or declines it.
CREATE TABLE transfer (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES person(id) ON DELETE CASCADE,
  from_partnership_id uuid NOT NULL REFERENCES partnership(id),
  to_partnership_id uuid NOT NULL REFERENCES partnership(id),
  address_id uuid REFERENCES person_address(id) ON DELETE SET NULL,
  relocation_id uuid REFERENCES relocation(id) ON DELETE SET NULL,
  status text NOT NULL CHECK (status IN ('pre_move', 'waiting', 'accepted', 'declined')),
  on_plan boolean NOT NULL DEFAULT false,
  opened_at timestamptz NOT NULL DEFAULT now(),
  escalate_at timestamptz,
  escalated_at timestamptz,
  decided_at timestamptz,
  decided_by_user_id uuid REFERENCES app_user(id),
  decline_reason text CHECK (decline_reason IS NULL OR length(decline_reason) BETWEEN 20 AND 4000),
  involvement_id uuid REFERENCES involvement(id) ON DELETE SET NULL,
  CHECK (from_partnership_id <> to_partnership_id),
  CHECK (status <> 'declined' OR decline_reason IS NOT NULL),
  CHECK ((status IN ('accepted', 'declined')) = (decided_at IS NOT NULL))
);
CREATE UNIQUE INDEX transfer_address_idx ON transfer (address_id) WHERE address_id IS NOT NULL;
-- One open transfer of a child to a partnership at a time.
CREATE UNIQUE INDEX transfer_open_idx ON transfer (person_id, to_partnership_id) WHERE status IN ('pre_move', 'waiting');
CREATE INDEX transfer_to_idx ON transfer (to_partnership_id, status);
CREATE INDEX transfer_person_idx ON transfer (person_id);

-- What a transfer tells people who must act on it (no entry behind it, so not an alert): the
-- escalation of a transfer left waiting, a decline told to the sender, a planned move told to the
-- receiving front door. One per recipient, transfer and kind.
CREATE TABLE transfer_notice (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  transfer_id uuid NOT NULL REFERENCES transfer(id) ON DELETE CASCADE,
  recipient_user_id uuid NOT NULL REFERENCES app_user(id),
  kind text NOT NULL CHECK (kind IN ('escalation', 'declined', 'pre_move')),
  created_at timestamptz NOT NULL DEFAULT now(),
  acknowledged_at timestamptz,
  UNIQUE (transfer_id, recipient_user_id, kind)
);
CREATE INDEX transfer_notice_recipient_idx ON transfer_notice (recipient_user_id) WHERE acknowledged_at IS NULL;

-- Every writer of addresses (intake, pages, seeding, the command line) goes through this: when an
-- insert makes a record's current address one in another partnership's area than its address before,
-- an outbox row asks the transfers processor to open a transfer. Moves dated more than 180 days ago
-- (history loaded late) open nothing.
CREATE FUNCTION person_address_partnership_moved() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  INSERT INTO outbox (kind, payload, dedupe_key)
  SELECT 'transfer.address_changed',
         jsonb_build_object('personId', cur.person_id, 'addressId', cur.address_id, 'fromPartnershipId', prev.partnership_id, 'toPartnershipId', cur.partnership_id),
         cur.address_id::text
  FROM (SELECT DISTINCT person_id FROM new_addresses) p
  CROSS JOIN LATERAL (
    SELECT a.id AS address_id, a.person_id, a.valid_from, pa.partnership_id
    FROM person_address a JOIN partnership_area pa ON pa.borough = a.borough
    WHERE a.person_id = p.person_id
      AND (a.valid_from IS NULL OR a.valid_from <= current_date) AND (a.valid_to IS NULL OR a.valid_to >= current_date)
    ORDER BY a.valid_from DESC NULLS LAST, a.id LIMIT 1
  ) cur
  CROSS JOIN LATERAL (
    SELECT pa.partnership_id
    FROM person_address a JOIN partnership_area pa ON pa.borough = a.borough
    WHERE a.person_id = p.person_id AND a.id NOT IN (SELECT id FROM new_addresses)
    ORDER BY (a.valid_to IS NULL OR a.valid_to >= current_date) DESC, a.valid_from DESC NULLS LAST, a.id LIMIT 1
  ) prev
  WHERE cur.address_id IN (SELECT id FROM new_addresses)
    AND prev.partnership_id <> cur.partnership_id
    AND (cur.valid_from IS NULL OR cur.valid_from >= current_date - 180)
  ON CONFLICT DO NOTHING;
  IF FOUND THEN PERFORM pg_notify('jigsaw_outbox', ''); END IF;
  RETURN NULL;
END
$fn$;
CREATE TRIGGER person_address_partnership_moved AFTER INSERT ON person_address
  REFERENCING NEW TABLE AS new_addresses FOR EACH STATEMENT EXECUTE FUNCTION person_address_partnership_moved();
`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    DROP TRIGGER IF EXISTS person_address_partnership_moved ON person_address; DROP FUNCTION IF EXISTS person_address_partnership_moved();
    DROP TABLE IF EXISTS transfer_notice; DROP TABLE IF EXISTS transfer;
    DROP TABLE IF EXISTS relocation; DROP FUNCTION IF EXISTS relocation_sign_off_by_senior_manager();
    ALTER TABLE app_user DROP COLUMN IF EXISTS senior_manager;
    ALTER TABLE partnership DROP COLUMN IF EXISTS transfer_watch_days, DROP COLUMN IF EXISTS transfer_escalation_working_days,
      DROP COLUMN IF EXISTS transfer_escalation_working_days_on_plan;
  `).execute(db);
}
