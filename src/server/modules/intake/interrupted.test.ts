import { Writable } from 'node:stream';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { auditRowsFor, buildTestApp, lastAuditId, makeOrg, makeTeam, makeUser, signIn, TEST_ENGINE, useTestApp } from '../../../../test/helpers.js';
import { importText, policeRecord, silentLog, toJsonl } from '../../../../test/intake-helpers.js';
import type { Actor } from '../../actor.js';
import { createLogger } from '../../logging.js';
import { createApiKey } from '../api/api-key.js';
import { createBatch } from './commands/import-batch.js';
import { interruptOrphanedBatches } from './commands/interrupt-batches.js';
import { beat, INTAKE_OWNER, startHeartbeat } from './intake.heartbeat.js';

const DEAD_OWNER = 'gone-host/4242/deadbeef';

describe(`interrupted imports on ${TEST_ENGINE}`, () => {
  const t = useTestApp();

  async function world() {
    const org = await makeOrg(t.db, 'school');
    const other = await makeOrg(t.db, 'school');
    const team = await makeTeam(t.db, org.id);
    const dsl = await makeUser(t.db, { organisationId: org.id, roles: ['designated_safeguarding_lead'], teamId: team.id });
    const otherDsl = await makeUser(t.db, { organisationId: other.id, roles: ['designated_safeguarding_lead'] });
    const { id: keyId, key } = await createApiKey(t.db, org.id, 'Niche');
    const otherKey = (await createApiKey(t.db, other.id, 'Other')).key;
    const system: Actor = { kind: 'system', apiKeyId: keyId, organisationId: org.id, organisationName: org.name };
    return {
      org, other, dsl, otherDsl, system,
      session: await signIn(t.app, dsl.email), otherSession: await signIn(t.app, otherDsl.email),
      auth: { authorization: `Bearer ${key}` }, otherAuth: { authorization: `Bearer ${otherKey}` },
    };
  }

  /**
   * A batch whose process died after committing its records: imported for real (two records accepted,
   * one rejected, every row stored), then put back as the dead process left it: running, no report,
   * owned by another process that was last heard from an hour ago.
   */
  async function abandonedBatch(organisationId: string, heartbeat = sql<Date>`now() - interval '1 hour'`, actor: Actor | null = null) {
    const records = [policeRecord(organisationId, 'INT-1'), policeRecord(organisationId, 'INT-2'), { ...policeRecord(organisationId, 'INT-3'), event: { code: 'no_such_type', occurredAt: '2026-01-01', summary: 'x' } }];
    const file = toJsonl(records);
    const report = await importText(t.db, organisationId, 'jsonl', 'niche-export.jsonl', file, actor ? { actor, via: 'api' } : {});
    await t.db.updateTable('intake_batch').set({ status: 'running', report: null, finished_at: null, owner: DEAD_OWNER, heartbeat_at: heartbeat })
      .where('id', '=', report.batchId).execute();
    return { batchId: report.batchId, file };
  }

  const statusOf = async (batchId: string) => (await t.db.selectFrom('intake_batch').select('status').where('id', '=', batchId).executeTakeFirstOrThrow()).status;

  it('reports a batch whose process went silent as interrupted through the API, with its reason and what it stored', async () => {
    const w = await world();
    // Sent by the organisation's system: only that key reads it.
    const { batchId, file } = await abandonedBatch(w.org.id, undefined, w.system);
    const since = await lastAuditId(t.db);

    // Another organisation is still answered "not found", and its attempt changes nothing.
    const theirs = await t.app.inject({ method: 'GET', url: `/api/v1/intake/${batchId}`, headers: w.otherAuth });
    expect(theirs.statusCode).toBe(404);
    expect(await statusOf(batchId)).toBe('running');

    const own = await t.app.inject({ method: 'GET', url: `/api/v1/intake/${batchId}`, headers: w.auth });
    expect(own.statusCode).toBe(200);
    const report = own.json();
    expect(report).toMatchObject({
      batchId, status: 'interrupted', files: ['niche-export.jsonl'], received: 3, accepted: 2, rejected: 1, reconciled: true,
      outcomes: { new: 2, updated: 0, unchanged: 0 },
      tables: [{ table: 'records', received: 3, accepted: 2, rejected: 1 }],
    });
    expect(report.fileErrors).toHaveLength(1);
    expect(report.fileErrors[0].code).toBe('interrupted');
    expect(report.fileErrors[0].message).toBe(
      'The import was interrupted: the server process running it has not reported progress for more than 2 minutes, so it has stopped. '
      + 'The 3 records stored before then are kept (counted below). Records after them were not stored: import the same files again to finish. '
      + 'Records already stored are recognised and left unchanged, so nothing is added twice.',
    );
    expect(report.rejections).toEqual([{ file: 'niche-export.jsonl', table: 'records', row: 3, ref: null, recordId: 'INT-3', errors: [{ field: 'event.code', reason: '"no_such_type" is not an event type in the vocabulary' }] }]);
    const row = await t.db.selectFrom('intake_batch').select(['status', 'finished_at']).where('id', '=', batchId).executeTakeFirstOrThrow();
    expect(row.status).toBe('interrupted');
    expect(row.finished_at).not.toBeNull();

    // Both reads are in the access log: the refusal and the allowed read.
    const rows = (await auditRowsFor(t.db, { since })).filter((r) => r.organisation_id === w.org.id || r.organisation_id === w.other.id);
    expect(rows.map((r) => [r.action, r.outcome, r.organisation_id])).toEqual([
      ['intake.report.read', 'denied', w.other.id], ['intake.report.read', 'allowed', w.org.id],
    ]);

    // Sending the same file again finishes the job without adding anything twice.
    const again = await importText(t.db, w.org.id, 'jsonl', 'niche-export.jsonl', file);
    expect(again).toMatchObject({ status: 'completed', accepted: 2, rejected: 1, outcomes: { new: 0, updated: 0, unchanged: 2 } });
  });

  it('shows a silent batch as interrupted on its page and in the list of imports; other organisations get 404', async () => {
    const w = await world();
    const { batchId } = await abandonedBatch(w.org.id);

    const theirs = await t.app.inject({ method: 'GET', url: `/intake/batches/${batchId}`, headers: { cookie: w.otherSession.cookie } });
    expect(theirs.statusCode).toBe(404);
    expect(await statusOf(batchId)).toBe('running');

    const list = await t.app.inject({ method: 'GET', url: '/intake', headers: { cookie: w.session.cookie } });
    expect(list.statusCode).toBe(200);
    expect(await statusOf(batchId)).toBe('interrupted');
    const listed = list.body.slice(list.body.indexOf(`/intake/batches/${batchId}"`));
    expect(listed.slice(0, listed.indexOf('</tr>'))).toContain('Interrupted');

    const page = await t.app.inject({ method: 'GET', url: `/intake/batches/${batchId}`, headers: { cookie: w.session.cookie } });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('govuk-tag--orange');
    expect(page.body).toContain('Interrupted');
    expect(page.body).toContain('has not reported progress for more than 2 minutes');
    expect(page.body).toContain('The 3 records stored before then are kept');
    expect(page.body).not.toContain('Check progress again');
  });

  it('leaves a live running batch running: this process\'s, and another process\'s that is still heard from', async () => {
    const w = await world();
    const mine = await createBatch(t.db, { organisationId: w.org.id, format: 'jsonl', sources: [{ name: 'slow.jsonl', bytes: (async function* () {})() }], via: 'api', actor: w.system, route: 'test', maxBytes: 1024 });
    const { batchId: theirs } = await abandonedBatch(w.org.id, sql<Date>`now() - interval '10 seconds'`, w.system);

    for (const batchId of [mine, theirs]) {
      const api = await t.app.inject({ method: 'GET', url: `/api/v1/intake/${batchId}`, headers: w.auth });
      expect(api.statusCode, batchId).toBe(409);
      expect(api.json().error.code).toBe('batch_running');
      const page = await t.app.inject({ method: 'GET', url: `/intake/batches/${batchId}`, headers: { cookie: w.session.cookie } });
      expect(page.body).toContain('In progress');
      expect(page.body).toContain('Check progress again');
      expect(await statusOf(batchId)).toBe('running');
    }
    const owner = await t.db.selectFrom('intake_batch').select('owner').where('id', '=', mine).executeTakeFirstOrThrow();
    expect(owner.owner).toBe(INTAKE_OWNER);
  });

  it('at start-up, interrupts batches an earlier process left running (on an embedded database at once; on a server once silent)', async () => {
    const w = await world();
    const live = await createBatch(t.db, { organisationId: w.org.id, format: 'jsonl', sources: [{ name: 'live.jsonl', bytes: (async function* () {})() }], via: 'api', actor: null, route: 'test', maxBytes: 1024 });
    const { batchId: recent } = await abandonedBatch(w.org.id, sql<Date>`now()`);
    const { batchId: silent } = await abandonedBatch(w.org.id);

    const restarted = await buildTestApp(t.d);
    await restarted.ready();
    await restarted.close();

    expect(await statusOf(live)).toBe('running');
    expect(await statusOf(silent)).toBe('interrupted');
    if (TEST_ENGINE === 'pglite') {
      // One process at a time holds an embedded database, so the batch's process has certainly gone.
      expect(await statusOf(recent)).toBe('interrupted');
      const report = await t.db.selectFrom('intake_batch').select('report').where('id', '=', recent).executeTakeFirstOrThrow();
      const message = (report.report as { fileErrors: { message: string }[] }).fileErrors[0]!.message;
      expect(message).toMatch(/^The import was interrupted: the server process running it stopped before it finished \(the server has since restarted\)\. The 3 records stored/);
    } else {
      // A database server may be shared by live processes: only a silent batch is taken as lost.
      expect(await statusOf(recent)).toBe('running');
      await t.db.updateTable('intake_batch').set({ status: 'failed' }).where('id', '=', recent).execute();
    }
    await t.db.updateTable('intake_batch').set({ status: 'failed' }).where('id', '=', live).execute();
    expect(await interruptOrphanedBatches(t.db, TEST_ENGINE === 'pglite' ? 'pglite' : 'postgres', silentLog)).not.toContain(silent);
  });

  it('logs each batch it interrupts through the logger it is given', async () => {
    const w = await world();
    const { batchId } = await abandonedBatch(w.org.id);
    const lines: string[] = [];
    const sink = new Writable({ write(chunk, _enc, cb) { lines.push(String(chunk)); cb(); } });
    expect(await interruptOrphanedBatches(t.db, TEST_ENGINE === 'pglite' ? 'pglite' : 'postgres', createLogger('info', sink))).toContain(batchId);
    const line = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.batchId === batchId);
    expect(line).toMatchObject({ level: 40, msg: 'an import was marked interrupted', owner: DEAD_OWNER, recordsStored: 3 });
  });

  it('refreshes the heartbeat of this process\'s running batches only, on a timer while an import runs', async () => {
    const w = await world();
    const mine = await createBatch(t.db, { organisationId: w.org.id, format: 'jsonl', sources: [{ name: 'a.jsonl', bytes: (async function* () {})() }], via: 'api', actor: null, route: 'test', maxBytes: 1024 });
    const { batchId: theirs } = await abandonedBatch(w.org.id);
    const backdate = sql<Date>`now() - interval '1 hour'`;
    await t.db.updateTable('intake_batch').set({ heartbeat_at: backdate }).where('id', '=', mine).execute();
    const ageOf = async (batchId: string) => Number((await t.db.selectFrom('intake_batch').select(sql<number>`extract(epoch from now() - heartbeat_at)`.as('age')).where('id', '=', batchId).executeTakeFirstOrThrow()).age);

    await beat(t.db, theirs);
    expect(await ageOf(theirs)).toBeGreaterThan(3000);
    await beat(t.db, mine);
    expect(await ageOf(mine)).toBeLessThan(60);

    await t.db.updateTable('intake_batch').set({ heartbeat_at: backdate }).where('id', '=', mine).execute();
    const stop = startHeartbeat(t.db, mine, silentLog, 20);
    try {
      await expect.poll(() => ageOf(mine), { timeout: 5000, interval: 20 }).toBeLessThan(60);
    } finally {
      stop();
    }
    // A finished batch's heartbeat is left alone.
    await t.db.updateTable('intake_batch').set({ status: 'completed', heartbeat_at: backdate }).where('id', '=', mine).execute();
    await beat(t.db, mine);
    expect(await ageOf(mine)).toBeGreaterThan(3000);
    await t.db.updateTable('intake_batch').set({ status: 'failed' }).where('id', '=', theirs).execute();
  });
});
