import { parseArgs } from 'node:util';
import type { Config } from '../../server/config.js';
import { createLogger } from '../../server/logging.js';
import { outboxStatus, retryDead, runOutboxUntilIdle } from '../../server/outbox/outbox.js';
import { outboxProcessors } from '../../server/outbox/processors.js';
import { describeDb, openConfiguredDb } from './open.js';

/** Usage of `jigsaw outbox`. */
export const OUTBOX_USAGE = `Usage: jigsaw outbox status | retry (ID... | --all) | run

Work that follows each committed change (the early identification rules on new entries, uploaded
imports) waits in the outbox until the server's worker runs it. Work that keeps failing is retried
with growing delays and, after its last attempt, is dead: it stays until an operator retries it.

  status        counts by kind and state, and the dead items with their last error
  retry ID...   puts the named dead items back in the queue with fresh attempts (--all: every dead item)
  run           runs the work that is due now in this process (the server's worker does this by itself)`;

/** `jigsaw outbox status|retry|run`. */
export async function runOutboxCommand(config: Config, args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args, options: { all: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } }, allowPositionals: true });
  const [sub, ...ids] = positionals;
  const numeric = ids.map(Number);
  const valid = (sub === 'status' && ids.length === 0 && !values.all) || (sub === 'run' && ids.length === 0 && !values.all)
    || (sub === 'retry' && (values.all ? ids.length === 0 : ids.length > 0 && numeric.every((n) => Number.isInteger(n) && n > 0)));
  if (values.help || !valid) {
    console.log(OUTBOX_USAGE);
    return values.help ? 0 : 1;
  }
  const db = await openConfiguredDb(config);
  try {
    console.log(`Database: ${describeDb(config)}`);
    if (sub === 'retry') {
      const n = await retryDead(db.db, values.all ? undefined : numeric);
      console.log(`${n} dead item(s) put back in the queue${n === 0 ? ' (no dead item matched)' : ': the worker runs them when it next looks'}`);
      return n === 0 && !values.all ? 1 : 0;
    }
    if (sub === 'run') {
      const r = await runOutboxUntilIdle(db.db, { processors: outboxProcessors(config), log: createLogger(config.LOG_LEVEL) });
      console.log(`ran ${r.claimed} item(s): ${r.done} done, ${r.failed} to be retried, ${r.dead} dead`);
      return r.dead > 0 ? 1 : 0;
    }
    const s = await outboxStatus(db.db);
    if (s.counts.length === 0) console.log('The outbox is empty.');
    for (const c of s.counts) {
      const due = c.status === 'pending' && c.next_due ? `, next due ${new Date(c.next_due).toISOString()}` : '';
      console.log(`${c.kind.padEnd(32)} ${c.status.padEnd(8)} ${String(c.n).padStart(8)}${due}`);
    }
    if (s.dead.length) {
      console.log('\nDead (retry with: jigsaw outbox retry ID... or --all):');
      for (const d of s.dead) console.log(`  ${d.id}  ${d.kind}  ${d.attempts} attempts  queued ${new Date(d.created_at).toISOString()}  last error: ${d.last_error ?? '(none)'}`);
    }
    return 0;
  } finally {
    await db.close();
  }
}
