import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const ROLES = [
  'practitioner', 'team_manager', 'designated_safeguarding_lead', 'panel_coordinator',
  'analyst', 'data_protection_officer', 'partnership_admin',
  'partnership_lead', 'scrutineer', 'quality_assurance_lead',
];
const BEFORE = ROLES.slice(0, 7);
const list = (values: string[]) => values.map((v) => `'${v}'`).join(', ');

export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(`
-- The partnership's oversight roles: its lead (and board), scrutineers and quality assurance leads.
ALTER TABLE app_user DROP CONSTRAINT app_user_roles_check;
ALTER TABLE app_user ADD CONSTRAINT app_user_roles_check CHECK (cardinality(roles) > 0 AND roles <@ ARRAY[${list(ROLES)}]::text[]);

-- Dashboard tiles count entries of a few types over a period: this keeps each an index range.
CREATE INDEX event_type_occurred_idx ON event (event_type_code, occurred_at);
`).execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`
DROP INDEX IF EXISTS event_type_occurred_idx;
ALTER TABLE app_user DROP CONSTRAINT app_user_roles_check;
ALTER TABLE app_user ADD CONSTRAINT app_user_roles_check CHECK (cardinality(roles) > 0 AND roles <@ ARRAY[${list(BEFORE)}]::text[]);
`).execute(db);
}
