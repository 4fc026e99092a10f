/**
 * Uploads through the web page and POST /api/v1/intake are imported as outbox work. The upload stores its
 * files a part at a time before anything is queued (on PGlite one statement storing a 13 MB file held
 * every other request for seconds):
 *
 * 1. One short transaction creates the batch `receiving` (shown to no one, never imported), a row for each
 *    file with its size, and a delayed `intake.upload_abandoned` row: if the upload never finishes (its
 *    process stopped part way), that row's processor removes the batch and whatever was stored of it.
 * 2. Each part of each file (UPLOAD_PART_BYTES) is one statement, so its own transaction, with a turn for
 *    the event loop between parts.
 * 3. One short transaction checks that every file's parts add up to its size, makes the batch `running`,
 *    withdraws the `intake.upload_abandoned` row and queues the `intake.import` row.
 *
 * The page (or the API, 202 with the batch's address) then answers with the batch (and its progress). The
 * import runs in whichever process's worker claims the row, and runs again if that process dies before
 * finishing (records already stored are recognised and left unchanged). Given a transaction instead of the
 * database, the same steps all run in it (they commit, or not, together).
 */
import { Readable } from 'node:stream';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { TextEncodingName } from '../../../intake/decode.js';
import type { IntakeFormat } from '../../../intake/types.js';
import type { Actor } from '../../actor.js';
import { AppError } from '../../errors.js';
import { enqueue, withdraw, type OutboxProcessor } from '../../outbox/outbox.js';
import { createBatch, runImport, type ImportRequest } from './commands/import-batch.js';
import { INTAKE_OWNER } from './intake.heartbeat.js';
import { RECEIVING } from './intake.report.js';

/** The outbox kind of an uploaded import. */
export const INTAKE_IMPORT = 'intake.import';

/** The outbox kind that removes an upload whose files were never all stored (queued, delayed, as the upload starts). */
export const INTAKE_UPLOAD_ABANDONED = 'intake.upload_abandoned';

/**
 * How much of a file one statement stores. On PGlite a 64 KB part took 1 to 3 ms (median; 128 KB: 6 ms,
 * 256 KB: 10 ms; a whole 13 MB file in one statement: 1.2 to 2.5 s), measured on a busy two-core machine.
 */
export const UPLOAD_PART_BYTES = 64 * 1024;

/** How long an upload may take to store before it is taken to be abandoned and removed. */
export const RECEIVING_EXPIRES_MS = 3_600_000;

/** What the outbox row carries: the request without its files (they are in intake_upload_file and intake_upload_part). */
export interface IntakeImportPayload {
  batchId: string;
  organisationId: string;
  format: IntakeFormat;
  /** How the records came: the upload page, or the API (older rows say neither: the page). */
  via?: 'upload' | 'api' | undefined;
  actor: Actor | null;
  route: string;
  requestId: string | null;
  encoding?: TextEncodingName | undefined;
  sourceSystem?: string | undefined;
  maxBytes: number;
}

/** What an `intake.upload_abandoned` row carries. */
export interface UploadAbandonedPayload {
  batchId: string;
}

/** An upload to queue: the request, with its data files and optional mapping file in memory. */
export interface UploadToQueue {
  request: Omit<ImportRequest, 'sources' | 'mappingText' | 'log'>;
  files: { name: string; data: Buffer }[];
  mapping?: { name: string; data: Buffer } | undefined;
}

/**
 * The upload is not stored whole: it was removed as abandoned before its last part was stored (it took
 * longer than RECEIVING_EXPIRES_MS), or its parts do not add up to its files. Nothing is imported.
 */
const notStored = () => new AppError(409, 'upload_not_stored', 'The upload could not be stored whole and was not imported: send it again');

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** An upload whose batch has been created (receiving): the files still to store, each with its number. */
export interface UploadBegun {
  batchId: string;
  files: { seq: number; content: Buffer }[];
}

/** The first step, in its own short transaction: the batch (receiving), its files' rows, and the delayed clean-up if it never finishes. */
export async function beginUpload(trx: Kysely<Database>, upload: UploadToQueue): Promise<UploadBegun> {
  const files = [
    ...upload.files.map((f) => ({ purpose: 'data' as const, file_name: f.name, content: f.data })),
    ...(upload.mapping ? [{ purpose: 'mapping' as const, file_name: upload.mapping.name, content: upload.mapping.data }] : []),
  ];
  const batchId = await createBatch(trx, { ...upload.request, sources: upload.files.map((f) => ({ name: f.name, bytes: Readable.from([]) })) }, RECEIVING);
  await trx.insertInto('intake_upload_file')
    .values(files.map((f, seq) => ({ batch_id: batchId, seq, purpose: f.purpose, file_name: f.file_name, content: null, size: f.content.length })))
    .execute();
  const abandoned: UploadAbandonedPayload = { batchId };
  await enqueue(trx, INTAKE_UPLOAD_ABANDONED, abandoned, { dedupeKey: batchId, availableAt: new Date(Date.now() + RECEIVING_EXPIRES_MS) });
  return { batchId, files: files.map((f, seq) => ({ seq, content: f.content })) };
}

