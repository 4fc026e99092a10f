import { openDb, type Db } from '../../db/client.js';
import { migrateToLatest } from '../../db/migrate.js';
import type { Config } from '../../server/config.js';
import { resealSecrets, secretBox } from '../../server/secrets.js';

/**
 * Opens the configured database (server when DATABASE_URL is set, else PGlite in DATA_DIR) and
 * migrates it; then seals any stored secret that is plain or under an older key (migrations are
 * frozen and cannot hold the key, so the application does this at start-up).
 */
export async function openConfiguredDb(config: Config, opts: { migrate?: boolean; seal?: boolean } = {}): Promise<Db> {
  const db = await openDb(config.DATABASE_URL ? { databaseUrl: config.DATABASE_URL } : { dataDir: config.DATA_DIR });
  if (opts.migrate !== false) {
    try {
      await migrateToLatest(db.db);
      if (opts.seal !== false) await resealSecrets(db.db, secretBox(config));
    } catch (err) {
      await db.close();
      throw err;
    }
  }
  return db;
}

/** A description of where the data lives, without credentials. */
export function describeDb(config: Config): string {
  if (!config.DATABASE_URL) return `embedded PostgreSQL (PGlite) in ${config.DATA_DIR}`;
  const url = new URL(config.DATABASE_URL);
  return `PostgreSQL server at ${url.hostname}:${url.port || 5432}${url.pathname}`;
}
