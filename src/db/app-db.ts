import { actAsRole, openDb, type Db, type DbTarget } from './client.js';
import { assertRoleName, DEFAULT_APP_ROLE, grantAppRole } from './grants.js';
import { migrateToLatest } from './migrate.js';

/** How the application's connection is opened. */
export interface AppDbOptions {
  /** Where the application connects: a server URL (its login), or PGlite. */
  target: DbTarget;
  /** Server only: the tables' owner, for migrations and grants. Defaults to the target's URL. */
  ownerUrl?: string;
  /** The role the application acts as (DATABASE_APP_ROLE). */
  appRole?: string;
  /** Run pending migrations (and the grants) as the owner first. */
  migrate?: boolean;
  /**
   * Server only: refuse a login that could make itself the owner again (SET ROLE NONE from injected
   * SQL), so the application must have a login of its own. Production sets it.
   */
  requireOwnLogin?: boolean;
}

/**
 * Opens the database as the application uses it: migrated and granted by the tables' owner, then
 * acting as the application's role, which owns nothing (docs/security-model.md).
 *
 * - Server: migrations run over a short-lived owner connection (`ownerUrl`, else the target URL);
 *   then every application connection starts as the app role (a startup option, see withRole),
 *   whether it logs in as that role (production) or as the owner (development, tests).
 * - PGlite: one in-process superuser; after migrations and grants its one session runs SET ROLE, so
 *   the same privilege checks apply to every statement the application sends.
 *
 * It then checks what the connection may do, and refuses to return one that owns (or is a member
 * of the owner of) the tables, is a superuser, or may create objects in the schema.
 */
export async function openAppDb(opts: AppDbOptions): Promise<Db> {
  const role = opts.appRole ?? DEFAULT_APP_ROLE;
  assertRoleName(role);
  const migrate = opts.migrate !== false;
  if ('databaseUrl' in opts.target) {
    if (migrate) {
      const owner = await openDb({ databaseUrl: opts.ownerUrl ?? opts.target.databaseUrl });
      try {
        await migrateToLatest(owner.db, { appRole: role });
      } finally {
        await owner.close();
      }
    }
    const d = await openDb(opts.target, { role });
    try {
      await assertAppConnection(d, role, { requireOwnLogin: opts.requireOwnLogin === true });
    } catch (err) {
      await d.close();
      throw err;
    }
    return d;
  }
  const d = await openDb(opts.target);
  try {
    if (migrate) await migrateToLatest(d.db, { appRole: role });
    else await grantAppRole(d.db, role);
    await actAsRole(d, role);
    await assertAppConnection(d, role, { requireOwnLogin: false });
  } catch (err) {
    await d.close();
    throw err;
  }
  return d;
}

interface Standing {
  current_role: string;
  login: string;
  superuser: boolean;
  acts_as_owner: boolean;
  login_can_become_owner: boolean;
  may_create: boolean;
}

/**
 * What a connection's role may do to the schema, and whether its login could leave that role for
 * the owner's. Throws when the application's connection could change the structure.
 */
export async function assertAppConnection(d: Db, role: string, opts: { requireOwnLogin: boolean }): Promise<void> {
  let standing: Standing;
  try {
    standing = (await d.rawQuery(`
      SELECT current_user::text AS current_role, session_user::text AS login,
        coalesce((SELECT rolsuper FROM pg_roles WHERE rolname = current_user), false) AS superuser,
        EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND pg_has_role(current_user, c.relowner, 'MEMBER')) AS acts_as_owner,
        EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
                WHERE n.nspname = 'public' AND pg_has_role(session_user, c.relowner, 'MEMBER')) AS login_can_become_owner,
        has_schema_privilege('public', 'CREATE') OR has_database_privilege(current_database(), 'TEMPORARY') AS may_create`)).rows[0] as Standing;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/role .* does not exist|permission denied to set role/.test(message)) {
      throw new Error(`The database connection cannot act as the application role "${role}" (${message}): run jigsaw migrate as the tables' owner, or create the role and grant it to the application's login (docs/security-model.md)`);
    }
    throw err;
  }
  if (standing.current_role !== role) {
    throw new Error(`The database connection acts as "${standing.current_role}", not the application role "${role}"`);
  }
  if (standing.superuser || standing.acts_as_owner) {
    throw new Error(`The application role "${role}" is a superuser or owns (or may act as the owner of) the tables: it must own nothing (docs/security-model.md)`);
  }
  if (standing.may_create) {
    throw new Error(`The application role "${role}" may create objects (in schema public or temporary tables): revoke CREATE on the schema and TEMPORARY on the database from PUBLIC (migrations do this when their role may)`);
  }
  if (opts.requireOwnLogin && standing.login_can_become_owner) {
    throw new Error(`DATABASE_URL logs in as "${standing.login}", which can become the tables' owner again (SET ROLE): in production the application logs in as its own role ("${role}", or a login that is a member of it) and DATABASE_OWNER_URL names the owner for migrations (docs/security-model.md)`);
  }
}