/**
 * Stores one part of a file: one statement (its own transaction unless `db` is one), and only while the
 * batch is still receiving (not removed as abandoned meanwhile). Sent as base64 text and decoded by the
 * database: PGlite converts a bytea parameter on the server's one thread several times slower.
 */
export async function storeUploadPart(db: Kysely<Database>, batchId: string, seq: number, part: number, bytes: Buffer): Promise<void> {
  const piece = bytes.toString('base64');
  const stored = await db.insertInto('intake_upload_part')
    .columns(['batch_id', 'seq', 'part', 'content'])
    .expression(db.selectFrom('intake_batch')
      .select([sql<string>`${batchId}::uuid`.as('batch_id'), sql<number>`${seq}::int`.as('seq'), sql<number>`${part}::int`.as('part'), sql<Buffer>`decode(${piece}, 'base64')`.as('content')])
      .where('id', '=', batchId).where('status', '=', RECEIVING))
    .executeTakeFirst();
  if (Number(stored.numInsertedOrUpdatedRows ?? 0) !== 1) throw notStored();
}

/**
 * The last step, in its own short transaction: only if the batch is still receiving and every file's parts
 * add up to its size, the batch becomes running, its clean-up is withdrawn and its import queued.
 */
export async function finishUpload(trx: Kysely<Database>, batchId: string, req: UploadToQueue['request']): Promise<void> {
  const received = await trx.updateTable('intake_batch').set({ status: 'running', heartbeat_at: sql<Date>`now()` })
    .where('id', '=', batchId).where('status', '=', RECEIVING)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('intake_upload_file as f').select('f.seq')
      .where('f.batch_id', '=', batchId)
      .where(sql<boolean>`f.size IS DISTINCT FROM (SELECT coalesce(sum(octet_length(p.content)), 0) FROM intake_upload_part p WHERE p.batch_id = f.batch_id AND p.seq = f.seq)`))))
    .executeTakeFirst();
  if (Number(received.numUpdatedRows) !== 1) throw notStored();
  await withdraw(trx, INTAKE_UPLOAD_ABANDONED, batchId);
  const payload: IntakeImportPayload = {
    batchId, organisationId: req.organisationId, format: req.format, via: req.via === 'api' ? 'api' : 'upload', actor: req.actor, route: req.route, requestId: req.requestId ?? null,
    encoding: req.encoding, sourceSystem: req.sourceSystem, maxBytes: req.maxBytes,
  };
  await enqueue(trx, INTAKE_IMPORT, payload, { dedupeKey: batchId, maxAttempts: 3 });
}

/**
 * Stores an upload's files a part at a time and queues its import (see above). Given the database, each
 * step is a transaction of its own, with a turn for the event loop between them; given a transaction,
 * every step runs in it. Returns the batch id.
 */
export async function queueUpload(db: Kysely<Database>, upload: UploadToQueue): Promise<string> {
  const own = !db.isTransaction;
  const step = <T>(fn: (trx: Kysely<Database>) => Promise<T>): Promise<T> => (own ? db.transaction().execute(fn) : fn(db));
  const { batchId, files } = await step((trx) => beginUpload(trx, upload));
  for (const f of files) {
    for (let offset = 0, part = 0; offset < f.content.length; offset += UPLOAD_PART_BYTES, part++) {
      if (own) await turn();
      await storeUploadPart(db, batchId, f.seq, part, f.content.subarray(offset, offset + UPLOAD_PART_BYTES));
    }
  }
  if (own) await turn();
  await step((trx) => finishUpload(trx, batchId, upload.request));
  return batchId;
}

/** How much of a stored file one statement reads. */
export const FILE_SLICE_BYTES = 64 * 1024;

/** A stored file as the import reads it: stored whole (before parts), or in parts. */
interface StoredFileRow {
  seq: number;
  size: number | string;
  in_parts: boolean;
}

/**
 * A stored file, read a slice at a time as the import consumes it, as base64 text. On PGlite a bytea
 * value is converted on the server's one thread: reading a 3 MB upload in one statement held every
 * request (/health included) for a quarter of a second; a 64 KB slice takes a millisecond or two. A file
 * stored in parts is read part by part, in order, each in slices.
 */
async function* storedFile(db: Kysely<Database>, batchId: string, file: StoredFileRow): AsyncGenerator<Buffer> {
  if (!file.in_parts) {
    const size = Number(file.size);
    for (let offset = 0; offset < size; offset += FILE_SLICE_BYTES) {
      const row = await db.selectFrom('intake_upload_file')
        .select(sql<string>`encode(substring(content from ${offset + 1}::int for ${FILE_SLICE_BYTES}::int), 'base64')`.as('slice'))
        .where('batch_id', '=', batchId).where('seq', '=', file.seq).executeTakeFirstOrThrow();
      yield Buffer.from(row.slice, 'base64');
    }
    return;
  }
  const parts = await db.selectFrom('intake_upload_part').select(['part', sql<number>`octet_length(content)`.as('size')])
    .where('batch_id', '=', batchId).where('seq', '=', file.seq).orderBy('part').execute();
  for (const p of parts) {
    const size = Number(p.size);
    for (let offset = 0; offset < size; offset += FILE_SLICE_BYTES) {
      const row = await db.selectFrom('intake_upload_part')
        .select(sql<string>`encode(substring(content from ${offset + 1}::int for ${FILE_SLICE_BYTES}::int), 'base64')`.as('slice'))
        .where('batch_id', '=', batchId).where('seq', '=', file.seq).where('part', '=', p.part).executeTakeFirstOrThrow();
      yield Buffer.from(row.slice, 'base64');
    }
  }
}

