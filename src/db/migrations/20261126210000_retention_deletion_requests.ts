import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const UP = `
-- Erasing a record the retention rules do not make due needs two data protection officers: one
-- asks, with the reason and the legal basis; a different one approves, and the deletion happens
-- then, under a "delete" decision the approval names. The row records who asked, who approved
-- and when; the database itself refuses an approval by the requester.
CREATE TABLE retention_deletion_request (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  person_id uuid NOT NULL REFERENCES person(id),
  reason text NOT NULL CHECK (length(trim(reason)) >= 10),
  legal_basis text NOT NULL CHECK (length(trim(legal_basis)) >= 10),
  requested_by uuid NOT NULL REFERENCES app_user(id),
  requested_at timestamptz NOT NULL DEFAULT now(),
  approved_by uuid REFERENCES app_user(id),
  approved_at timestamptz,
  decision_id uuid REFERENCES retention_decision(id),
  CONSTRAINT retention_deletion_request_not_self_approved CHECK (approved_by IS NULL OR approved_by <> requested_by),
  CHECK ((approved_by IS NULL) = (approved_at IS NULL) AND (approved_by IS NULL) = (decision_id IS NULL))
);
CREATE INDEX retention_deletion_request_pending_idx ON retention_deletion_request (requested_at) WHERE approved_by IS NULL;
-- One open request per record.
CREATE UNIQUE INDEX retention_deletion_request_open_idx ON retention_deletion_request (person_id) WHERE approved_by IS NULL;
`;

const DOWN = `
DROP TABLE IF EXISTS retention_deletion_request;
`;

/** Deletion requests for records not due for review, approved by a second data protection officer. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

/** Removes them. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(DOWN).execute(db);
}
