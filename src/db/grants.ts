import { sql, type Kysely } from 'kysely';

/**
 * The application's database role: the role every request, command and worker acts as. It owns
 * nothing, so it cannot disable or drop the append-only triggers, alter or drop tables, or create
 * objects; migrations run as the tables' owner and then grant it what the product needs
 * (docs/security-model.md, "The application's database role").
 */
export const DEFAULT_APP_ROLE = 'jigsaw_app';

/** Role names we accept: lower-case SQL identifiers that need no quoting (also safe in a startup option). */
export const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertRoleName(role: string): void {
  if (!ROLE_NAME.test(role)) throw new Error(`Not a safe database role name: ${JSON.stringify(role)} (lower-case letters, digits and _)`);
}

/**
 * Tables whose rows are never changed. Their triggers refuse UPDATE, DELETE and TRUNCATE for
 * anyone; the app role is also not granted UPDATE or TRUNCATE on them, and DELETE only where a
 * recorded retention decision may delete (the trigger lets that through: retention/decide-retention.ts).
 * Other append-only tables keep full DML grants and rely on their triggers, which the app role,
 * owning nothing, cannot disable.
 */
export const APPEND_ONLY_GRANTS: Record<string, readonly ('SELECT' | 'INSERT' | 'DELETE')[]> = {
  event: ['SELECT', 'INSERT', 'DELETE'],
  event_person: ['SELECT', 'INSERT', 'DELETE'],
  access_log: ['SELECT', 'INSERT'],
};

/** The migrator's own bookkeeping: the app role gets nothing on these. */
const MIGRATOR_TABLES = ['kysely_migration', 'kysely_migration_lock'];

const quoted = (names: readonly string[]) => names.map((n) => `'${n}'`).join(', ');

/**
 * Run as the tables' owner after every migration run (migrateToLatest does): creates the app role
 * when it is missing (LOGIN, no password: on a trust-authenticated development server the app can
 * log in as it; elsewhere operators create it with a password, as creating roles needs CREATEROLE),
 * refuses a role that is or can become the owner, and (re)grants it exactly what the product needs
 * on every table, sequence and function in the schema, including those later migrations add.
 */
export async function grantAppRole(db: Kysely<any>, role: string): Promise<void> {
  assertRoleName(role);
  const appendOnly = Object.entries(APPEND_ONLY_GRANTS);
  const statements = `
SELECT pg_advisory_xact_lock(hashtext('jigsaw.grant_app_role'));
DO $grant$
DECLARE
  t record;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${role}') THEN
    BEGIN
      CREATE ROLE ${role} LOGIN;
    EXCEPTION
      WHEN duplicate_object OR unique_violation THEN NULL; -- created meanwhile by another migrator
      WHEN insufficient_privilege THEN
        RAISE EXCEPTION 'The application role "${role}" does not exist and % may not create it: create it first (CREATE ROLE ${role} LOGIN PASSWORD ''...''), then migrate again', current_user;
    END;
  END IF;
  IF '${role}' = current_user
     OR (SELECT rolsuper FROM pg_roles WHERE rolname = '${role}')
     OR pg_has_role('${role}', current_user, 'MEMBER') THEN
    RAISE EXCEPTION 'The application role "${role}" must not be the tables'' owner (%), a member of it, or a superuser: give the application a role of its own', current_user;
  END IF;
  IF EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE n.nspname = 'public' AND pg_has_role('${role}', c.relowner, 'MEMBER')) THEN
    RAISE EXCEPTION 'The application role "${role}" owns objects in the schema: it must own nothing';
  END IF;

  -- Nobody but the owner creates objects: not in the schema, and no temporary tables that would
  -- shadow the real ones for the rest of a pooled connection's life. (Without the right to revoke,
  -- PostgreSQL only warns; the application checks what its role may do when it connects.)
  GRANT USAGE ON SCHEMA public TO ${role};
  REVOKE CREATE ON SCHEMA public FROM PUBLIC;
  EXECUTE format('REVOKE TEMPORARY ON DATABASE %I FROM PUBLIC', current_database());
  EXECUTE format('REVOKE ALL ON DATABASE %I FROM ${role}', current_database());
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO ${role}', current_database());

  -- Rows, not structure: no TRUNCATE, REFERENCES or TRIGGER, and never ownership.
  REVOKE ALL ON ALL TABLES IN SCHEMA public FROM ${role};
  GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO ${role};
  FOR t IN SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname = 'public' AND c.relname IN (${quoted(MIGRATOR_TABLES)}) LOOP
    EXECUTE format('REVOKE ALL ON TABLE %I FROM ${role}', t.relname);
  END LOOP;
${appendOnly
  .map(([table, privileges]) => `  IF to_regclass('public.${table}') IS NOT NULL THEN
    REVOKE ALL ON TABLE ${table} FROM ${role};
    GRANT ${privileges.join(', ')} ON TABLE ${table} TO ${role};
  END IF;`)
  .join('\n')}
  -- ANALYZE after loading data (PostgreSQL 17 and later: MAINTAIN changes no row and no structure).
  IF current_setting('server_version_num')::int >= 170000 THEN
    EXECUTE 'GRANT MAINTAIN ON ALL TABLES IN SCHEMA public TO ${role}';
    EXECUTE 'ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT MAINTAIN ON TABLES TO ${role}';
  END IF;
  REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM ${role};
  GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO ${role};
  GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO ${role};

  -- Objects the owner creates later are covered before the next re-grant.
  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO ${role};
  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO ${role};
  ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT EXECUTE ON FUNCTIONS TO ${role};
END
$grant$;`;
  // One transaction, so no other session ever sees the role between REVOKE and GRANT.
  if (db.isTransaction) await sql.raw(statements).execute(db);
  else await db.transaction().execute((trx) => sql.raw(statements).execute(trx));
}
