import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const UP = `
-- When the child gave the interview's current answer (accepted or declined).
ALTER TABLE return_interview ADD COLUMN outcome_at timestamptz;
UPDATE return_interview SET outcome_at = COALESCE(offered_at, completed_at, updated_at) WHERE outcome IS NOT NULL;
ALTER TABLE return_interview ADD CONSTRAINT return_interview_outcome_at CHECK ((outcome IS NULL) = (outcome_at IS NULL));

-- Every answer an interview has had, in order: the child's answer (accepted, declined, or none
-- when a recorded answer was withdrawn), when it was given, and when it was recorded. Counting
-- "as of" a moment takes, for each interview, the latest answer given by then, so a count as of
-- last month does not include a later acceptance. Rows are never changed.
CREATE TABLE return_interview_outcome (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  interview_id uuid NOT NULL REFERENCES return_interview(id) ON DELETE CASCADE,
  person_id uuid NOT NULL REFERENCES person(id),
  outcome text CHECK (outcome IN ('accepted', 'declined')),
  outcome_at timestamptz NOT NULL,
  recorded_at timestamptz NOT NULL DEFAULT now(),
  recorded_by_user_id uuid REFERENCES app_user(id)
);
CREATE INDEX return_interview_outcome_idx ON return_interview_outcome (interview_id, outcome_at);
INSERT INTO return_interview_outcome (interview_id, person_id, outcome, outcome_at, recorded_at, recorded_by_user_id)
  SELECT id, person_id, outcome, outcome_at, updated_at, updated_by_user_id FROM return_interview WHERE outcome IS NOT NULL;
COMMENT ON TABLE return_interview_outcome IS 'The answers a return home interview has had (accepted, declined, withdrawn), when given and when recorded';

-- A further chronology entry about an episode that already has one: a police "found" report
-- sent as a record of its own. The episode takes its found time from it; the profile shows the
-- episode once.
CREATE TABLE missing_episode_report (
  event_id uuid PRIMARY KEY REFERENCES event(id) ON DELETE CASCADE,
  episode_id uuid NOT NULL REFERENCES missing_episode(id) ON DELETE CASCADE,
  person_id uuid NOT NULL REFERENCES person(id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX missing_episode_report_episode_idx ON missing_episode_report (episode_id);
COMMENT ON TABLE missing_episode_report IS 'A further entry about a missing episode (a police found report), linked to the episode it completed';

-- Erasing a child's record deletes their interviews and episodes (person_erased_missing), and
-- these rows with them (ON DELETE CASCADE).
`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`
    DROP TABLE IF EXISTS missing_episode_report; DROP TABLE IF EXISTS return_interview_outcome;
    ALTER TABLE return_interview DROP CONSTRAINT IF EXISTS return_interview_outcome_at;
    ALTER TABLE return_interview DROP COLUMN IF EXISTS outcome_at;
  `).execute(db);
}
