import { sql, type Kysely } from 'kysely';
import type { Database } from '../src/db/database.js';
import { runOutboxOnce, type OutboxLog, type OutboxProcessor } from '../src/server/outbox/outbox.js';
import { outboxProcessors } from '../src/server/outbox/processors.js';

/** A logger that keeps quiet (tests assert on the database, not on logs). */
export const silentLog: OutboxLog = { info: () => {}, warn: () => {}, error: () => {} };

/**
 * Runs the outbox worker until nothing of the processors' kinds is due: the work queued by the
 * writes a test made has been done (or has failed and is waiting for its retry). On the shared
 * server database another test file's worker may hold a row for a moment: this waits for it.
 */
export async function drainOutbox(db: Kysely<Database>, opts: { processors?: OutboxProcessor[]; timeoutMs?: number } = {}): Promise<void> {
  const processors = opts.processors ?? outboxProcessors();
  const kinds = processors.flatMap((p) => p.kinds);
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    const { claimed } = await runOutboxOnce(db, { processors, log: silentLog });
    if (claimed > 0) continue;
    const due = await db.selectFrom('outbox').select('id')
      .where('status', '=', 'pending').where('kind', 'in', kinds).where('available_at', '<=', sql<Date>`now()`).limit(1).execute();
    if (due.length === 0) return;
    if (Date.now() > deadline) throw new Error('the outbox did not drain: a row stayed claimed by another worker');
    await new Promise((r) => setTimeout(r, 20));
  }
}
