import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const LEVEL_RANK = (col: string) => `array_position(ARRAY['low', 'medium', 'high', 'very_high'], ${col})`;

const UP = `
CREATE TABLE assessment (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES person(id),
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  assessor_user_id uuid NOT NULL REFERENCES app_user(id),
  based_on_assessment_id uuid REFERENCES assessment(id),
  previous_level text CHECK (previous_level IN ('low', 'medium', 'high', 'very_high')),
  status text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'awaiting_sign_off', 'signed_off')),
  return_note text,
  created_at timestamptz NOT NULL DEFAULT now(),
  submitted_at timestamptz,
  signed_off_at timestamptz,
  signed_off_by_user_id uuid REFERENCES app_user(id),
  CHECK ((status = 'signed_off') = (signed_off_at IS NOT NULL AND signed_off_by_user_id IS NOT NULL)),
  CHECK (signed_off_by_user_id IS NULL OR signed_off_by_user_id <> assessor_user_id)
);
CREATE INDEX assessment_person_idx ON assessment (person_id, created_at);
CREATE INDEX assessment_assessor_idx ON assessment (assessor_user_id);
CREATE INDEX assessment_org_status_idx ON assessment (organisation_id, status);

-- Every saved version of an assessment's content; the header above only moves through its statuses.
CREATE TABLE assessment_version (
  assessment_id uuid NOT NULL REFERENCES assessment(id),
  version integer NOT NULL CHECK (version >= 1),
  saved_by_user_id uuid NOT NULL REFERENCES app_user(id),
  saved_at timestamptz NOT NULL DEFAULT now(),
  risk_home text,
  risk_peers text,
  risk_school text,
  risk_community text,
  risk_online text,
  risk_to_others text,
  strengths text,
  child_views text,
  family_views text,
  analysis text,
  level text CHECK (level IN ('low', 'medium', 'high', 'very_high')),
  level_rationale text,
  previous_level text CHECK (previous_level IN ('low', 'medium', 'high', 'very_high')),
  lowering_reason text,
  review_on date,
  PRIMARY KEY (assessment_id, version),
  -- Risk never drops silently: a lower level than the last signed-off one carries its reason.
  CONSTRAINT assessment_lowering_needs_reason CHECK (
    level IS NULL OR previous_level IS NULL
    OR ${LEVEL_RANK('level')} >= ${LEVEL_RANK('previous_level')}
    OR length(trim(coalesce(lowering_reason, ''))) > 0
  )
);

CREATE TABLE panel_referral_due (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES person(id),
  assessment_id uuid NOT NULL UNIQUE REFERENCES assessment(id),
  level text NOT NULL CHECK (level IN ('high', 'very_high')),
  previous_level text,
  recorded_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX panel_referral_due_person_idx ON panel_referral_due (person_id);

CREATE FUNCTION reject_signed_off_assessment_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF OLD.status = 'signed_off' THEN
    RAISE EXCEPTION 'a signed-off assessment cannot be changed: start a new one'
      USING ERRCODE = 'insufficient_privilege';
  END IF;
  IF TG_OP = 'DELETE' THEN
    RAISE EXCEPTION 'assessments are never deleted' USING ERRCODE = 'insufficient_privilege';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER assessment_signed_off_frozen BEFORE UPDATE OR DELETE ON assessment
  FOR EACH ROW EXECUTE FUNCTION reject_signed_off_assessment_change();

CREATE TABLE rule (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  code text NOT NULL UNIQUE CHECK (code ~ '^[a-z][a-z0-9_]*$'),
  active boolean NOT NULL DEFAULT true,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE rule_version (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  rule_id uuid NOT NULL REFERENCES rule(id),
  version integer NOT NULL CHECK (version >= 1),
  name text NOT NULL CHECK (length(trim(name)) > 0),
  rationale text NOT NULL CHECK (length(trim(rationale)) > 0),
  definition jsonb NOT NULL,
  change_reason text NOT NULL CHECK (length(trim(change_reason)) > 0),
  created_by_user_id uuid REFERENCES app_user(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (rule_id, version)
);

-- Where considerations go in a borough when a child has no lead professional.
CREATE TABLE front_door (
  borough text PRIMARY KEY,
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  team_id uuid REFERENCES team(id)
);

CREATE TABLE consideration (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES person(id),
  rule_version_id uuid NOT NULL REFERENCES rule_version(id),
  evidence_key text NOT NULL,
  matched_event_ids uuid[] NOT NULL CHECK (cardinality(matched_event_ids) > 0),
  explanation text NOT NULL,
  recipient_kind text NOT NULL CHECK (recipient_kind IN ('lead_professional', 'front_door', 'unrouted')),
  recipient_user_id uuid REFERENCES app_user(id),
  recipient_team_id uuid REFERENCES team(id),
  recipient_organisation_id uuid REFERENCES organisation(id),
  created_via text NOT NULL CHECK (created_via IN ('event', 'full_pass')),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (rule_version_id, person_id, evidence_key),
  CHECK ((recipient_kind = 'unrouted') = (recipient_organisation_id IS NULL))
);
CREATE INDEX consideration_person_idx ON consideration (person_id, created_at);
CREATE INDEX consideration_user_idx ON consideration (recipient_user_id) WHERE recipient_user_id IS NOT NULL;
CREATE INDEX consideration_org_idx ON consideration (recipient_organisation_id, created_at);

CREATE TABLE consideration_decision (
  consideration_id uuid PRIMARY KEY REFERENCES consideration(id),
  decision text NOT NULL CHECK (decision IN ('offer_of_help', 'already_in_hand', 'no_action')),
  service text,
  reason text,
  decided_by_user_id uuid NOT NULL REFERENCES app_user(id),
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  decided_at timestamptz NOT NULL DEFAULT now(),
  CHECK (decision <> 'offer_of_help' OR length(trim(coalesce(service, ''))) > 0),
  CHECK (decision <> 'no_action' OR length(trim(coalesce(reason, ''))) > 0)
);

CREATE TABLE population_baseline (
  dimension text NOT NULL CHECK (dimension IN ('ethnicity_group', 'sex', 'age_band')),
  category text NOT NULL,
  children integer NOT NULL CHECK (children >= 0),
  source text NOT NULL,
  updated_by_user_id uuid REFERENCES app_user(id),
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (dimension, category)
);

CREATE TRIGGER assessment_version_append_only BEFORE UPDATE OR DELETE ON assessment_version
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER assessment_version_truncate_refused BEFORE TRUNCATE ON assessment_version
  FOR EACH STATEMENT EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER panel_referral_due_append_only BEFORE UPDATE OR DELETE ON panel_referral_due
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER rule_version_append_only BEFORE UPDATE OR DELETE ON rule_version
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER rule_version_truncate_refused BEFORE TRUNCATE ON rule_version
  FOR EACH STATEMENT EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER consideration_append_only BEFORE UPDATE OR DELETE ON consideration
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER consideration_truncate_refused BEFORE TRUNCATE ON consideration
  FOR EACH STATEMENT EXECUTE FUNCTION reject_append_only_change();
CREATE TRIGGER consideration_decision_append_only BEFORE UPDATE OR DELETE ON consideration_decision
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();
`;

