import { openAppDb } from '../src/db/app-db.js';
import type { Db } from '../src/db/client.js';
import { createScratchDatabase } from '../src/db/scratch.js';
import { TEST_ENGINE } from './helpers.js';

/**
 * A migrated database no other test file can see: in-memory PGlite, or a scratch database on the
 * server. For tests whose writes would change what other tests read (the audit chain, the active
 * identity model). Migrated by the owner; the connection acts as the application's role, as the
 * application's does (src/db/app-db.ts).
 */
export async function openIsolatedTestDb(prefix: string): Promise<{ d: Db; drop: () => Promise<void> }> {
  if (TEST_ENGINE !== 'postgres') {
    const d = await openAppDb({ target: { memory: true } });
    return { d, drop: () => d.close() };
  }
  const scratch = await createScratchDatabase(process.env.DATABASE_URL!, `${prefix}_${process.pid}`);
  let d: Db;
  try {
    d = await openAppDb({ target: { databaseUrl: scratch.url } });
  } catch (err) {
    await scratch.drop();
    throw err;
  }
  return {
    d,
    drop: async () => {
      await d.close();
      await scratch.drop();
    },
  };
}
