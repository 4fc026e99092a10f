import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../../db/database.js';
import { insertRows } from '../../../../db/insert-rows.js';
import { StatisticsUpkeep } from '../../../../db/statistics.js';
import type { TextEncodingName } from '../../../../intake/decode.js';
import { readIntake, type IntakeSource } from '../../../../intake/read.js';
import { IntakeFileError, type IntakeFormat, type IntakeItem } from '../../../../intake/types.js';
import type { Actor } from '../../../actor.js';
import type { Log } from '../../../logging.js';
import { recordAccess, recordAccessMany } from '../../../audit/record-access.js';
import { announceEntries, appendEntries } from '../../chronology/commands/append-entry.js';
import { PersonResolver } from '../../identity/person-resolver.js';
import { INTAKE_OWNER, startHeartbeat } from '../intake.heartbeat.js';
import { ChunkPace, chunkBudgetFor, yieldEvery } from '../intake.pace.js';
import { ReportTally, type BatchReport } from '../intake.report.js';
import { loadBatchContext, type BatchContext } from './batch-context.js';
import { writeNetworks } from './write-network.js';
import { contentHashOf, newOverlay, sourceKey, toIncoming, writeRecord, type ChunkOverlay, type LatestVersion, type RowResult } from './write-record.js';

/** How often a running import writes its progress to its batch (the page polls it). */
const PROGRESS_EVERY_MS = 1_000;

/** Everything needed to run one import. */
export interface ImportRequest {
  organisationId: string;
  format: IntakeFormat;
  sources: IntakeSource[];
  via: 'cli' | 'upload' | 'api';
  /** The signed-in user or system; null for the operator's command line. */
  actor: Actor | null;
  route: string;
  requestId?: string | null;
  mappingText?: string | undefined;
  encoding?: TextEncodingName | undefined;
  sourceSystem?: string | undefined;
  maxBytes: number;
  bytesTotal?: number | null;
  chunkSize?: number;
  /** About how long one chunk's transaction may take (by engine, chunkBudgetFor, unless given; Infinity: every chunk is chunkSize records). */
  chunkBudgetMs?: number;
  /** The sequence number of the batch's first row (after rows an interrupted attempt stored). */
  firstSeq?: number;
  onProgress?: (progress: { bytes: number; records: number }) => void;
  /** Where the import logs what goes wrong: the caller's logger (a request's, the app's or the command line's). */
  log: Log;
}

/**
 * Creates the batch row (status running, owned by this process, heartbeat now) so a page can show its
 * progress before it finishes; or `receiving`, for an upload whose files are still being stored
 * (intake.processor.ts), which no page shows and nothing imports until it is running.
 */
export async function createBatch(db: Kysely<Database>, req: Omit<ImportRequest, 'log'>, status: 'running' | 'receiving' = 'running'): Promise<string> {
  const row = await db.insertInto('intake_batch').values({
    organisation_id: req.organisationId, format: req.format, file_names: req.sources.map((s) => s.name), via: req.via,
    user_id: req.actor?.kind === 'user' ? req.actor.userId : null, api_key_id: req.actor?.kind === 'system' ? req.actor.apiKeyId : null,
    bytes_total: req.bytesTotal ?? null, report: null, owner: INTAKE_OWNER, status,
  }).returning('id').executeTakeFirstOrThrow();
  return row.id;
}

async function prefetchLatest(trx: Kysely<Database>, ctx: BatchContext, items: IntakeItem[]): Promise<Map<string, LatestVersion>> {
  const ids = [...new Set(items.flatMap((i) => (i.record ? [i.record.recordId] : [])))];
  const found = new Map<string, LatestVersion>();
  if (!ids.length) return found;
  const rows = await trx.selectFrom('intake_record')
    .select(['source_system', 'source_record_id', 'content_hash', 'person_id', 'event_id', 'id'])
    .where('organisation_id', '=', ctx.organisationId).where('source_record_id', 'in', ids)
    .orderBy('id', 'asc').execute();
  // Ascending order: the last row seen for a record is its latest version.
  for (const r of rows) found.set(sourceKey(r.source_system, r.source_record_id), { hash: r.content_hash, personId: r.person_id, eventId: r.event_id });
  return found;
}

/**
 * The people of the records that will be stored anew (not the same content again), for the chunk's
 * resolver to read at once; and whether the entries their new versions would supersede are still held.
 */