/** Runs an uploaded import; a batch already finished is left as it is (the row was delivered again), and one still receiving is never imported. */
export const intakeImportProcessor: OutboxProcessor = {
  name: 'intake import',
  kinds: [INTAKE_IMPORT],
  async handle(message, { db, log }) {
    const p = message.payload as IntakeImportPayload;
    const batch = await db.selectFrom('intake_batch').select(['status', 'bytes_total']).where('id', '=', p.batchId).executeTakeFirst();
    if (!batch || batch.status === 'completed' || batch.status === 'failed') return;
    if (batch.status === RECEIVING) {
      // Its files are not all stored: the import is queued only with the last of them, so this cannot be that row.
      log.warn({ batchId: p.batchId, outboxId: message.id }, 'an import was queued for an upload still being received: not imported');
      return;
    }
    // This process runs the batch now: its heartbeat shows the batch alive.
    await db.updateTable('intake_batch').set({ owner: INTAKE_OWNER, status: 'running', heartbeat_at: sql<Date>`now()`, finished_at: null, report: null })
      .where('id', '=', p.batchId).execute();
    const stored = await db.selectFrom('intake_row').select(sql<number>`coalesce(max(seq) + 1, 0)`.as('next')).where('batch_id', '=', p.batchId).executeTakeFirstOrThrow();
    if (Number(stored.next) > 0) log.warn({ batchId: p.batchId, outboxId: message.id, rowsStored: Number(stored.next) }, 'an import is starting again after its process stopped');
    const files = await db.selectFrom('intake_upload_file')
      .select(['seq', 'purpose', 'file_name', sql<number>`coalesce(size, octet_length(content))`.as('size'), sql<boolean>`content IS NULL`.as('in_parts')])
      .where('batch_id', '=', p.batchId).orderBy('seq').execute();
    const data = files.filter((f) => f.purpose === 'data');
    const mapping = files.find((f) => f.purpose === 'mapping');
    let mappingText: string | undefined;
    if (mapping) {
      const slices: Buffer[] = [];
      for await (const slice of storedFile(db, p.batchId, mapping)) slices.push(slice);
      mappingText = Buffer.concat(slices).toString('utf8');
    }
    await runImport(db, p.batchId, {
      organisationId: p.organisationId, format: p.format, via: p.via ?? 'upload', actor: p.actor, route: p.route, requestId: p.requestId,
      sources: data.map((f) => ({ name: f.file_name, bytes: storedFile(db, p.batchId, f) })),
      mappingText,
      encoding: p.encoding, sourceSystem: p.sourceSystem, maxBytes: p.maxBytes, bytesTotal: batch.bytes_total, firstSeq: Number(stored.next), log,
    });
    // The files have been read into the batch: they are not kept.
    await db.deleteFrom('intake_upload_file').where('batch_id', '=', p.batchId).execute();
  },
};

/**
 * Removes an upload that never finished being stored (its process stopped part way): the batch, its files
 * and the parts stored, in one transaction under the batch's row lock, so an upload finishing at that moment
 * either finishes first (and is left alone) or finds its batch gone. An upload that finished withdrew this
 * row; delivered anyway (claimed just before), it finds the batch no longer receiving and does nothing.
 */
export const uploadAbandonedProcessor: OutboxProcessor = {
  name: 'abandoned upload',
  kinds: [INTAKE_UPLOAD_ABANDONED],
  async handle(message, { db, log }) {
    const { batchId } = message.payload as UploadAbandonedPayload;
    await db.transaction().execute(async (trx) => {
      const batch = await trx.selectFrom('intake_batch').select(['id', 'organisation_id']).where('id', '=', batchId).where('status', '=', RECEIVING).forUpdate().executeTakeFirst();
      if (!batch) return;
      const parts = await trx.selectFrom('intake_upload_part').select((eb) => eb.fn.countAll().as('n')).where('batch_id', '=', batchId).executeTakeFirstOrThrow();
      // The files and their parts go with the batch (ON DELETE CASCADE); a receiving batch has no rows or reports.
      await trx.deleteFrom('intake_batch').where('id', '=', batchId).where('status', '=', RECEIVING).execute();
      log.warn({ batchId, organisationId: batch.organisation_id, outboxId: message.id, partsStored: Number(parts.n) }, 'an upload whose files were never all stored was removed');
    });
  },
};
