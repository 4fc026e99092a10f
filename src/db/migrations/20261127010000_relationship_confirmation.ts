import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const UP = `
-- A relationship with a child that a person in an organisation confirmed (after their organisation's
-- records about the child were imported): who, in what role, from when, and why. Confirming creates
-- the involvement that grants access; the data protection officer reviews every confirmation.
CREATE TABLE relationship_confirmation (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  involvement_id uuid REFERENCES involvement(id) ON DELETE SET NULL,
  person_id uuid NOT NULL REFERENCES person(id),
  user_id uuid NOT NULL REFERENCES app_user(id),
  organisation_id uuid NOT NULL REFERENCES organisation(id),
  role text NOT NULL,
  started_on date NOT NULL,
  reason text NOT NULL CHECK (length(reason) BETWEEN 20 AND 2000),
  batch_id uuid NOT NULL REFERENCES intake_batch(id),
  batch_seq integer NOT NULL,
  confirmed_at timestamptz NOT NULL DEFAULT now(),
  reviewed_by uuid REFERENCES app_user(id),
  reviewed_at timestamptz,
  review_note text,
  CHECK ((reviewed_by IS NULL) = (reviewed_at IS NULL))
);
CREATE INDEX relationship_confirmation_person_idx ON relationship_confirmation (person_id);
CREATE INDEX relationship_confirmation_confirmed_idx ON relationship_confirmation (confirmed_at);
COMMENT ON TABLE relationship_confirmation IS 'Relationships with a child confirmed by a person after an import, with a reason; reviewed by the DPO';
`;

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw('DROP TABLE IF EXISTS relationship_confirmation;').execute(db);
}