async function prefetchPeople(trx: Kysely<Database>, ctx: BatchContext, overlay: ChunkOverlay, items: IntakeItem[], prior: Map<string, LatestVersion>): Promise<PersonResolver> {
  const people: ReturnType<typeof toIncoming>[] = [];
  const earlier = new Set<string>();
  for (const item of items) {
    const record = item.record;
    if (!record) continue;
    const latest = ctx.latest.get(sourceKey(record.sourceSystem, record.recordId)) ?? prior.get(sourceKey(record.sourceSystem, record.recordId));
    if (latest?.hash === contentHashOf(record)) continue;
    if (latest?.eventId) earlier.add(latest.eventId);
    for (const p of [record.person, ...record.otherPeople.map((o) => o.person)]) people.push(toIncoming(ctx, record.sourceSystem, p));
  }
  if (earlier.size) {
    const held = new Set((await trx.selectFrom('event').select('id').where('id', 'in', [...earlier]).execute()).map((r) => r.id));
    for (const id of earlier) overlay.entriesHeld.set(id, held.has(id));
  }
  return PersonResolver.open(trx, people, ctx.model);
}

async function writeChunk(db: Kysely<Database>, ctx: BatchContext, items: (IntakeItem & { file: string })[], firstSeq: number): Promise<{ results: RowResult[]; overlay: ChunkOverlay }> {
  return db.transaction().execute(async (trx) => {
    // One writer per organisation at a time, so two imports of the same file cannot both add an entry.
    await sql`SELECT pg_advisory_xact_lock(hashtext(${ctx.organisationId}))`.execute(trx);
    const overlay = newOverlay();
    const prior = await prefetchLatest(trx, ctx, items);
    // The chunk's people are resolved in order, each as if alone, with their reads and writes made together.
    const people = await prefetchPeople(trx, ctx, overlay, items, prior);
    const results: RowResult[] = [];
    // Matching is work on this thread: other requests get a turn every 20 ms of it.
    const turn = yieldEvery(20);
    for (const item of items) {
      const key = item.record ? sourceKey(item.record.sourceSystem, item.record.recordId) : '';
      results.push(await writeRecord(trx, ctx, overlay, people, item, prior.get(key)));
      await turn();
    }
    await people.flush();
    await appendEntries(trx, overlay.entries, { announce: overlay.announcement });
    await writeNetworks(trx, ctx, overlay.networks);
    await insertRows(trx, 'intake_record', overlay.intakeRecords);
    await insertRows(trx, 'intake_row', items.map((item, i) => ({
      batch_id: ctx.batchId, seq: firstSeq + i, file_name: item.file, table_name: item.table, row_number: item.row, ref: item.ref ?? null,
      source_record_id: item.recordId, outcome: results[i]!.outcome, person_outcome: results[i]!.personOutcome, person_id: results[i]!.personId,
      event_id: results[i]!.outcome === 'unchanged' ? null : results[i]!.eventId, review_item_id: results[i]!.reviewItemId,
      errors: results[i]!.errors.length ? JSON.stringify(results[i]!.errors) : null,
      warnings: item.warnings.length || results[i]!.notes.length ? JSON.stringify([...item.warnings, ...results[i]!.notes]) : null,
    })));
    await recordAccessMany(trx, overlay.access);
    // The rules (and whatever else follows new entries) run once the chunk has committed.
    await announceEntries(trx, overlay.announcement);
    return { results, overlay };
  });
}

async function writeChunkSafely(db: Kysely<Database>, ctx: BatchContext, items: (IntakeItem & { file: string })[], firstSeq: number, log: Log) {
  try {
    return await writeChunk(db, ctx, items, firstSeq);
  } catch (err) {
    if (items.length === 1) {
      // The record itself cannot be stored (an unexpected database refusal): keep the rest, and say so.
      // The database's message can quote the record's values, so only its code is logged.
      log.error({ batchId: ctx.batchId, row: items[0]!.row, errorCode: (err as { code?: string }).code ?? 'unknown' }, 'an imported record could not be stored');
      const failed: IntakeItem & { file: string } = { ...items[0]!, record: null, errors: [{ field: '(record)', reason: `could not be stored because of an unexpected error (batch ${ctx.batchId}, line ${items[0]!.row})` }] };
      return writeChunk(db, ctx, [failed], firstSeq);
    }
    // Find the one record at fault by storing the chunk one record at a time.
    log.warn({ batchId: ctx.batchId, records: items.length, errorCode: (err as { code?: string }).code ?? 'unknown' }, 'a chunk could not be stored whole; its records are stored one at a time');
    const results: RowResult[] = [];
    const overlay = newOverlay();
    for (let i = 0; i < items.length; i++) {
      const one = await writeChunkSafely(db, ctx, [items[i]!], firstSeq + i, log);
      results.push(...one.results);
      mergeOverlay(ctx, one.overlay);
    }
    return { results, overlay };
  }
}

