/**
 * Ends batches whose process has gone as "interrupted": at start-up for batches left running by an
 * earlier process, and when a batch (or the list of batches) is read and its heartbeat is stale.
 * What the batch committed stays; its report is rebuilt from the rows it stored, with the reason.
 */
import { sql, type Expression, type Kysely, type SqlBool } from 'kysely';
import type { Database } from '../../../../db/database.js';
import type { Engine } from '../../../../db/client.js';
import type { Log } from '../../../logging.js';
import { heartbeatIsStale, INTAKE_OWNER, SILENT_AFTER_TEXT } from '../intake.heartbeat.js';
import { REPORT_REJECTION_LIMIT, type BatchReport, type TableCounts } from '../intake.report.js';

/** An uploaded batch whose import is still queued in the outbox is not lost: a worker will run (or resume) it. */
const noQueuedImport = () => sql<SqlBool>`NOT EXISTS (
  SELECT 1 FROM outbox o WHERE o.kind = 'intake.import' AND o.dedupe_key = intake_batch.id::text AND o.status = 'pending')`;

/** Why a batch was interrupted: its process is known to have stopped, or it has been silent too long. */
export type InterruptCause = 'process_stopped' | 'silent';

/** The plain-English reason shown on the batch page and in the API's report. */
export function interruptedReason(cause: InterruptCause, recordsStored: number): string {
  const why = cause === 'process_stopped'
    ? 'The import was interrupted: the server process running it stopped before it finished (the server has since restarted).'
    : `The import was interrupted: the server process running it has not reported progress for more than ${SILENT_AFTER_TEXT}, so it has stopped.`;
  const kept = recordsStored === 0 ? 'No records had been stored.'
    : recordsStored === 1 ? 'The 1 record stored before then is kept (counted below).' : `The ${recordsStored} records stored before then are kept (counted below).`;
  return `${why} ${kept} Records after them were not stored: import the same files again to finish. Records already stored are recognised and left unchanged, so nothing is added twice.`;
}

const n = (v: unknown) => Number(v ?? 0);

/** Rebuilds a batch's report from the rows it committed (every row is stored with its chunk). */
async function reportFromRows(trx: Kysely<Database>, batch: { id: string; organisation_id: string; format: string; file_names: string[] }, reason: string): Promise<BatchReport> {
  const byTable = await sql<{ table_name: string; received: unknown; rejected: unknown; new: unknown; updated: unknown; unchanged: unknown; warnings: unknown }>`
    SELECT table_name, count(*) AS received,
      count(*) FILTER (WHERE outcome = 'rejected') AS rejected,
      count(*) FILTER (WHERE outcome = 'new') AS new,
      count(*) FILTER (WHERE outcome = 'updated') AS updated,
      count(*) FILTER (WHERE outcome = 'unchanged') AS unchanged,
      coalesce(sum(CASE WHEN jsonb_typeof(warnings) = 'array' THEN jsonb_array_length(warnings) ELSE 0 END), 0) AS warnings
    FROM intake_row WHERE batch_id = ${batch.id}
    GROUP BY table_name ORDER BY min(seq)`.execute(trx);
  const rejections = await trx.selectFrom('intake_row').select(['file_name', 'table_name', 'row_number', 'ref', 'source_record_id', 'errors'])
    .where('batch_id', '=', batch.id).where('outcome', '=', 'rejected').orderBy('seq').limit(REPORT_REJECTION_LIMIT).execute();

  const tables: TableCounts[] = byTable.rows.map((t) => ({ table: t.table_name, received: n(t.received), accepted: n(t.received) - n(t.rejected), rejected: n(t.rejected) }));
  const sum = (k: 'received' | 'accepted' | 'rejected') => tables.reduce((s, t) => s + t[k], 0);
  const outcomes = { new: 0, updated: 0, unchanged: 0 };
  for (const t of byTable.rows) {
    outcomes.new += n(t.new);
    outcomes.updated += n(t.updated);
    outcomes.unchanged += n(t.unchanged);
  }
  const notes: string[] = ['Counts are of the records stored before the import was interrupted.'];
  return {
    batchId: batch.id, organisationId: batch.organisation_id, format: batch.format, files: batch.file_names, status: 'interrupted',
    received: sum('received'), accepted: sum('accepted'), rejected: sum('rejected'), outcomes,
    tables, reconciled: tables.every((t) => t.received === t.accepted + t.rejected),
    warnings: byTable.rows.reduce((s, t) => s + n(t.warnings), 0),
    fileErrors: [{ code: 'interrupted', message: reason }],
    notes,
    rejections: rejections.map((r) => ({
      file: r.file_name, table: r.table_name, row: r.row_number, ref: r.ref, recordId: r.source_record_id,
      errors: ((typeof r.errors === 'string' ? JSON.parse(r.errors) : r.errors) ?? []) as BatchReport['rejections'][number]['errors'],
    })),
  };
}

/** Interrupts each running batch matching the condition (re-checked under a row lock, so a live batch is never caught mid-beat). */
async function interruptWhere(db: Kysely<Database>, log: Log, cause: InterruptCause, filter: { organisationId?: string; batchId?: string }, condition: () => Expression<SqlBool>): Promise<string[]> {
  let q = db.selectFrom('intake_batch').select('id').where('status', '=', 'running').where(condition()).where(noQueuedImport());
  if (filter.organisationId) q = q.where('organisation_id', '=', filter.organisationId);
  if (filter.batchId) q = q.where('id', '=', filter.batchId);
  const candidates = await q.execute();
  const done: string[] = [];
  for (const { id } of candidates) {
    const changed = await db.transaction().execute(async (trx) => {
      const batch = await trx.selectFrom('intake_batch').select(['id', 'organisation_id', 'format', 'file_names', 'records_read', 'owner'])
        .where('id', '=', id).where('status', '=', 'running').where(condition()).where(noQueuedImport()).forUpdate().executeTakeFirst();
      if (!batch) return false;
      const stored = n((await trx.selectFrom('intake_row').select((eb) => eb.fn.countAll().as('n')).where('batch_id', '=', id).executeTakeFirstOrThrow()).n);
      const report = await reportFromRows(trx, batch, interruptedReason(cause, stored));
      await trx.updateTable('intake_batch').set({ status: 'interrupted', finished_at: sql<Date>`now()`, report: JSON.stringify(report) }).where('id', '=', id).execute();
      log.warn({ batchId: id, owner: batch.owner, cause, recordsStored: stored }, 'an import was marked interrupted');
      return true;
    });
    if (changed) done.push(id);
  }
  return done;
}

/**
 * At start-up: interrupts batches left running by earlier processes. An embedded (PGlite) database is
 * locked to one process, so every running batch another process started has lost it. A database
 * server may be shared by several live processes, so there only batches whose heartbeat is stale.
 */
export async function interruptOrphanedBatches(db: Kysely<Database>, engine: Engine, log: Log): Promise<string[]> {
  if (engine === 'pglite') {
    return interruptWhere(db, log, 'process_stopped', {}, () => sql<SqlBool>`owner IS DISTINCT FROM ${INTAKE_OWNER}`);
  }
  return interruptWhere(db, log, 'silent', {}, () => heartbeatIsStale());
}

/** When batches are read: interrupts the running ones (one batch, or an organisation's) whose heartbeat is stale. */
export async function interruptSilentBatches(db: Kysely<Database>, filter: { organisationId?: string; batchId?: string }, log: Log): Promise<string[]> {
  return interruptWhere(db, log, 'silent', filter, () => heartbeatIsStale());
}
