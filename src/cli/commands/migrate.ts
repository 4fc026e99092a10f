import { migrateAllDown, migrateToLatest } from '../../db/migrate.js';
import type { Config } from '../../server/config.js';
import { describeDb, openOwnerDb } from './open.js';

/** `jigsaw migrate [--down]`: as the tables' owner; a run up ends by granting DATABASE_APP_ROLE what it needs. */
export async function runMigrate(config: Config, opts: { down: boolean }): Promise<number> {
  const db = await openOwnerDb(config);
  try {
    const ran = opts.down ? await migrateAllDown(db.db) : await migrateToLatest(db.db, { appRole: config.DATABASE_APP_ROLE });
    console.log(`${describeDb(config)}: ${ran.length ? ran.join(', ') : 'nothing to do'}`);
    return 0;
  } finally {
    await db.close();
  }
}