function mergeOverlay(ctx: BatchContext, from: ChunkOverlay): void {
  for (const [k, v] of from.latest) ctx.latest.set(k, v);
  for (const [k, v] of from.seen) ctx.seen.set(k, v);
  for (const s of from.knownSources) ctx.knownSources.add(s);
}

/**
 * Runs an import into an existing batch: reads every file, stores valid records in chunks (one
 * transaction each, with the outbox row for its new entries), and stores the report. A problem with a
 * file as a whole ends the batch as failed, keeping every record stored before it.
 */
export async function runImport(db: Kysely<Database>, batchId: string, req: ImportRequest): Promise<BatchReport> {
  const org = await db.selectFrom('organisation').select(['id', 'name']).where('id', '=', req.organisationId).executeTakeFirstOrThrow();
  const ctx = await loadBatchContext(db, { batchId, organisationId: org.id, organisationName: org.name, actor: req.actor, route: req.route, requestId: req.requestId ?? null });
  const tally = new ReportTally();
  // Chunks of at most chunkSize records, sized to a short transaction (CHUNK_BUDGET_MS), with a turn for other requests between them.
  const pace = new ChunkPace(req.chunkSize ?? 1_000, req.chunkBudgetMs ?? (await chunkBudgetFor(db)));
  // The planner's statistics follow the tables as the import fills them (PGlite has no autovacuum).
  const statistics = new StatisticsUpkeep(db);
  let bytes = 0;
  let seq = req.firstSeq ?? 0;
  let status: BatchReport['status'] = 'completed';
  let chunk: (IntakeItem & { file: string })[] = [];
  let progressAt = -Infinity;
  const flush = async () => {
    if (!chunk.length) return;
    const started = performance.now();
    const { results, overlay } = await writeChunkSafely(db, ctx, chunk, seq, req.log);
    mergeOverlay(ctx, overlay);
    chunk.forEach((item, i) => tally.add(item, results[i]!));
    seq += chunk.length;
    chunk = [];
    // Progress is also a heartbeat. A batch marked interrupted while its process was in fact alive
    // (silent too long) is running again as soon as it commits. Written at most once a second: on PGlite
    // a chunk may hold a few records, and a statement more for each chunk is a share of its time.
    if (performance.now() - progressAt >= PROGRESS_EVERY_MS) {
      progressAt = performance.now();
      await db.updateTable('intake_batch').set({ bytes_read: bytes, records_read: seq, heartbeat_at: sql<Date>`now()`, status: 'running', finished_at: null, report: null })
        .where('id', '=', batchId).where('status', 'in', ['running', 'interrupted']).execute();
    }
    req.onProgress?.({ bytes, records: seq });
    await pace.chunkDone(results.length, performance.now() - started);
    await statistics.loaded(results.length);
  };
  const stopHeartbeat = startHeartbeat(db, batchId, req.log);
  try {
    const items = readIntake(req.sources, {
      format: req.format, organisationId: req.organisationId, mappingText: req.mappingText, encoding: req.encoding,
      sourceSystem: req.sourceSystem, maxBytes: req.maxBytes, notes: tally.notes, onBytes: (n) => { bytes = n; },
    });
    for await (const item of items) {
      chunk.push(item);
      if (chunk.length >= pace.size) await flush();
    }
    await flush();
  } catch (err) {
    await flush();
    if (!(err instanceof IntakeFileError)) {
      status = 'failed';
      tally.fileErrors.push({ code: 'internal_error', message: `The import stopped because of an unexpected error (batch ${batchId}); every record stored before it is kept` });
      req.log.error({ err, batchId }, 'an import stopped unexpectedly');
    } else {
      status = 'failed';
      tally.fileErrors.push({ code: err.code, message: err.message });
    }
  } finally {
    stopHeartbeat();
  }
  const report = tally.build({ batchId, organisationId: req.organisationId, format: req.format, files: req.sources.map((s) => s.name), status });
  await db.transaction().execute(async (trx) => {
    await trx.updateTable('intake_batch').set({ status, finished_at: new Date(), bytes_read: bytes, records_read: seq, report: JSON.stringify(report) }).where('id', '=', batchId).execute();
    await recordAccess(trx, {
      actor: req.actor, action: 'intake.import', route: req.route, outcome: 'allowed', ...(req.requestId ? { requestId: req.requestId } : {}),
      detail: { via: req.via, batchId, organisationId: req.organisationId, format: req.format, received: report.received, accepted: report.accepted, rejected: report.rejected },
    });
  });
  return report;
}

/** Creates a batch and runs it to the end (the command line and the API). */
export async function importBatch(db: Kysely<Database>, req: ImportRequest): Promise<BatchReport> {
  const batchId = await createBatch(db, req);
  return runImport(db, batchId, req);
}
