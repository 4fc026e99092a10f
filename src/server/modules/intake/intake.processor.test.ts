import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { drainOutbox, silentLog } from '../../../../test/drain-outbox.js';
import { auditRowsFor, lastAuditId, makeOrg, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { importText, policeRecord, toJsonl } from '../../../../test/intake-helpers.js';
import type { Actor } from '../../actor.js';
import { runOutboxOnce } from '../../outbox/outbox.js';
import { createApiKey } from '../api/api-key.js';
import { ENTRIES_RECORDED } from '../chronology/commands/append-entry.js';
import { runImport } from './commands/import-batch.js';
import { interruptOrphanedBatches, interruptSilentBatches } from './commands/interrupt-batches.js';
import {
  beginUpload, finishUpload, INTAKE_IMPORT, INTAKE_UPLOAD_ABANDONED, intakeImportProcessor, queueUpload, RECEIVING_EXPIRES_MS, storeUploadPart,
  UPLOAD_PART_BYTES, uploadAbandonedProcessor, type UploadToQueue,
} from './intake.processor.js';
import { getBatch, listBatches } from './intake.queries.js';
import type { BatchReport } from './intake.report.js';

describe(`uploaded imports as outbox work on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  async function world() {
    const police = await makeOrg(t.db, 'police', 'Uploadvale');
    const dsl = await makeUser(t.db, { organisationId: police.id, roles: ['designated_safeguarding_lead'] });
    const actor: Actor = { kind: 'user', userId: dsl.id, name: dsl.name, email: dsl.email, organisationId: police.id, organisationName: police.name, teamId: null, roles: ['designated_safeguarding_lead'], partnershipId: '00000000-0000-4000-8000-000000000000' };
    return { police, actor, dslEmail: dsl.email };
  }

  const uploadOf = (actor: Actor, data: Buffer, name = 'records.jsonl'): UploadToQueue => ({
    request: { organisationId: actor.organisationId, format: 'jsonl', via: 'upload', actor, route: 'POST /intake/uploads', requestId: 'test', maxBytes: 10_000_000, bytesTotal: data.length },
    files: [{ name, data }],
  });
  // As the upload page and the API store an upload: each step a transaction of its own.
  const queue = (actor: Actor, text: string) => queueUpload(t.db, uploadOf(actor, Buffer.from(text)));
  const batchOf = (id: string) => t.db.selectFrom('intake_batch').select(['status', 'report', 'owner']).where('id', '=', id).executeTakeFirstOrThrow();
  const eventsOf = (organisationId: string) => t.db.selectFrom('event').select('source_record_id').where('organisation_id', '=', organisationId).orderBy('source_record_id').execute();
  const importRow = (batchId: string) => t.db.selectFrom('outbox').select(['id', 'status', 'attempts']).where('kind', '=', INTAKE_IMPORT).where('dedupe_key', '=', batchId).executeTakeFirstOrThrow();

  it('queues the import once the file is stored; the worker imports it and removes the file', async () => {
    const w = await world();
    const batchId = await queue(w.actor, toJsonl([policeRecord(w.police.id, 'U-1'), policeRecord(w.police.id, 'U-2'), policeRecord(w.police.id, 'U-3')]));
    expect((await batchOf(batchId)).status).toBe('running');
    expect(await t.db.selectFrom('intake_upload_file').select(['purpose', 'file_name']).where('batch_id', '=', batchId).execute()).toEqual([{ purpose: 'data', file_name: 'records.jsonl' }]);
    expect(await importRow(batchId)).toMatchObject({ status: 'pending', attempts: 0 });
    expect(await eventsOf(w.police.id)).toEqual([]);

    await drainOutbox(t.db);
    const batch = await batchOf(batchId);
    expect(batch.status).toBe('completed');
    expect(batch.report).toMatchObject({ received: 3, accepted: 3, outcomes: { new: 3, updated: 0, unchanged: 0 } });
    expect((await eventsOf(w.police.id)).map((e) => e.source_record_id)).toEqual(['U-1', 'U-2', 'U-3']);
    expect(await t.db.selectFrom('intake_upload_file').select('seq').where('batch_id', '=', batchId).execute()).toEqual([]);
    expect(await importRow(batchId)).toMatchObject({ status: 'done', attempts: 1 });
    // The import's entries queued the rules in turn, and the drain ran them.
    const ids = (await t.db.selectFrom('event').select('id').where('organisation_id', '=', w.police.id).execute()).map((e) => e.id).sort();
    const entries = (await t.db.selectFrom('outbox').select(['status', 'payload']).where('kind', '=', ENTRIES_RECORDED).execute())
      .filter((r) => (r.payload as { eventIds: string[] }).eventIds.some((id) => ids.includes(id)));
    expect(entries.flatMap((r) => (r.payload as { eventIds: string[] }).eventIds).sort()).toEqual(ids);
    expect(entries.every((r) => r.status === 'done')).toBe(true);

    // The same row delivered again (its worker died before marking it done) leaves the finished batch as it is.
    const row = await importRow(batchId);
    await t.db.updateTable('outbox').set({ status: 'pending', done_at: null }).where('id', '=', row.id).execute();
    expect(await runOutboxOnce(t.db, { processors: [intakeImportProcessor], log: silentLog })).toMatchObject({ claimed: 1, done: 1 });
    expect((await eventsOf(w.police.id)).length).toBe(3);
    expect((await batchOf(batchId)).report).toEqual(batch.report);
  });

  it('does not call a batch interrupted while its import is still queued, and does once its import is dead', async () => {
    const w = await world();
    const batchId = await queue(w.actor, toJsonl([policeRecord(w.police.id, 'Q-1')]));
    // Its process went silent long ago (the server was down), but the import waits in the outbox.
    await t.db.updateTable('intake_batch').set({ heartbeat_at: sql<Date>`now() - interval '1 hour'`, owner: 'a process that stopped' }).where('id', '=', batchId).execute();
    expect(await interruptSilentBatches(t.db, { batchId }, silentLog)).toEqual([]);
    expect((await batchOf(batchId)).status).toBe('running');
    await t.db.updateTable('outbox').set({ status: 'dead' }).where('kind', '=', INTAKE_IMPORT).where('dedupe_key', '=', batchId).execute();
    expect(await interruptSilentBatches(t.db, { batchId }, silentLog)).toEqual([batchId]);
    expect((await batchOf(batchId)).status).toBe('interrupted');
  });

  it('runs an import again after its process died part way, storing the rest once', async () => {
    const w = await world();
    const records = Array.from({ length: 5 }, (_, i) => policeRecord(w.police.id, `P-${i + 1}`));
    const batchId = await queue(w.actor, toJsonl(records));
    // A worker stored the first two records, then its process died before the batch finished.
    await runImport(t.db, batchId, {
      organisationId: w.police.id, format: 'jsonl', via: 'upload', actor: w.actor, route: 'POST /intake/uploads', maxBytes: 1_000_000, log: silentLog,
      sources: [{ name: 'records.jsonl', bytes: Readable.from([Buffer.from(toJsonl(records.slice(0, 2)))]) }],
    });
    await t.db.updateTable('intake_batch').set({ status: 'running', report: null, finished_at: null, owner: 'a process that died' }).where('id', '=', batchId).execute();
    expect((await eventsOf(w.police.id)).length).toBe(2);

    await drainOutbox(t.db);
    const batch = await batchOf(batchId);
    expect(batch.status).toBe('completed');
    expect((batch.report as BatchReport).outcomes).toEqual({ new: 3, updated: 0, unchanged: 2 });
    expect((await eventsOf(w.police.id)).map((e) => e.source_record_id)).toEqual(['P-1', 'P-2', 'P-3', 'P-4', 'P-5']);
    const seqs = (await t.db.selectFrom('intake_row').select('seq').where('batch_id', '=', batchId).orderBy('seq').execute()).map((r) => r.seq);
    expect(seqs).toEqual([0, 1, 2, 3, 4, 5, 6]);
  });

  /** Letters from a number: distinct synthetic names, the same every run. */
  const nameOf = (n: number) => {
    let x = (n * 2_654_435_761) % 308_915_776;
    let out = '';
    for (let i = 0; i < 6; i++, x = Math.floor(x / 26)) out += String.fromCharCode(97 + (x % 26));
    return out[0]!.toUpperCase() + out.slice(1);
  };
  /**
   * A record whose summary is mostly three-byte characters, so a part's edge can fall inside one. Its person is
   * born on a day of its own (from 2013: other tests' people are born before), so no one is sent to review.
   */
  const multiByteRecord = (organisationId: string, i: number, people: number, pad = 0): Record<string, unknown> => {
    const n = people + i;
    return {
      format: 'jigsaw-interchange/1', organisation: organisationId, sourceSystem: 'NicheRMS', recordId: `MP-${i}`,
      person: {
        recordId: `NOM-MP-${i}`, givenNames: nameOf(n * 7 + 1), familyName: nameOf(n * 13 + 5), dateOfBirth: new Date(Date.UTC(2013, 0, 1 + n * 3)).toISOString().slice(0, 10),
        sex: n % 2 ? 'male' : 'female', ethnicity: 'MWBC', identifiers: [{ scheme: 'police_id', value: `PID-MP-${n}` }], address: { postcode: 'ZZ1 1ZZ', borough: 'Testborough' },
      },
      event: { code: i === 150 ? 'no_such_type' : 'stop_and_search', occurredAt: '2026-03-01T21:15:00Z', summary: `Seen near the café ${'x'.repeat(pad)}— ${'€'.repeat(120)} (${i})`, place: 'Test Street station' },
    };
  };
  /** 260 records (about 4 parts) with a line that is not JSON and an unknown code; the first record's summary padded by `pad`. */
  const multiPartFile = (organisationId: string, people: number, pad: number): string => {
    const lines = Array.from({ length: 260 }, (_, i) => JSON.stringify(multiByteRecord(organisationId, i, people, i === 0 ? pad : 0)));
    lines.splice(100, 0, '{"format": "jigsaw-interchange/1", "recordId": ');
    return `${lines.join('\n')}\n`;
  };
  /** The padding that puts a character across the first part's edge (a continuation byte right after it). */
  const splittingPad = (organisationId: string): number => {
    for (let pad = 0; pad < 400; pad++) {
      const byte = Buffer.from(multiPartFile(organisationId, 0, pad))[UPLOAD_PART_BYTES]!;
      if (byte >= 0x80 && byte <= 0xbf) return pad;
    }
    throw new Error('no padding puts a character across the first part\'s edge');
  };

  it('imports an upload stored in several parts exactly as the same file read whole: records, report and rows, a character split between parts included', async () => {
    const w = await world();
    const reference = await makeOrg(t.db, 'police', 'Uploadvale');
    const pad = splittingPad(w.police.id);
    const text = multiPartFile(w.police.id, 0, pad);
    const data = Buffer.from(text);
    expect(data.length).toBeGreaterThan(3 * UPLOAD_PART_BYTES);
    // The first part ends inside a character (a continuation byte follows it).
    expect(data[UPLOAD_PART_BYTES]! & 0xc0).toBe(0x80);

    const batchId = await queueUpload(t.db, uploadOf(w.actor, data));
    const parts = await t.db.selectFrom('intake_upload_part').select(['part', sql<number>`octet_length(content)`.as('size')]).where('batch_id', '=', batchId).orderBy('part').execute();
    expect(parts.map((p) => p.part)).toEqual(Array.from({ length: Math.ceil(data.length / UPLOAD_PART_BYTES) }, (_, i) => i));
    expect(parts.map((p) => Number(p.size)).reduce((a, b) => a + b, 0)).toBe(data.length);
    expect(Math.max(...parts.map((p) => Number(p.size)))).toBe(UPLOAD_PART_BYTES);
    const file = await t.db.selectFrom('intake_upload_file').select(['content', 'size']).where('batch_id', '=', batchId).executeTakeFirstOrThrow();
    expect([file.content, Number(file.size)]).toEqual([null, data.length]);
    await drainOutbox(t.db);

    // The same file, for another organisation (other people), read whole as `jigsaw import` reads it.
    const expected = await importText(t.db, reference.id, 'jsonl', 'records.jsonl', multiPartFile(reference.id, 1000, pad));
    const report = (await batchOf(batchId)).report as BatchReport;
    const comparable = (r: BatchReport) => ({ ...r, batchId: undefined, organisationId: undefined });
    expect(comparable(report)).toEqual(comparable(expected));
    expect(report).toMatchObject({ status: 'completed', received: 261, accepted: 259, rejected: 2, outcomes: { new: 259, updated: 0, unchanged: 0 }, reconciled: true });
    expect(report.rejections.map((r) => [r.row, r.recordId])).toEqual([[101, null], [152, 'MP-150']]);

    const rowsOf = async (id: string) => (await t.db.selectFrom('intake_row')
      .select(['seq', 'file_name', 'table_name', 'row_number', 'ref', 'source_record_id', 'outcome', 'person_outcome', 'errors', 'warnings'])
      .where('batch_id', '=', id).orderBy('seq').execute());
    const referenceBatch = await t.db.selectFrom('intake_batch').select('id').where('organisation_id', '=', reference.id).executeTakeFirstOrThrow();
    expect(await rowsOf(batchId)).toEqual(await rowsOf(referenceBatch.id));
    // Every entry holds its summary as sent: no character was cut at a part's edge.
    const summaries = async (organisationId: string) => (await t.db.selectFrom('event').select(['source_record_id', 'summary'])
      .where('organisation_id', '=', organisationId).orderBy('source_record_id').execute());
    const stored = await summaries(w.police.id);
    expect(stored).toEqual(await summaries(reference.id));
    const sent = text.split('\n').filter((l) => l.includes('"stop_and_search"')).map((l) => JSON.parse(l) as { recordId: string; event: { summary: string } });
    expect(stored).toEqual(sent.map((r) => ({ source_record_id: r.recordId, summary: r.event.summary })).sort((a, b) => a.source_record_id.localeCompare(b.source_record_id)));
    expect(await t.db.selectFrom('intake_upload_part').select('part').where('batch_id', '=', batchId).execute()).toEqual([]);
  });

  it('stores each part in a transaction of its own: other work runs between parts and sees the upload only as receiving, never listed or queued', async () => {
    const w = await world();
    const data = Buffer.from(toJsonl(Array.from({ length: 6 * 130 }, (_, i) => policeRecord(w.police.id, `TX-${i}`))));
    const total = Math.ceil(data.length / UPLOAD_PART_BYTES);
    expect(total).toBeGreaterThanOrEqual(6);
    type Seen = { parts: number; statuses: string[]; imports: number; listed: string[] };
    const seen: Seen[] = [];
    let finished = false;
    // Another request's work, meanwhile: one statement (one snapshot) for what is stored, then the list the upload page shows.
    const watcher = (async () => {
      while (!finished) {
        const { rows } = await sql<{ parts: unknown; statuses: string[] | null; imports: unknown }>`SELECT
          (SELECT count(*) FROM intake_upload_part p JOIN intake_batch b ON b.id = p.batch_id WHERE b.organisation_id = ${w.police.id}) AS parts,
          (SELECT array_agg(status) FROM intake_batch WHERE organisation_id = ${w.police.id}) AS statuses,
          (SELECT count(*) FROM outbox o JOIN intake_batch b ON o.dedupe_key = b.id::text WHERE o.kind = ${INTAKE_IMPORT} AND b.organisation_id = ${w.police.id}) AS imports`.execute(t.db);
        const listed = (await listBatches(t.db, w.police.id)).map((b) => b.status);
        seen.push({ parts: Number(rows[0]!.parts), statuses: rows[0]!.statuses ?? [], imports: Number(rows[0]!.imports), listed });
        await new Promise((r) => setImmediate(r));
      }
    })();
    const batchId = await queueUpload(t.db, uploadOf(w.actor, data));
    finished = true;
    await watcher;

    const partway = seen.filter((x) => x.parts > 0 && x.parts < total);
    expect(partway.length).toBeGreaterThan(0);
    for (const x of partway) expect({ statuses: x.statuses, imports: x.imports }).toEqual({ statuses: ['receiving'], imports: 0 });
    // The upload page's list never shows a batch still receiving.
    expect(seen.flatMap((x) => x.listed)).not.toContain('receiving');
    // One statement a part, each at most UPLOAD_PART_BYTES.
    const sizes = await t.db.selectFrom('intake_upload_part').select(sql<number>`octet_length(content)`.as('size')).where('batch_id', '=', batchId).execute();
    expect(sizes.length).toBe(total);
    expect(sizes.every((x) => Number(x.size) <= UPLOAD_PART_BYTES)).toBe(true);
    expect((await batchOf(batchId)).status).toBe('running');
    expect(await importRow(batchId)).toMatchObject({ status: 'pending' });
    // Its clean-up was withdrawn as the upload finished.
    expect(await t.db.selectFrom('outbox').select('status').where('kind', '=', INTAKE_UPLOAD_ABANDONED).where('dedupe_key', '=', batchId).executeTakeFirstOrThrow()).toEqual({ status: 'done' });
    // Not imported here (another test imports): its import is withdrawn and the batch removed.
    await t.db.updateTable('outbox').set({ status: 'done' }).where('kind', '=', INTAKE_IMPORT).where('dedupe_key', '=', batchId).execute();
    await t.db.deleteFrom('intake_batch').where('id', '=', batchId).execute();
  });

  it('removes an upload abandoned part way (its process stopped) once its clean-up falls due an hour later, and never imports or shows it meanwhile', async () => {
    const w = await world();
    const session = await signIn(t.app, w.dslEmail);
    const key = await createApiKey(t.db, w.police.id, 'Abandoning system');
    const data = Buffer.from(toJsonl(Array.from({ length: 4 * 130 }, (_, i) => policeRecord(w.police.id, `AB-${i}`))));
    const upload = uploadOf({ kind: 'system', apiKeyId: key.id, organisationId: w.police.id, organisationName: w.police.name }, data, 'abandoned.jsonl');
    upload.request.via = 'api';
    // The process stops after storing the batch and two of its parts.
    const { batchId } = await t.db.transaction().execute((trx) => beginUpload(trx, upload));
    await storeUploadPart(t.db, batchId, 0, 0, data.subarray(0, UPLOAD_PART_BYTES));
    await storeUploadPart(t.db, batchId, 0, 1, data.subarray(UPLOAD_PART_BYTES, 2 * UPLOAD_PART_BYTES));
    const clean = await t.db.selectFrom('outbox').select(['status', 'available_at']).where('kind', '=', INTAKE_UPLOAD_ABANDONED).where('dedupe_key', '=', batchId).executeTakeFirstOrThrow();
    expect(clean.status).toBe('pending');

    // Meanwhile: not a batch to anyone (as missing), not interrupted, and no import queued.
    expect(await getBatch(t.db, batchId)).toBeNull();
    expect((await listBatches(t.db, w.police.id)).map((b) => b.id)).not.toContain(batchId);
    const since = await lastAuditId(t.db);
    const missing = '00000000-0000-4000-8000-00000000abcd';
    for (const url of [`/intake/batches/${batchId}`, `/intake/batches/${batchId}/report.csv`]) {
      const res = await t.app.inject({ method: 'GET', url, headers: { cookie: session.cookie } });
      const other = await t.app.inject({ method: 'GET', url: url.replace(batchId, missing), headers: { cookie: session.cookie } });
      // The same page as for a batch that does not exist (but for the page's own nonce).
      const page = (body: string) => body.replace(/nonce="[^"]*"/g, 'nonce=""');
      expect([res.statusCode, page(res.body)]).toEqual([404, page(other.body)]);
    }
    for (const url of [`/api/v1/intake/batches/${batchId}`, `/api/v1/intake/${batchId}`]) {
      const res = await t.app.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key.key}` } });
      const other = await t.app.inject({ method: 'GET', url: url.replace(batchId, missing), headers: { authorization: `Bearer ${key.key}` } });
      const body = (r: typeof res) => ({ ...(r.json() as { error: object }).error, requestId: undefined });
      expect([res.statusCode, body(res)]).toEqual([404, body(other)]);
    }
    const page = await t.app.inject({ method: 'GET', url: '/intake', headers: { cookie: session.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain('abandoned.jsonl');
    // Each refusal is logged as for a missing batch.
    const refusals = (await auditRowsFor(t.db, { since })).filter((r) => r.action === 'intake.report.read');
    const detailOf = (r: (typeof refusals)[number]) => (typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail) as { batchId?: string };
    expect(refusals.map((r) => [r.outcome, detailOf(r).batchId])).toEqual(Array.from({ length: 4 }, () => [['denied', batchId], ['denied', missing]]).flat());
    expect(await interruptSilentBatches(t.db, { batchId }, silentLog)).toEqual([]);
    expect(await interruptOrphanedBatches(t.db, TEST_ENGINE === 'postgres' ? 'postgres' : 'pglite', silentLog)).not.toContain(batchId);
    // Its parts do not add up to its file: it cannot be finished, and nothing is queued.
    await expect(t.db.transaction().execute((trx) => finishUpload(trx, batchId, upload.request))).rejects.toMatchObject({ statusCode: 409, code: 'upload_not_stored' });
    expect((await t.db.selectFrom('intake_batch').select('status').where('id', '=', batchId).executeTakeFirstOrThrow()).status).toBe('receiving');
    expect(await t.db.selectFrom('outbox').select('id').where('kind', '=', INTAKE_IMPORT).where('dedupe_key', '=', batchId).execute()).toEqual([]);

    // Time moves on: nothing is due before the hour, and at the hour the batch, its file and its parts go.
    const startedAt = new Date(clean.available_at.getTime() - RECEIVING_EXPIRES_MS);
    const at = (ms: number) => new Date(startedAt.getTime() + ms);
    expect(await runOutboxOnce(t.db, { processors: [uploadAbandonedProcessor], log: silentLog, now: at(RECEIVING_EXPIRES_MS - 60_000) })).toMatchObject({ claimed: 0 });
    expect(await t.db.selectFrom('intake_upload_part').select('part').where('batch_id', '=', batchId).execute()).toHaveLength(2);
    expect(await runOutboxOnce(t.db, { processors: [uploadAbandonedProcessor], log: silentLog, now: at(RECEIVING_EXPIRES_MS + 60_000) })).toMatchObject({ claimed: 1, done: 1 });
    expect(await t.db.selectFrom('intake_batch').select('id').where('id', '=', batchId).execute()).toEqual([]);
    expect(await t.db.selectFrom('intake_upload_file').select('seq').where('batch_id', '=', batchId).execute()).toEqual([]);
    expect(await t.db.selectFrom('intake_upload_part').select('part').where('batch_id', '=', batchId).execute()).toEqual([]);
    expect(await t.db.selectFrom('outbox').select('status').where('kind', '=', INTAKE_UPLOAD_ABANDONED).where('dedupe_key', '=', batchId).executeTakeFirstOrThrow()).toEqual({ status: 'done' });
    // Its process, had it come back, could neither store more nor finish it.
    await expect(storeUploadPart(t.db, batchId, 0, 2, data.subarray(2 * UPLOAD_PART_BYTES, 3 * UPLOAD_PART_BYTES))).rejects.toMatchObject({ code: 'upload_not_stored' });
    await expect(t.db.transaction().execute((trx) => finishUpload(trx, batchId, upload.request))).rejects.toMatchObject({ code: 'upload_not_stored' });
    expect(await t.db.selectFrom('event').select('id').where('organisation_id', '=', w.police.id).where('source_record_id', 'like', 'AB-%').execute()).toEqual([]);
  });

  it('never imports a batch still receiving, even with every part stored and an import row delivered for it; its clean-up leaves a finished upload alone', async () => {
    const w = await world();
    const data = Buffer.from(toJsonl(Array.from({ length: 200 }, (_, i) => policeRecord(w.police.id, `RC-${i}`))));
    const upload = uploadOf(w.actor, data);
    const { batchId } = await t.db.transaction().execute((trx) => beginUpload(trx, upload));
    for (let offset = 0, part = 0; offset < data.length; offset += UPLOAD_PART_BYTES, part++) await storeUploadPart(t.db, batchId, 0, part, data.subarray(offset, offset + UPLOAD_PART_BYTES));
    // An import row for it (only the last step queues one: here, as if by mistake).
    await t.db.insertInto('outbox').values({
      kind: INTAKE_IMPORT, dedupe_key: batchId,
      payload: JSON.stringify({ batchId, organisationId: w.police.id, format: 'jsonl', via: 'upload', actor: w.actor, route: 'POST /intake/uploads', requestId: null, maxBytes: 10_000_000 }),
    }).execute();
    expect(await runOutboxOnce(t.db, { processors: [intakeImportProcessor], log: silentLog })).toMatchObject({ claimed: 1, done: 1 });
    expect((await batchOf(batchId)).status).toBe('receiving');
    expect(await t.db.selectFrom('intake_row').select('seq').where('batch_id', '=', batchId).execute()).toEqual([]);
    expect(await t.db.selectFrom('event').select('id').where('organisation_id', '=', w.police.id).where('source_record_id', 'like', 'RC-%').execute()).toEqual([]);
    expect(await t.db.selectFrom('intake_upload_part').select('part').where('batch_id', '=', batchId).execute()).toHaveLength(Math.ceil(data.length / UPLOAD_PART_BYTES));

    // Finished, it is imported; its clean-up, delivered anyway an hour later, leaves it as it is.
    await t.db.updateTable('outbox').set({ status: 'done' }).where('kind', '=', INTAKE_IMPORT).where('dedupe_key', '=', batchId).execute();
    await t.db.deleteFrom('outbox').where('kind', '=', INTAKE_IMPORT).where('dedupe_key', '=', batchId).execute();
    await t.db.transaction().execute((trx) => finishUpload(trx, batchId, upload.request));
    await drainOutbox(t.db);
    expect((await batchOf(batchId)).report).toMatchObject({ status: 'completed', received: 200, accepted: 200 });
    await t.db.updateTable('outbox').set({ status: 'pending', done_at: null }).where('kind', '=', INTAKE_UPLOAD_ABANDONED).where('dedupe_key', '=', batchId).execute();
    expect(await runOutboxOnce(t.db, { processors: [uploadAbandonedProcessor], log: silentLog, now: new Date(Date.now() + 2 * RECEIVING_EXPIRES_MS) })).toMatchObject({ failed: 0, dead: 0 });
    expect(await t.db.selectFrom('outbox').select('status').where('kind', '=', INTAKE_UPLOAD_ABANDONED).where('dedupe_key', '=', batchId).executeTakeFirstOrThrow()).toEqual({ status: 'done' });
    expect((await batchOf(batchId)).status).toBe('completed');
    expect(await t.db.selectFrom('event').select('id').where('organisation_id', '=', w.police.id).where('source_record_id', 'like', 'RC-%').execute()).toHaveLength(200);
  });

  it('given a transaction, stores the whole upload in it: rolled back, nothing of it is left', async () => {
    const w = await world();
    const data = Buffer.from(toJsonl(Array.from({ length: 150 }, (_, i) => policeRecord(w.police.id, `RB-${i}`))));
    let batchId = '';
    await expect(t.db.transaction().execute(async (trx) => {
      batchId = await queueUpload(trx, uploadOf(w.actor, data));
      expect(await trx.selectFrom('intake_upload_part').select('part').where('batch_id', '=', batchId).execute()).toHaveLength(Math.ceil(data.length / UPLOAD_PART_BYTES));
      throw new Error('the caller changed its mind');
    })).rejects.toThrow('the caller changed its mind');
    expect(batchId).not.toBe('');
    expect(await t.db.selectFrom('intake_batch').select('id').where('id', '=', batchId).execute()).toEqual([]);
    expect(await t.db.selectFrom('outbox').select('id').where('dedupe_key', '=', batchId).execute()).toEqual([]);
  });
});
