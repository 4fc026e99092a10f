import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { expect } from 'vitest';
import type { Database } from '../src/db/database.js';
import type { IntakeFormat } from '../src/intake/types.js';
import { importBatch, type ImportRequest } from '../src/server/modules/intake/commands/import-batch.js';
import type { BatchReport } from '../src/server/modules/intake/intake.report.js';
import { createLogger } from '../src/server/logging.js';
import { drainOutbox } from './drain-outbox.js';
import { sharedDataDir } from './shared-data.js';

/** The DfE sample files shared by every engineer. */
export const DFE_SAMPLES = `${sharedDataDir()}/dfe-samples/`;

/** Fixtures for intake tests. */
export const INTAKE_FIXTURES = new URL('./fixtures/intake/', import.meta.url).pathname;

/**
 * Row counts of everything an organisation's imports write (to prove a re-import is a no-op). Scoped
 * to the organisation, because other test files write to the same server database at the same time.
 */
export async function tableCounts(db: Kysely<Database>, organisationId: string): Promise<Record<string, number>> {
  const n = async (q: { executeTakeFirstOrThrow(): Promise<{ n: unknown }> }) => Number((await q.executeTakeFirstOrThrow()).n);
  const sources = db.selectFrom('source_record').select('id').where('organisation_id', '=', organisationId);
  const people = db.selectFrom('source_record').select('person_id').where('organisation_id', '=', organisationId);
  const events = db.selectFrom('event').select('id').where('organisation_id', '=', organisationId);
  return {
    person: await n(db.selectFrom('person').select((eb) => eb.fn.countAll().as('n')).where('id', 'in', people)),
    person_name: await n(db.selectFrom('person_name').select((eb) => eb.fn.countAll().as('n')).where('person_id', 'in', people)),
    person_identifier: await n(db.selectFrom('person_identifier').select((eb) => eb.fn.countAll().as('n')).where('person_id', 'in', people)),
    person_address: await n(db.selectFrom('person_address').select((eb) => eb.fn.countAll().as('n')).where('person_id', 'in', people)),
    involvement: await n(db.selectFrom('involvement').select((eb) => eb.fn.countAll().as('n')).where('organisation_id', '=', organisationId)),
    event: await n(db.selectFrom('event').select((eb) => eb.fn.countAll().as('n')).where('organisation_id', '=', organisationId)),
    event_person: await n(db.selectFrom('event_person').select((eb) => eb.fn.countAll().as('n')).where('event_id', 'in', events)),
    event_grading: await n(db.selectFrom('event_grading').select((eb) => eb.fn.countAll().as('n')).where('event_id', 'in', events)),
    intake_record: await n(db.selectFrom('intake_record').select((eb) => eb.fn.countAll().as('n')).where('organisation_id', '=', organisationId)),
    source_record: await n(db.selectFrom('source_record').select((eb) => eb.fn.countAll().as('n')).where('organisation_id', '=', organisationId)),
    source_record_version: await n(db.selectFrom('source_record_version').select((eb) => eb.fn.countAll().as('n')).where('source_record_ref', 'in', sources)),
    identity_review_item: await n(db.selectFrom('identity_review_item').select((eb) => eb.fn.countAll().as('n')).where('source_record_ref', 'in', sources)),
  };
}

/** Imports log nowhere in tests. */
export const silentLog = createLogger('silent');

/** Imports files from disk as the command line does. */
export async function importFiles(db: Kysely<Database>, organisationId: string, format: IntakeFormat, paths: string[], extra: Partial<ImportRequest> = {}): Promise<BatchReport> {
  return importBatch(db, {
    organisationId, format, via: 'cli', actor: null, route: 'CLI import', maxBytes: 50 * 1024 * 1024, log: silentLog,
    sources: paths.map((p) => ({ name: basename(p), bytes: createReadStream(p) })), ...extra,
  });
}

/** Imports in-memory content (a string or bytes) as one file. */
export async function importText(db: Kysely<Database>, organisationId: string, format: IntakeFormat, name: string, content: string | Buffer, extra: Partial<ImportRequest> = {}): Promise<BatchReport> {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'utf8') : content;
  // Streamed in 4 KB pieces, as a file or a network upload arrives.
  const pieces: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += 4096) pieces.push(bytes.subarray(i, i + 4096));
  return importBatch(db, {
    organisationId, format, via: 'cli', actor: null, route: 'CLI import', maxBytes: 50 * 1024 * 1024, log: silentLog,
    sources: [{ name, bytes: Readable.from(pieces) }], ...extra,
  });
}

