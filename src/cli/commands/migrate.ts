import { migrateAllDown, migrateToLatest } from '../../db/migrate.js';
import type { Config } from '../../server/config.js';
import { describeDb, openConfiguredDb } from './open.js';

/** `jigsaw migrate [--down]`. */
export async function runMigrate(config: Config, opts: { down: boolean }): Promise<number> {
  const db = await openConfiguredDb(config, { migrate: false });
  try {
    const ran = opts.down ? await migrateAllDown(db.db) : await migrateToLatest(db.db);
    console.log(`${describeDb(config)}: ${ran.length ? ran.join(', ') : 'nothing to do'}`);
    return 0;
  } finally {
    await db.close();
  }
}
