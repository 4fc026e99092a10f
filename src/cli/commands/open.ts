import { openAppDb } from '../../db/app-db.js';
import { openDb, type Db, type DbTarget } from '../../db/client.js';
import type { Config } from '../../server/config.js';
import { resealSecrets, secretBox } from '../../server/secrets.js';

const appTarget = (config: Config): DbTarget => (config.DATABASE_URL ? { databaseUrl: config.DATABASE_URL } : { dataDir: config.DATA_DIR });

/**
 * Opens the configured database (server when DATABASE_URL is set, else PGlite in DATA_DIR) as the
 * application uses it: migrated by the tables' owner (DATABASE_OWNER_URL, else DATABASE_URL), then
 * acting as DATABASE_APP_ROLE, which owns nothing (src/db/app-db.ts; in production the server must
 * be reached through the application's own login). Then seals any stored secret that is plain or
 * under an older key (migrations are frozen and cannot hold the key, so the application does this
 * at start-up).
 */
export async function openConfiguredDb(config: Config, opts: { migrate?: boolean; seal?: boolean } = {}): Promise<Db> {
  const migrate = opts.migrate !== false;
  const db = await openAppDb({
    target: appTarget(config),
    ...(config.DATABASE_OWNER_URL ? { ownerUrl: config.DATABASE_OWNER_URL } : {}),
    appRole: config.DATABASE_APP_ROLE,
    migrate,
    requireOwnLogin: config.NODE_ENV === 'production',
  });
  if (migrate && opts.seal !== false) {
    try {
      await resealSecrets(db.db, secretBox(config));
    } catch (err) {
      await db.close();
      throw err;
    }
  }
  return db;
}

/** The tables' owner: DATABASE_OWNER_URL (else DATABASE_URL), or PGlite's one user. For `jigsaw migrate`. */
export async function openOwnerDb(config: Config): Promise<Db> {
  return openDb(config.DATABASE_URL ? { databaseUrl: config.DATABASE_OWNER_URL ?? config.DATABASE_URL } : { dataDir: config.DATA_DIR });
}

/** A description of where the data lives, without credentials. */
export function describeDb(config: Config): string {
  if (!config.DATABASE_URL) return `embedded PostgreSQL (PGlite) in ${config.DATA_DIR}`;
  const url = new URL(config.DATABASE_URL);
  return `PostgreSQL server at ${url.hostname}:${url.port || 5432}${url.pathname}`;
}
