import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const UP = `
-- Identifiers agencies genuinely share, each of a scheme that says who issues it: the Unique Learner
-- Number, the Police National Computer id, and a local authority's child id (held with the issuing
-- authority's three-digit code before it, so two authorities' ids never meet).
ALTER TABLE person_identifier DROP CONSTRAINT person_identifier_scheme_check;
ALTER TABLE person_identifier ADD CONSTRAINT person_identifier_scheme_check
  CHECK (scheme IN ('nhs_number', 'upn', 'police_id', 'local_id', 'uln', 'pnc_id', 'la_child_id'));
`;

/** Person identifiers may be ULNs, PNC ids and local authority child ids. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

/** Reverts: identifiers of the new schemes go, and the check is as it was. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw(`DELETE FROM person_identifier WHERE scheme IN ('uln', 'pnc_id', 'la_child_id');
    ALTER TABLE person_identifier DROP CONSTRAINT person_identifier_scheme_check;
    ALTER TABLE person_identifier ADD CONSTRAINT person_identifier_scheme_check CHECK (scheme IN ('nhs_number', 'upn', 'police_id', 'local_id'));`).execute(db);
}
