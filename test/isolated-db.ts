import { openDb, type Db } from '../src/db/client.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createScratchDatabase } from '../src/db/scratch.js';
import { TEST_ENGINE } from './helpers.js';

/**
 * A migrated database no other test file can see: in-memory PGlite, or a scratch database on the
 * server. For tests whose writes would change what other tests read (the audit chain, the active
 * identity model).
 */
export async function openIsolatedTestDb(prefix: string): Promise<{ d: Db; drop: () => Promise<void> }> {
  if (TEST_ENGINE !== 'postgres') {
    const d = await openDb({ memory: true });
    await migrateToLatest(d.db);
    return { d, drop: () => d.close() };
  }
  const scratch = await createScratchDatabase(process.env.DATABASE_URL!, `${prefix}_${process.pid}`);
  const d = await openDb({ databaseUrl: scratch.url });
  await migrateToLatest(d.db);
  return {
    d,
    drop: async () => {
      await d.close();
      await scratch.drop();
    },
  };
}
