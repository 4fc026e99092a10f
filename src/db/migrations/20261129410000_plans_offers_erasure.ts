import { sql, type Kysely } from 'kysely';

// Frozen in time: never edit a migration that has shipped; add a new one instead.

const UP = `
-- Erasing a child's record (retention) removes their plans (with actions, history, reviews and the
-- alerts about them) and their offers of help.
CREATE FUNCTION person_erased_plans_offers() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  DELETE FROM risk_plan WHERE person_id = NEW.id;
  DELETE FROM offer_of_help WHERE person_id = NEW.id;
  RETURN NEW;
END
$fn$;
CREATE TRIGGER person_erased_plans_offers AFTER UPDATE OF erased_at ON person
  FOR EACH ROW WHEN (NEW.erased_at IS NOT NULL AND OLD.erased_at IS NULL) EXECUTE FUNCTION person_erased_plans_offers();
`;

/** Erasing a child's record removes their plans and offers of help. */
export async function up(db: Kysely<any>): Promise<void> {
  await sql.raw(UP).execute(db);
}

/** Reverts: the trigger and its function go. */
export async function down(db: Kysely<any>): Promise<void> {
  await sql.raw('DROP TRIGGER IF EXISTS person_erased_plans_offers ON person; DROP FUNCTION IF EXISTS person_erased_plans_offers();').execute(db);
}
