import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const UP = `
-- An organisation's code, as partners know it (an ODS code, a school's URN, a force or local
-- authority code): unique in the deployment whatever its case, so a file or a command names one
-- organisation by it. Organisations made before codes have none until an administrator gives one.
ALTER TABLE organisation ADD COLUMN code text
  CHECK (code ~ '^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$');
CREATE UNIQUE INDEX organisation_code_key ON organisation (upper(code)) WHERE code IS NOT NULL;
`;

/** Organisations gain a code, unique in the deployment. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

/** Reverts: the code goes. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw('DROP INDEX IF EXISTS organisation_code_key; ALTER TABLE organisation DROP COLUMN IF EXISTS code;').execute(db);
}
