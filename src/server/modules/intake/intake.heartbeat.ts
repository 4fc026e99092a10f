/**
 * Which process runs a batch, and whether it is still alive. An import runs inside one process (the
 * server, or the command line); if that process is killed its batch would otherwise say "running"
 * for ever. Each process has an owner token, stamped on the batches it starts, and while an import
 * runs its process refreshes the batch's heartbeat: on a timer, and as each chunk of records commits.
 * A running batch whose heartbeat is older than SILENT_AFTER_MS is taken to have lost its process.
 */
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { sql, type Kysely, type RawBuilder, type SqlBool } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Log } from '../../logging.js';

/** This process's owner token: host, process id and a random part (a restarted process never reuses one). */
export const INTAKE_OWNER = `${hostname()}/${process.pid}/${randomUUID().slice(0, 8)}`;

/** How often a running import reports that its process is alive. */
export const HEARTBEAT_INTERVAL_MS = 15_000;

/** A running batch not heard from for this long has lost its process (eight missed heartbeats). */
export const SILENT_AFTER_MS = 120_000;

/** The limit in words, for reasons and documentation. */
export const SILENT_AFTER_TEXT = '2 minutes';

/** SQL: the batch's heartbeat is older than the limit (compared on the database's clock, which every process shares). */
export function heartbeatIsStale(): RawBuilder<SqlBool> {
  return sql<SqlBool>`heartbeat_at < now() - make_interval(secs => ${SILENT_AFTER_MS / 1000})`;
}

/** Records that the batch's process is alive now. */
export async function beat(db: Kysely<Database>, batchId: string): Promise<void> {
  await db.updateTable('intake_batch').set({ heartbeat_at: sql<Date>`now()` })
    .where('id', '=', batchId).where('owner', '=', INTAKE_OWNER).where('status', '=', 'running').execute();
}

/** Refreshes the batch's heartbeat on a timer until the returned function is called; a failed beat is logged to `log`. */
export function startHeartbeat(db: Kysely<Database>, batchId: string, log: Log, intervalMs = HEARTBEAT_INTERVAL_MS): () => void {
  const timer = setInterval(() => {
    beat(db, batchId).catch((err: unknown) => log.warn({ batchId, errorCode: (err as { code?: string }).code ?? 'unknown' }, 'an import heartbeat could not be stored'));
  }, intervalMs);
  // The heartbeat alone must not keep a process alive.
  timer.unref();
  return () => clearInterval(timer);
}
