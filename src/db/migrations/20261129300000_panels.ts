import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const UP = `
-- A kind of panel a partnership runs (MACE, an operational high-risk panel, strategy meetings, child
-- protection conferences, a complex case panel), how often it meets, and how many days before a
-- meeting its invitees may read the records of the children on the agenda.
CREATE TABLE panel_type (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  partnership_id uuid NOT NULL REFERENCES partnership(id),
  kind text NOT NULL CHECK (kind IN ('mace', 'operational_high_risk', 'strategy_meeting', 'initial_cp_conference',
    'review_cp_conference', 'transfer_in_cp_conference', 'complex_case')),
  name text NOT NULL CHECK (length(name) BETWEEN 2 AND 200),
  cadence_days integer NOT NULL CHECK (cadence_days BETWEEN 1 AND 366),
  access_days_before integer NOT NULL DEFAULT 10 CHECK (access_days_before BETWEEN 0 AND 60),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (partnership_id, name)
);

-- Standing members: an agency (and, when known, the person) with the role they take at every meeting.
CREATE TABLE panel_member (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  panel_type_id uuid NOT NULL REFERENCES panel_type(id) ON DELETE CASCADE,
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  user_id uuid REFERENCES app_user(id),
  role text NOT NULL CHECK (length(role) BETWEEN 2 AND 200),
  UNIQUE (panel_type_id, organisation_id, role)
);

-- One sitting of a panel. Invitees may read the agenda's children from access_from until access_until.
CREATE TABLE panel_meeting (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  panel_type_id uuid NOT NULL REFERENCES panel_type(id),
  held_at timestamptz NOT NULL,
  access_from timestamptz NOT NULL,
  access_until timestamptz NOT NULL,
  status text NOT NULL DEFAULT 'scheduled' CHECK (status IN ('scheduled', 'held', 'cancelled')),
  created_by_user_id uuid NOT NULL REFERENCES app_user(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  invitations_sent_at timestamptz,
  recorded_at timestamptz,
  recorded_by_user_id uuid REFERENCES app_user(id),
  CHECK (access_from <= held_at AND access_until > held_at),
  CHECK (status <> 'held' OR recorded_at IS NOT NULL)
);
CREATE INDEX panel_meeting_type_idx ON panel_meeting (panel_type_id, held_at);

-- How a child reaches an agenda: a practitioner's referral, an assessment at high or very high, a
-- consideration's decision, a critical moment, or a review falling due. Placed on a meeting once.
CREATE TABLE panel_referral (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES person(id) ON DELETE CASCADE,
  partnership_id uuid NOT NULL REFERENCES partnership(id),
  source text NOT NULL CHECK (source IN ('practitioner', 'assessment', 'consideration', 'critical_moment', 'review_due')),
  reason text NOT NULL CHECK (length(reason) BETWEEN 1 AND 5000),
  referred_by_user_id uuid REFERENCES app_user(id),
  organisation_id uuid REFERENCES organisation(id),
  assessment_id uuid UNIQUE REFERENCES assessment(id) ON DELETE CASCADE,
  meeting_id uuid REFERENCES panel_meeting(id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX panel_referral_waiting_idx ON panel_referral (partnership_id) WHERE meeting_id IS NULL;
CREATE INDEX panel_referral_person_idx ON panel_referral (person_id);

-- A child on a meeting's agenda, in its section (for review or a new referral), with what the
-- panel decided and when the child is next reviewed.
CREATE TABLE panel_agenda_item (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  meeting_id uuid NOT NULL REFERENCES panel_meeting(id) ON DELETE CASCADE,
  person_id uuid NOT NULL REFERENCES person(id) ON DELETE CASCADE,
  section text NOT NULL CHECK (section IN ('review', 'new_referral')),
  referral_id uuid REFERENCES panel_referral(id) ON DELETE SET NULL,
  decision text CHECK (decision IS NULL OR length(decision) BETWEEN 1 AND 10000),
  next_review_on date,
  UNIQUE (meeting_id, person_id)
);
CREATE INDEX panel_agenda_item_person_idx ON panel_agenda_item (person_id);

-- An agency invited to a meeting: by default (a statutory partner, the child's school, housing, an
-- agency involved with a child on the agenda, a standing member) or added by the coordinator. A
-- default invitee is left out only with a reason. Attendance is recorded after the meeting.
CREATE TABLE panel_invitation (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  meeting_id uuid NOT NULL REFERENCES panel_meeting(id) ON DELETE CASCADE,
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  basis text NOT NULL CHECK (basis IN ('statutory', 'school', 'housing', 'involved', 'standing', 'added')),
  excluded_reason text CHECK (excluded_reason IS NULL OR length(excluded_reason) BETWEEN 10 AND 2000),
  excluded_by_user_id uuid REFERENCES app_user(id),
  sent_at timestamptz,
  attendance text CHECK (attendance IN ('attended', 'apologies', 'absent')),
  attendee_name text CHECK (attendee_name IS NULL OR length(attendee_name) BETWEEN 1 AND 200),
  attendee_role text CHECK (attendee_role IS NULL OR length(attendee_role) BETWEEN 1 AND 200),
  UNIQUE (meeting_id, organisation_id),
  CHECK ((excluded_reason IS NULL) = (excluded_by_user_id IS NULL))
);

-- The people an invitation reached, in the app and by email. Each holds time-limited access to the
-- records of the children on the meeting's agenda (read in people.policy's visibility scope).
CREATE TABLE panel_invitee (
  invitation_id uuid NOT NULL REFERENCES panel_invitation(id) ON DELETE CASCADE,
  user_id uuid NOT NULL REFERENCES app_user(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  emailed_at timestamptz,
  read_at timestamptz,
  PRIMARY KEY (invitation_id, user_id)
);
CREATE INDEX panel_invitee_user_idx ON panel_invitee (user_id);

-- An agency's update about one child for a meeting: facts apart from opinion, and what it could not
-- share and why. Submitted only once every significant entry since the last review is acknowledged.
CREATE TABLE panel_update (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  meeting_id uuid NOT NULL REFERENCES panel_meeting(id) ON DELETE CASCADE,
  person_id uuid NOT NULL REFERENCES person(id) ON DELETE CASCADE,
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  author_user_id uuid NOT NULL REFERENCES app_user(id),
  facts text NOT NULL CHECK (length(facts) BETWEEN 1 AND 20000),
  opinion text CHECK (opinion IS NULL OR length(opinion) BETWEEN 1 AND 20000),
  not_shared text CHECK (not_shared IS NULL OR length(not_shared) BETWEEN 1 AND 10000),
  not_shared_reason text CHECK (not_shared_reason IS NULL OR length(not_shared_reason) BETWEEN 1 AND 10000),
  no_significant_incident boolean NOT NULL DEFAULT false,
  submitted_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (meeting_id, person_id, organisation_id),
  CHECK ((not_shared IS NULL) = (not_shared_reason IS NULL))
);

-- Each significant entry an update acknowledged.
CREATE TABLE panel_update_acknowledgement (
  update_id uuid NOT NULL REFERENCES panel_update(id) ON DELETE CASCADE,
  event_id uuid NOT NULL REFERENCES event(id) ON DELETE CASCADE,
  PRIMARY KEY (update_id, event_id)
);
`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`DROP TABLE IF EXISTS panel_update_acknowledgement, panel_update, panel_invitee, panel_invitation,
    panel_agenda_item, panel_referral, panel_meeting, panel_member, panel_type;`).execute(db);
}