const GIVEN = ['Kai', 'Amara', 'Jonah', 'Priya', 'Tobias', 'Zainab', 'Femi', 'Lena', 'Oskar', 'Ruby'];
const randomInt = (n: number) => Math.floor(Math.random() * n);
const randomWord = () => String.fromCharCode(65 + randomInt(26)) + Array.from({ length: 7 }, () => String.fromCharCode(97 + randomInt(26))).join('');

/** A synthetic person as an agency sends them: random enough that two calls are not the same child. */
export function syntheticPerson(recordId: string): Record<string, unknown> {
  const dob = `${2006 + randomInt(7)}-${String(1 + randomInt(12)).padStart(2, '0')}-${String(1 + randomInt(28)).padStart(2, '0')}`;
  return {
    recordId, givenNames: GIVEN[randomInt(GIVEN.length)], familyName: randomWord(), dateOfBirth: dob, sex: randomInt(2) ? 'male' : 'female',
    ethnicity: 'MWBC', identifiers: [{ scheme: 'police_id', value: `PID-${recordId}-${randomWord()}` }], address: { postcode: 'ZZ1 1ZZ', borough: 'Testborough' },
  };
}

/** A valid interchange v1 record from a police system (synthetic people), with overrides. */
export function policeRecord(organisationId: string, recordId: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    format: 'jigsaw-interchange/1', organisation: organisationId, sourceSystem: 'NicheRMS', recordId,
    person: syntheticPerson(`NOM-${recordId}`),
    event: { code: 'stop_and_search', occurredAt: '2026-03-01T21:15:00Z', summary: 'Stopped and searched near the station; nothing found', place: 'Test Street station' },
    ...overrides,
  };
}

/** Records as JSON Lines text. */
export const toJsonl = (records: unknown[]) => `${records.map((r) => JSON.stringify(r)).join('\n')}\n`;

/** A multipart/form-data body for inject(): text fields and files. */
export function multipartBody(fields: Record<string, string>, files: { field: string; name: string; content: string | Buffer }[]): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----jigsawtest${Math.random().toString(16).slice(2)}`;
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  for (const f of files) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${f.field}"; filename="${f.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`));
    parts.push(typeof f.content === 'string' ? Buffer.from(f.content) : f.content, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(parts), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}

/** What inject() answers, as far as the intake helpers need it. */
interface Answer { statusCode: number; headers: Record<string, unknown>; body: string; json: () => unknown }

/**
 * Follows POST /api/v1/intake's contract: the answer is 202 with the batch's address (Location and
 * statusUrl); the import is outbox work, so the outbox is drained; then the batch is read at its
 * address with the same key, and its report returned.
 */
export async function followBatch(app: FastifyInstance, db: Kysely<Database>, res: Answer, auth: Record<string, string>): Promise<BatchReport> {
  expect(res.statusCode, res.body).toBe(202);
  const accepted = res.json() as { batchId: string; status: string; statusUrl: string; reportUrl: string };
  expect(accepted).toMatchObject({ status: 'queued', statusUrl: `/api/v1/intake/batches/${accepted.batchId}`, reportUrl: `/api/v1/intake/${accepted.batchId}` });
  expect(res.headers.location).toBe(accepted.statusUrl);
  await drainOutbox(db);
  const got = await app.inject({ method: 'GET', url: accepted.statusUrl, headers: auth });
  expect(got.statusCode, got.body).toBe(200);
  const status = got.json() as { status: string; report: BatchReport | null };
  expect(status.status).not.toMatch(/^(queued|running)$/);
  return status.report!;
}

/** POSTs to /api/v1/intake with inject() and follows the batch to its report (see followBatch). */
export async function postIntake(
  app: FastifyInstance, db: Kysely<Database>, auth: Record<string, string>,
  body: { records: unknown[] } | string, opts: { contentType?: string; query?: string } = {},
): Promise<BatchReport> {
  const contentType = opts.contentType ?? (typeof body === 'string' ? 'application/x-ndjson' : 'application/json');
  const res = await app.inject({
    method: 'POST', url: `/api/v1/intake${opts.query ? `?${opts.query}` : ''}`, headers: { ...auth, 'content-type': contentType },
    payload: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return followBatch(app, db, res, auth);
}