// The starter rules a partnership begins with; it revises or retires them (each change is a new version).
const STARTER_RULES: { code: string; name: string; rationale: string; definition: unknown }[] = [
  {
    code: 'common_experiences',
    name: 'Several common experiences within a year',
    rationale:
      'The children later hurt by serious youth violence had shared earlier experiences: domestic abuse, unmet learning and developmental needs, ' +
      'not being brought to appointments, exclusion, frequent moves, a relative in crime, bereavement and going missing (Bromley thematic audit 2023; ' +
      'Hillingdon learning from practice 2023). Four or more of them within twelve months is a prompt to ask whether the family has been offered help.',
    definition: {
      kind: 'distinct_experiences',
      experiences: [
        'domestic_abuse', 'neglect', 'send_need', 'speech_language_communication_need', 'adhd', 'not_brought_to_health_appointments',
        'excluded_from_school', 'in_alternative_provision', 'poor_attendance', 'frequent_moves', 'insecure_housing', 'poverty',
        'relative_involved_in_crime', 'parental_imprisonment', 'bereaved_through_violence', 'going_missing',
      ],
      atLeast: 4,
      withinDays: 365,
    },
  },
  {
    code: 'exclusion_then_missing',
    name: 'Exclusion followed by missing episodes',
    rationale:
      'Exclusion from school followed by going missing was a pattern before serious harm (Hillingdon learning from practice 2023; Brent review of Child K). ' +
      'Two or more missing episodes within 90 days of a suspension or exclusion is a prompt to check that education and return home interviews are in hand.',
    definition: {
      kind: 'sequence',
      first: { eventTypes: ['permanent_exclusion', 'suspension'] },
      then: { eventTypes: ['missing_episode'] },
      thenAtLeast: 2,
      withinDays: 90,
    },
  },
  {
    code: 'violent_bereavement_or_witness',
    name: 'Critical moment: violent death of someone close, or witnessing serious violence',
    rationale:
      "A friend's or relative's violent death, or witnessing serious violence, is a critical moment that raises the risk of retaliation and harm " +
      '(Brent review of Child K; Islington thematic review). Each one is a prompt to offer support promptly.',
    definition: { kind: 'critical_moment', match: { eventTypes: ['bereavement_through_violence', 'witness_to_serious_violence'] }, withinDays: 90 },
  },
  {
    code: 'second_serious_injury',
    name: 'Critical moment: a second stabbing or serious assault within a year',
    rationale:
      'A child hurt a second time by serious violence is at high risk of further harm (Brent review of Child K). Every such repeat is a prompt for an urgent multi-agency response.',
    definition: {
      kind: 'critical_moment',
      match: { eventTypes: ['ae_attendance_stab_wound', 'victim_of_serious_violence'] },
      atLeast: 2,
      withinDays: 365,
    },
  },
  {
    code: 'escalating_police_contact',
    name: 'Escalating missing episodes and police contact',
    rationale:
      'Lower-level concerns about criminality and going missing grew over time before serious harm (Bromley thematic audit 2023). Three or more such entries in 90 days, ' +
      'at least twice as many as in the 90 days before, is a prompt to review the plan.',
    definition: {
      kind: 'escalation',
      match: { eventTypes: ['missing_episode', 'arrest', 'suspect_in_offence', 'weapon_incident', 'stop_and_search', 'police_welfare_concern'] },
      windowDays: 90,
      atLeast: 3,
      ratio: 2,
    },
  },
];

/** Risk and vulnerability assessments, early identification rules and considerations, front doors and the fairness baseline. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
  for (const r of STARTER_RULES) {
    await sql`
      WITH created AS (INSERT INTO rule (code) VALUES (${r.code}) RETURNING id)
      INSERT INTO rule_version (rule_id, version, name, rationale, definition, change_reason)
      SELECT id, 1, ${r.name}, ${r.rationale}, ${JSON.stringify(r.definition)}::jsonb, 'Starter rule' FROM created`.execute(db);
  }
}

/** Removes assessments, rules, considerations and the baseline. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    DROP TABLE IF EXISTS population_baseline, consideration_decision, consideration, front_door, rule_version, rule,
      panel_referral_due, assessment_version, assessment;
    DROP FUNCTION IF EXISTS reject_signed_off_assessment_change();
  `).execute(db);
}
