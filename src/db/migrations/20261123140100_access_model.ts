import { sql, type Kysely } from 'kysely';

const UP = `
-- Break-glass: time-limited access with a stated reason; every use is reviewed by the DPO.
CREATE TABLE break_glass (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  user_id uuid NOT NULL REFERENCES app_user(id),
  person_id uuid NOT NULL REFERENCES person(id),
  reason text NOT NULL CHECK (length(trim(reason)) >= 20),
  started_at timestamptz NOT NULL DEFAULT now(),
  expires_at timestamptz NOT NULL,
  CHECK (expires_at > started_at)
);
CREATE INDEX break_glass_user_idx ON break_glass (user_id, expires_at);
CREATE TRIGGER break_glass_append_only BEFORE UPDATE OR DELETE ON break_glass
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();

CREATE TABLE break_glass_review (
  break_glass_id uuid PRIMARY KEY REFERENCES break_glass(id),
  reviewed_by uuid NOT NULL REFERENCES app_user(id),
  reviewed_at timestamptz NOT NULL DEFAULT now(),
  note text
);
CREATE TRIGGER break_glass_review_append_only BEFORE UPDATE OR DELETE ON break_glass_review
  FOR EACH ROW EXECUTE FUNCTION reject_append_only_change();

-- Restricted entries: whom to ask, and the people and roles who may see the content.
CREATE TABLE event_restriction (
  event_id uuid PRIMARY KEY REFERENCES event(id),
  contact text NOT NULL,
  reason text
);
CREATE TABLE event_restriction_grant (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  event_id uuid NOT NULL REFERENCES event(id),
  user_id uuid REFERENCES app_user(id),
  role text,
  organisation_id uuid REFERENCES organisation(id),
  CHECK (user_id IS NOT NULL OR role IS NOT NULL)
);
CREATE INDEX event_restriction_grant_event_idx ON event_restriction_grant (event_id);

-- Field-level protection: a relocated family's address.
ALTER TABLE person_address ADD COLUMN protected boolean NOT NULL DEFAULT false;
`;

const DOWN = `
ALTER TABLE person_address DROP COLUMN protected;
DROP TABLE IF EXISTS event_restriction_grant, event_restriction, break_glass_review, break_glass;
`;

/** Break-glass access, restricted-entry grants and protected addresses. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

/** Removes them. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(DOWN).execute(db);
}
