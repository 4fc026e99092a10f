import { sql, type Kysely } from 'kysely';

const UP = `
CREATE TABLE sharing_agreement (
  id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name text NOT NULL,
  provider_organisation_id uuid REFERENCES organisation(id),
  recipient_organisation_id uuid REFERENCES organisation(id),
  categories text[] NOT NULL DEFAULT '{}',
  purpose text NOT NULL,
  valid_from date NOT NULL DEFAULT current_date,
  valid_to date,
  created_by uuid REFERENCES app_user(id),
  created_at timestamptz NOT NULL DEFAULT now(),
  CHECK (valid_to IS NULL OR valid_to >= valid_from)
);
COMMENT ON COLUMN sharing_agreement.provider_organisation_id IS 'NULL: every partner organisation';
COMMENT ON COLUMN sharing_agreement.recipient_organisation_id IS 'NULL: every partner organisation';
COMMENT ON COLUMN sharing_agreement.categories IS 'Event categories shared; empty: every category';

-- The partnership starts from its safeguarding arrangements: every partner shares every category
-- for safeguarding. Administrators narrow this by ending it and recording specific agreements.
INSERT INTO sharing_agreement (name, categories, purpose, valid_from)
VALUES ('Partnership safeguarding arrangements', '{}', 'Safeguarding children at risk of serious youth violence and extra-familial harm', DATE '2020-01-01');
`;

const DOWN = `DROP TABLE IF EXISTS sharing_agreement;`;

/** Organisation-level information sharing agreements. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

/** Removes them. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(DOWN).execute(db);
}
