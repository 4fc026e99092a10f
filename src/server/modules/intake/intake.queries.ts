import { sql, type Kysely } from 'kysely';
import type { Database } from '../../../db/database.js';
import type { Actor } from '../../actor.js';
import { isUuid } from '../../request.js';
import { visiblePersonIds } from '../people/people.policy.js';
import { RECEIVING, type BatchReport, type BatchStatus } from './intake.report.js';

/** A batch as pages and the API show it. */
export interface BatchView {
  id: string;
  organisationId: string;
  /** The key that sent it (API batches), else null. */
  apiKeyId: string | null;
  format: string;
  files: string[];
  via: string;
  status: BatchStatus;
  bytesTotal: number | null;
  bytesRead: number;
  recordsRead: number;
  startedAt: Date;
  finishedAt: Date | null;
  report: BatchReport | null;
}

/**
 * Loads a batch by id (null when missing or not an id at all). An upload still being stored (`receiving`)
 * is not a batch yet: it is null too (no one has been given its id, and it may yet be removed unfinished).
 */
export async function getBatch(db: Kysely<Database>, batchId: string): Promise<BatchView | null> {
  if (!isUuid(batchId)) return null;
  const b = await db.selectFrom('intake_batch').selectAll().where('id', '=', batchId).where('status', '<>', RECEIVING).executeTakeFirst();
  if (!b) return null;
  return {
    id: b.id, organisationId: b.organisation_id, apiKeyId: b.api_key_id, format: b.format, files: b.file_names, via: b.via, status: b.status as BatchStatus,
    bytesTotal: b.bytes_total === null ? null : Number(b.bytes_total), bytesRead: Number(b.bytes_read), recordsRead: b.records_read,
    startedAt: b.started_at, finishedAt: b.finished_at, report: (typeof b.report === 'string' ? JSON.parse(b.report) : b.report) as BatchReport | null,
  };
}

/** Whether a running batch has not started yet: its import waits in the outbox, claimed by no worker. */
export async function isQueued(db: Kysely<Database>, batchId: string): Promise<boolean> {
  const row = await db.selectFrom('outbox').select('id')
    .where('kind', '=', 'intake.import').where('dedupe_key', '=', batchId).where('status', '=', 'pending')
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', sql<Date>`now()`)]))
    .executeTakeFirst();
  return row !== undefined;
}

/** The organisation's most recent batches (not uploads still being stored). */
export async function listBatches(db: Kysely<Database>, organisationId: string, limit = 20) {
  return db.selectFrom('intake_batch').select(['id', 'format', 'file_names', 'via', 'status', 'records_read', 'started_at'])
    .where('organisation_id', '=', organisationId).where('status', '<>', RECEIVING).orderBy('started_at', 'desc').limit(limit).execute();
}

/** Every row of a batch, in order, for the downloadable report. */
export async function batchRows(db: Kysely<Database>, batchId: string) {
  return db.selectFrom('intake_row').selectAll().where('batch_id', '=', batchId).orderBy('seq').execute();
}

/** How many accepted records the batch page lists at a time. */
export const RECORDS_PER_PAGE = 100;

/** One page of a batch's accepted records (those that name a person), in order. */
export async function acceptedRows(db: Kysely<Database>, batchId: string, page: number) {
  const base = db.selectFrom('intake_row').where('batch_id', '=', batchId).where('outcome', '<>', 'rejected').where('person_id', 'is not', null);
  const [rows, total] = await Promise.all([
    base.select(['seq', 'file_name', 'table_name', 'row_number', 'ref', 'source_record_id', 'outcome', 'person_id', 'warnings'])
      .orderBy('seq').limit(RECORDS_PER_PAGE).offset((page - 1) * RECORDS_PER_PAGE).execute(),
    base.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
  ]);
  return { rows, total: Number(total.n) };
}

/**
 * Which of these people the actor may see now. A report names a person only when its reader could
 * already see them: a record linked to a child the reader cannot see, a new person and a record sent
 * to identity review look the same.
 */
export async function visibleAmong(db: Kysely<Database>, actor: Actor, personIds: (string | null)[]): Promise<Set<string>> {
  const ids = [...new Set(personIds.filter((id): id is string => typeof id === 'string'))];
  if (!ids.length) return new Set();
  const rows = await db.selectFrom('person').select('id').where('id', 'in', ids).where('id', 'in', visiblePersonIds(db, actor)).execute();
  return new Set(rows.map((r) => r.id));
}

/** The organisation's code table. */
export async function listMappings(db: Kysely<Database>, organisationId: string) {
  return db.selectFrom('agency_code_mapping as m').innerJoin('event_type as t', 't.code', 'm.event_type_code')
    .select(['m.agency_code', 'm.event_type_code', 'm.factor_codes', 'm.description', 'm.updated_at', 't.label'])
    .where('m.organisation_id', '=', organisationId).orderBy('m.agency_code').execute();
}
