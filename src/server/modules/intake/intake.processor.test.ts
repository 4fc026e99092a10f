import { Readable } from 'node:stream';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { drainOutbox, silentLog } from '../../../../test/drain-outbox.js';
import { makeOrg, makeUser, TEST_ENGINE, useTestDb } from '../../../../test/helpers.js';
import { policeRecord, toJsonl } from '../../../../test/intake-helpers.js';
import type { Actor } from '../../actor.js';
import { runOutboxOnce } from '../../outbox/outbox.js';
import { ENTRIES_RECORDED } from '../chronology/commands/append-entry.js';
import { runImport } from './commands/import-batch.js';
import { interruptSilentBatches } from './commands/interrupt-batches.js';
import { INTAKE_IMPORT, intakeImportProcessor, queueUpload } from './intake.processor.js';
import type { BatchReport } from './intake.report.js';

describe(`uploaded imports as outbox work on ${TEST_ENGINE}`, () => {
  const t = useTestDb();

  async function world() {
    const police = await makeOrg(t.db, 'police', 'Uploadvale');
    const dsl = await makeUser(t.db, { organisationId: police.id, roles: ['designated_safeguarding_lead'] });
    const actor: Actor = { kind: 'user', userId: dsl.id, name: dsl.name, email: dsl.email, organisationId: police.id, organisationName: police.name, teamId: null, roles: ['designated_safeguarding_lead'], partnershipId: '00000000-0000-4000-8000-000000000000' };
    return { police, actor };
  }

  const queue = (actor: Actor, text: string) => t.db.transaction().execute((trx) => queueUpload(trx, {
    request: { organisationId: actor.organisationId, format: 'jsonl', via: 'upload', actor, route: 'POST /intake/uploads', requestId: 'test', maxBytes: 1_000_000, bytesTotal: text.length },
    files: [{ name: 'records.jsonl', data: Buffer.from(text) }],
  }));
  const batchOf = (id: string) => t.db.selectFrom('intake_batch').select(['status', 'report', 'owner']).where('id', '=', id).executeTakeFirstOrThrow();
  const eventsOf = (organisationId: string) => t.db.selectFrom('event').select('source_record_id').where('organisation_id', '=', organisationId).orderBy('source_record_id').execute();
  const importRow = (batchId: string) => t.db.selectFrom('outbox').select(['id', 'status', 'attempts']).where('kind', '=', INTAKE_IMPORT).where('dedupe_key', '=', batchId).executeTakeFirstOrThrow();

  it('commits the batch, its file and the queued import together; the worker imports it and removes the file', async () => {
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
});
