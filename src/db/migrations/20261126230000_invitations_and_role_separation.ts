import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const CASE_ROLES = ['practitioner', 'team_manager', 'designated_safeguarding_lead', 'panel_coordinator'];
const OVERSIGHT_ROLES = ['data_protection_officer', 'partnership_admin'];
const list = (values: string[]) => values.map((v) => `'${v}'`).join(', ');

const UP = `
-- Roles that see children's records and roles that oversee access are never held together.
-- An existing account holding both stops the upgrade with a clear message: its roles must be
-- split first (the administrator, or an operator in SQL) rather than silently cut here.
DO $$
DECLARE mixed integer;
BEGIN
  SELECT count(*) INTO mixed FROM app_user
    WHERE roles && ARRAY[${list(CASE_ROLES)}]::text[] AND roles && ARRAY[${list(OVERSIGHT_ROLES)}]::text[];
  IF mixed > 0 THEN
    RAISE EXCEPTION '% user account(s) hold both a case-holding role (${CASE_ROLES.join(', ')}) and an oversight role (${OVERSIGHT_ROLES.join(', ')}); remove one set from each before upgrading', mixed;
  END IF;
END $$;
ALTER TABLE app_user ADD CONSTRAINT app_user_case_and_oversight_roles_apart
  CHECK (NOT (roles && ARRAY[${list(CASE_ROLES)}]::text[] AND roles && ARRAY[${list(OVERSIGHT_ROLES)}]::text[]));

-- A new user sets their own password through a single-use, expiring link sent by email. Only the
-- SHA-256 of the link's token is kept; it is set when the email is sent (by the outbox processor).
CREATE TABLE user_invitation (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES app_user(id),
  invited_by uuid NOT NULL REFERENCES app_user(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  token_hash text UNIQUE CHECK (token_hash ~ '^[0-9a-f]{64}$'),
  sent_at timestamptz,
  expires_at timestamptz,
  used_at timestamptz,
  revoked_at timestamptz,
  CHECK (used_at IS NULL OR revoked_at IS NULL)
);
CREATE INDEX user_invitation_user_idx ON user_invitation (user_id);
COMMENT ON TABLE user_invitation IS 'Single-use, expiring invitations to set a first password (only the token''s hash is stored)';

-- Nobody reviews their own use of emergency access (the review route refuses it too).
CREATE FUNCTION reject_own_break_glass_review() RETURNS trigger LANGUAGE plpgsql AS $f$
BEGIN
  IF EXISTS (SELECT 1 FROM break_glass WHERE id = NEW.break_glass_id AND user_id = NEW.reviewed_by) THEN
    RAISE EXCEPTION 'a use of emergency access cannot be reviewed by the person who used it' USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $f$;
CREATE TRIGGER break_glass_review_not_own BEFORE INSERT ON break_glass_review
  FOR EACH ROW EXECUTE FUNCTION reject_own_break_glass_review();
`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`
DROP TRIGGER IF EXISTS break_glass_review_not_own ON break_glass_review;
DROP FUNCTION IF EXISTS reject_own_break_glass_review();
DROP TABLE IF EXISTS user_invitation;
ALTER TABLE app_user DROP CONSTRAINT IF EXISTS app_user_case_and_oversight_roles_apart;
`).execute(db);
}
