import { sql, type Kysely } from 'kysely';

/**
 * Lets the application's role refresh the planner's statistics for one of the application's tables
 * while it loads data (an import), with a given sample size. The role owns no table, and before
 * PostgreSQL 17 (MAINTAIN) only a table's owner may ANALYZE it: the role's ANALYZE was skipped with a
 * warning. The function runs as its owner (the migrator), does nothing but ANALYZE, and only in the
 * public schema; no one but the roles granted EXECUTE (grants.ts: the application's role) may call it.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`
CREATE FUNCTION refresh_planner_statistics(target regclass, sample_target integer) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $fn$
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                 WHERE c.oid = target AND n.nspname = 'public' AND c.relkind IN ('r', 'p')) THEN
    RAISE EXCEPTION 'refresh_planner_statistics: % is not a table of the application', target;
  END IF;
  IF sample_target NOT BETWEEN 1 AND 10000 THEN
    RAISE EXCEPTION 'refresh_planner_statistics: sample target % is out of range', sample_target;
  END IF;
  -- For this transaction only: the sample ANALYZE takes (300 rows a unit).
  PERFORM set_config('default_statistics_target', sample_target::text, true);
  EXECUTE format('ANALYZE %s', target);
END
$fn$;
REVOKE ALL ON FUNCTION refresh_planner_statistics(regclass, integer) FROM PUBLIC;
`.execute(db);
}

export async function down(db: Kysely<any>): Promise<void> {
  await sql`DROP FUNCTION IF EXISTS refresh_planner_statistics(regclass, integer)`.execute(db);
}
