import { verifyAccessLog } from '../../server/audit/verify-chain.js';
import type { Config } from '../../server/config.js';
import { describeDb, openConfiguredDb } from './open.js';

/** `jigsaw audit verify`: checks the access log's hash chain; exits 1 naming the first bad entry. */
export async function runAudit(config: Config, sub: string | undefined): Promise<number> {
  if (sub !== 'verify') {
    console.error('Usage: jigsaw audit verify');
    return 1;
  }
  const db = await openConfiguredDb(config);
  try {
    const verdict = await verifyAccessLog(db.db);
    if (verdict.ok) {
      console.log(`Access log verified (${describeDb(config)}): ${verdict.entries} entries, chain intact.`);
      return 0;
    }
    console.error(`Access log verification FAILED after ${verdict.entries} good entries: ${verdict.reason}.`);
    return 1;
  } finally {
    await db.close();
  }
}
