/**
 * Uploads through the web page and POST /api/v1/intake are imported as outbox work: the upload stores
 * its files, creates the batch and queues an `intake.import` row in one transaction, and the page (or
 * the API, 202 with the batch's address) answers at once with the batch (and its progress). The import then runs in whichever process's worker claims the row,
 * and runs again if that process dies before finishing (records already stored are recognised and
 * left unchanged).
 */
import { Readable } from 'node:stream';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { TextEncodingName } from '../../../intake/decode.js';
import type { IntakeFormat } from '../../../intake/types.js';
import type { Actor } from '../../actor.js';
import { enqueue, type OutboxProcessor } from '../../outbox/outbox.js';
import { createBatch, runImport, type ImportRequest } from './commands/import-batch.js';
import { INTAKE_OWNER } from './intake.heartbeat.js';

/** The outbox kind of an uploaded import. */
export const INTAKE_IMPORT = 'intake.import';

/** What the outbox row carries: the request without its files (they are in intake_upload_file). */
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

/** An upload to queue: the request, with its data files and optional mapping file in memory. */
export interface UploadToQueue {
  request: Omit<ImportRequest, 'sources' | 'mappingText' | 'log'>;
  files: { name: string; data: Buffer }[];
  mapping?: { name: string; data: Buffer } | undefined;
}

/** In the caller's transaction: creates the batch, stores the files and queues the import. Returns the batch id. */
export async function queueUpload(trx: Kysely<Database>, upload: UploadToQueue): Promise<string> {
  const req = upload.request;
  const batchId = await createBatch(trx, { ...req, sources: upload.files.map((f) => ({ name: f.name, bytes: Readable.from([]) })) });
  const files = [
    ...upload.files.map((f) => ({ purpose: 'data' as const, file_name: f.name, content: f.data })),
    ...(upload.mapping ? [{ purpose: 'mapping' as const, file_name: upload.mapping.name, content: upload.mapping.data }] : []),
  ];
  // Sent as base64 text and decoded by the database: PGlite converts a bytea parameter on the server's
  // one thread several times slower (a 3 MB upload held everything for seconds on a busy machine).
  for (const [seq, f] of files.entries()) {
    await trx.insertInto('intake_upload_file').values({
      batch_id: batchId, seq, purpose: f.purpose, file_name: f.file_name, content: sql<Buffer>`decode(${f.content.toString('base64')}, 'base64')`,
    }).execute();
  }
  const payload: IntakeImportPayload = {
    batchId, organisationId: req.organisationId, format: req.format, via: req.via === 'api' ? 'api' : 'upload', actor: req.actor, route: req.route, requestId: req.requestId ?? null,
    encoding: req.encoding, sourceSystem: req.sourceSystem, maxBytes: req.maxBytes,
  };
  await enqueue(trx, INTAKE_IMPORT, payload, { dedupeKey: batchId, maxAttempts: 3 });
  return batchId;
}

/** How much of a stored file one statement reads. */
export const FILE_SLICE_BYTES = 64 * 1024;

/**
 * A stored file, read a slice at a time as the import consumes it, as base64 text. On PGlite a bytea
 * value is converted on the server's one thread: reading a 3 MB upload in one statement held every
 * request (/health included) for a quarter of a second; a 64 KB slice takes a millisecond or two.
 */
async function* storedFile(db: Kysely<Database>, batchId: string, file: { seq: number; size: number }): AsyncGenerator<Buffer> {
  const size = Number(file.size);
  for (let offset = 0; offset < size; offset += FILE_SLICE_BYTES) {
    const row = await db.selectFrom('intake_upload_file')
      .select(sql<string>`encode(substring(content from ${offset + 1}::int for ${FILE_SLICE_BYTES}::int), 'base64')`.as('slice'))
      .where('batch_id', '=', batchId).where('seq', '=', file.seq).executeTakeFirstOrThrow();
    yield Buffer.from(row.slice, 'base64');
  }
}

/** Runs an uploaded import; a batch already finished is left as it is (the row was delivered again). */
export const intakeImportProcessor: OutboxProcessor = {
  name: 'intake import',
  kinds: [INTAKE_IMPORT],
  async handle(message, { db, log }) {
    const p = message.payload as IntakeImportPayload;
    const batch = await db.selectFrom('intake_batch').select(['status', 'bytes_total']).where('id', '=', p.batchId).executeTakeFirst();
    if (!batch || batch.status === 'completed' || batch.status === 'failed') return;
    // This process runs the batch now: its heartbeat shows the batch alive.
    await db.updateTable('intake_batch').set({ owner: INTAKE_OWNER, status: 'running', heartbeat_at: sql<Date>`now()`, finished_at: null, report: null })
      .where('id', '=', p.batchId).execute();
    const stored = await db.selectFrom('intake_row').select(sql<number>`coalesce(max(seq) + 1, 0)`.as('next')).where('batch_id', '=', p.batchId).executeTakeFirstOrThrow();
    if (Number(stored.next) > 0) log.warn({ batchId: p.batchId, outboxId: message.id, rowsStored: Number(stored.next) }, 'an import is starting again after its process stopped');
    const files = await db.selectFrom('intake_upload_file').select(['seq', 'purpose', 'file_name', sql<number>`octet_length(content)`.as('size')])
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
