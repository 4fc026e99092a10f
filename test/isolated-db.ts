import type { Db } from '../src/db/client.js';
import { openTestDb } from './helpers.js';

/**
 * A second migrated database for a file that needs one beside its own (every test database is
 * already the file's own: see openTestDb), for tests whose writes would change what the file's
 * other tests read (the audit chain, the active identity model). `label` is added to the server copy's name.
 */
export async function openIsolatedTestDb(label: string): Promise<{ d: Db; drop: () => Promise<void> }> {
  const d = await openTestDb(label);
  return { d, drop: () => d.close() };
}
