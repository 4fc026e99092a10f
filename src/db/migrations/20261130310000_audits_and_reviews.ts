import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const GRADES = `'outstanding', 'good', 'requires_improvement', 'inadequate'`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
-- A multi-agency case audit: a quality assurance lead's questions about a cohort of children chosen
-- from live data (at random, or from a dashboard measure), graded by each agency involved.
CREATE TABLE case_audit (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  partnership_id uuid NOT NULL REFERENCES partnership(id),
  title text NOT NULL CHECK (length(title) BETWEEN 3 AND 200),
  theme text NOT NULL CHECK (length(theme) BETWEEN 2 AND 100),
  questions text[] NOT NULL CHECK (cardinality(questions) BETWEEN 1 AND 20),
  selection text NOT NULL CHECK (selection IN ('random', 'measure')),
  -- For a cohort chosen from a dashboard measure: the tile (and the row of its table) it came from.
  measure text CHECK (measure IS NULL OR length(measure) <= 200),
  created_by_user_id uuid NOT NULL REFERENCES app_user(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((selection = 'measure') = (measure IS NOT NULL))
);
CREATE INDEX case_audit_partnership_idx ON case_audit (partnership_id, created_at DESC);

CREATE TABLE case_audit_case (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  audit_id uuid NOT NULL REFERENCES case_audit(id) ON DELETE CASCADE,
  person_id uuid NOT NULL REFERENCES person(id) ON DELETE CASCADE,
  -- How the audit names the case to those who may not open the child's record (A1, A2, ...).
  reference text NOT NULL CHECK (reference ~ '^A[0-9]{1,4}$'),
  UNIQUE (audit_id, person_id),
  UNIQUE (audit_id, reference)
);

-- One agency's grade for one question about one case: of its own practice, or of the multi-agency practice.
CREATE TABLE case_audit_grade (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  case_id uuid NOT NULL REFERENCES case_audit_case(id) ON DELETE CASCADE,
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  question integer NOT NULL CHECK (question BETWEEN 1 AND 20),
  practice text NOT NULL CHECK (practice IN ('own', 'multi_agency')),
  grade text NOT NULL CHECK (grade IN (${GRADES})),
  finding text CHECK (finding IS NULL OR length(finding) BETWEEN 1 AND 4000),
  graded_by_user_id uuid NOT NULL REFERENCES app_user(id),
  graded_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (case_id, organisation_id, question, practice)
);

-- A finding made into an action, tracked to done.
CREATE TABLE case_audit_action (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  audit_id uuid NOT NULL REFERENCES case_audit(id) ON DELETE CASCADE,
  grade_id uuid REFERENCES case_audit_grade(id) ON DELETE SET NULL,
  description text NOT NULL CHECK (length(description) BETWEEN 3 AND 2000),
  owner_organisation_id uuid NOT NULL REFERENCES organisation(id),
  due_on date NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'done')),
  done_at timestamptz,
  created_by_user_id uuid NOT NULL REFERENCES app_user(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((status = 'done') = (done_at IS NOT NULL))
);
CREATE INDEX case_audit_action_audit_idx ON case_audit_action (audit_id);

-- Learning reviews (rapid review, local child safeguarding practice review, thematic audit) and their recommendations.
CREATE TABLE learning_review (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  partnership_id uuid NOT NULL REFERENCES partnership(id),
  kind text NOT NULL CHECK (kind IN ('rapid_review', 'lcspr', 'thematic_audit')),
  title text NOT NULL CHECK (length(title) BETWEEN 3 AND 200),
  published_on date NOT NULL,
  findings text NOT NULL CHECK (length(findings) BETWEEN 1 AND 20000),
  created_by_user_id uuid NOT NULL REFERENCES app_user(id),
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX learning_review_partnership_idx ON learning_review (partnership_id, published_on DESC);

CREATE TABLE review_recommendation (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  review_id uuid NOT NULL REFERENCES learning_review(id) ON DELETE CASCADE,
  text text NOT NULL CHECK (length(text) BETWEEN 3 AND 4000),
  -- A theme from the partnership's list, so recommendations that recur across reviews are found.
  theme text NOT NULL CHECK (length(theme) BETWEEN 2 AND 100),
  owner_user_id uuid NOT NULL REFERENCES app_user(id),
  agencies uuid[] NOT NULL DEFAULT '{}',
  due_on date NOT NULL,
  status text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'in_progress', 'done', 'not_accepted')),
  -- What shows it worked: a dashboard measure (a tile's key) or an audit, with a note.
  evidence_kind text CHECK (evidence_kind IN ('dashboard', 'audit')),
  evidence_ref text CHECK (evidence_ref IS NULL OR length(evidence_ref) <= 200),
  evidence_note text CHECK (evidence_note IS NULL OR length(evidence_note) <= 4000),
  done_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK ((evidence_kind IS NULL) = (evidence_ref IS NULL)),
  CHECK (status <> 'done' OR (evidence_kind IS NOT NULL AND done_at IS NOT NULL))
);
CREATE INDEX review_recommendation_review_idx ON review_recommendation (review_id);
`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`
DROP TABLE IF EXISTS review_recommendation;
DROP TABLE IF EXISTS learning_review;
DROP TABLE IF EXISTS case_audit_action;
DROP TABLE IF EXISTS case_audit_grade;
DROP TABLE IF EXISTS case_audit_case;
DROP TABLE IF EXISTS case_audit;
`).execute(db);
}
