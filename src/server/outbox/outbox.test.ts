import { randomUUID } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDb, type Db } from '../../db/client.js';
import type { Database } from '../../db/database.js';
import { drainOutbox, silentLog } from '../../../test/drain-outbox.js';
import { buildTestApp, involve, makeOrg, makePerson, makeUser, serverUrlOf, TEST_ENGINE, useTestDb } from '../../../test/helpers.js';
import { openIsolatedTestDb } from '../../../test/isolated-db.js';
import type { Actor } from '../actor.js';
import { createApiKey } from '../modules/api/api-key.js';
import { appendEntry, ENTRIES_RECORDED } from '../modules/chronology/commands/append-entry.js';
import { rulesProcessor } from '../modules/considerations/rules.processor.js';
import {
  announcedKinds, backoffMs, claim, dueKinds, enqueue, kindsAnnounced, LEASE_MS, OUTBOX_CHANNEL, outboxStatus, retryDead, runOutboxOnce, type OutboxMessage, type OutboxProcessor,
} from './outbox.js';
import { startOutboxWorker } from './worker.js';

const SECOND = 1000;
const at = (base: Date, ms: number) => new Date(base.getTime() + ms);

/** A kind no other test file uses, so workers elsewhere on a shared database never take these rows. */
const uniqueKind = () => `test.${randomUUID().slice(0, 8)}`;

/** A processor that records what it was given, failing its first `failures` deliveries of each row. */
function recorder(kind: string, failures = 0) {
  const seen: OutboxMessage[] = [];
  const tries = new Map<number, number>();
  const processor: OutboxProcessor = {
    name: 'test recorder',
    kinds: [kind],
    async handle(message) {
      const n = (tries.get(message.id) ?? 0) + 1;
      tries.set(message.id, n);
      if (n <= failures) throw Object.assign(new Error(`synthetic failure ${n}`), { code: 'TEST' });
      seen.push(message);
    },
  };
  return { processor, seen, tries };
}

const rowOf = (db: Kysely<Database>, kind: string) => db.selectFrom('outbox').selectAll().where('kind', '=', kind).executeTakeFirstOrThrow();

describe(`outbox on ${TEST_ENGINE}`, () => {
  const t = useTestDb();

  it('keeps a row only when its transaction commits', async () => {
    const kind = uniqueKind();
    await expect(t.db.transaction().execute(async (trx) => {
      await enqueue(trx, kind, { n: 1 });
      throw new Error('the change fails');
    })).rejects.toThrow('the change fails');
    expect(await t.db.selectFrom('outbox').select('id').where('kind', '=', kind).execute()).toEqual([]);
    await t.db.transaction().execute((trx) => enqueue(trx, kind, { n: 2 }));
    const row = await rowOf(t.db, kind);
    expect(row).toMatchObject({ status: 'pending', attempts: 0, payload: { n: 2 }, locked_until: null });
  });

  it('hands rows to a processor together when it takes them together, and tries each alone when the batch fails', async () => {
    const kind = uniqueKind();
    const batches: number[][] = [];
    const alone: number[] = [];
    const processor: OutboxProcessor = {
      name: 'test batcher',
      kinds: [kind],
      async handle(message) {
        if ((message.payload as { n: number }).n === 3) throw Object.assign(new Error('synthetic bad row'), { code: 'TEST' });
        alone.push((message.payload as { n: number }).n);
      },
      async handleMany(messages) {
        batches.push(messages.map((m) => (m.payload as { n: number }).n));
        if (messages.some((m) => (m.payload as { n: number }).n === 3)) throw Object.assign(new Error('synthetic bad batch'), { code: 'TEST' });
      },
    };
    await t.db.transaction().execute(async (trx) => { for (const n of [1, 2]) await enqueue(trx, kind, { n }); });
    expect(await runOutboxOnce(t.db, { processors: [processor], log: silentLog })).toMatchObject({ claimed: 2, done: 2, failed: 0 });
    expect(batches).toEqual([[1, 2]]);
    expect(alone).toEqual([]);
    await t.db.transaction().execute(async (trx) => { for (const n of [3, 4, 5]) await enqueue(trx, kind, { n }); });
    expect(await runOutboxOnce(t.db, { processors: [processor], log: silentLog })).toMatchObject({ claimed: 3, done: 2, failed: 1 });
    expect(batches[1]).toEqual([3, 4, 5]);
    expect(alone).toEqual([4, 5]);
    const rows = await t.db.selectFrom('outbox').select(['payload', 'status', 'last_error']).where('kind', '=', kind).orderBy('id').execute();
    expect(rows.map((r) => [(r.payload as { n: number }).n, r.status])).toEqual([[1, 'done'], [2, 'done'], [3, 'pending'], [4, 'done'], [5, 'done']]);
    expect(rows[2]!.last_error).toContain('synthetic bad row');
  });

  it('retries a failing processor with exponential back-off, then marks the row done', async () => {
    const kind = uniqueKind();
    const t0 = new Date(Date.now() - 60 * SECOND);
    await t.db.transaction().execute((trx) => enqueue(trx, kind, { job: 'flaky' }, { availableAt: t0 }));
    const { processor, seen } = recorder(kind, 2);
    const run = (now: Date) => runOutboxOnce(t.db, { processors: [processor], log: silentLog, now });

    expect(await run(t0)).toMatchObject({ claimed: 1, failed: 1, done: 0 });
    let row = await rowOf(t.db, kind);
    expect(row).toMatchObject({ status: 'pending', attempts: 1, locked_until: null, last_error: 'Error [TEST]: synthetic failure 1' });
    expect(row.available_at.getTime()).toBe(at(t0, backoffMs(1)).getTime());

    // Not due until the back-off has passed.
    expect((await run(at(t0, backoffMs(1) - 1))).claimed).toBe(0);
    const second = at(t0, backoffMs(1));
    expect(await run(second)).toMatchObject({ claimed: 1, failed: 1 });
    row = await rowOf(t.db, kind);
    expect(row.attempts).toBe(2);
    expect(backoffMs(2)).toBe(2 * backoffMs(1));
    expect(row.available_at.getTime()).toBe(at(second, backoffMs(2)).getTime());
    expect((await run(at(second, backoffMs(2) - 1))).claimed).toBe(0);

    expect(await run(at(second, backoffMs(2)))).toMatchObject({ claimed: 1, done: 1 });
    row = await rowOf(t.db, kind);
    expect(row).toMatchObject({ status: 'done', attempts: 3, last_error: null, locked_until: null });
    expect(seen.map((m) => m.payload)).toEqual([{ job: 'flaky' }]);
    // Done is done: a later pass delivers nothing.
    expect((await run(at(second, 10 * backoffMs(8)))).claimed).toBe(0);
  });

  it('leaves a row dead after its last attempt, visible to operators, until it is retried', async () => {
    const kind = uniqueKind();
    const t0 = new Date(Date.now() - 60 * SECOND);
    await t.db.transaction().execute((trx) => enqueue(trx, kind, { job: 'poison' }, { availableAt: t0, maxAttempts: 3 }));
    const failing = recorder(kind, Number.POSITIVE_INFINITY);
    let now = t0;
    const results = [];
    for (let i = 0; i < 3; i++) {
      results.push(await runOutboxOnce(t.db, { processors: [failing.processor], log: silentLog, now }));
      now = at(now, backoffMs(i + 1));
    }
    expect(results.map((r) => [r.failed, r.dead])).toEqual([[1, 0], [1, 0], [0, 1]]);
    const row = await rowOf(t.db, kind);
    expect(row).toMatchObject({ status: 'dead', attempts: 3, last_error: 'Error [TEST]: synthetic failure 3' });
    // Dead rows are never claimed again, however late it is.
    expect((await runOutboxOnce(t.db, { processors: [failing.processor], log: silentLog, now: at(now, 86_400_000) })).claimed).toBe(0);

    const status = await outboxStatus(t.db);
    expect(status.counts).toContainEqual(expect.objectContaining({ kind, status: 'dead', n: 1 }));
    expect(status.dead).toContainEqual(expect.objectContaining({ id: row.id, kind, attempts: 3, last_error: 'Error [TEST]: synthetic failure 3' }));

    // An operator retries it (after fixing the cause): fresh attempts, due now.
    expect(await retryDead(t.db, [row.id])).toBe(1);
    const fixed = recorder(kind);
    expect(await runOutboxOnce(t.db, { processors: [fixed.processor], log: silentLog })).toMatchObject({ claimed: 1, done: 1 });
    expect(await rowOf(t.db, kind)).toMatchObject({ status: 'done', attempts: 1 });
  });

  it('claims a row again once the lease of a worker that died has passed, and not before', async () => {
    const kind = uniqueKind();
    const t0 = new Date(Date.now() - 60 * SECOND);
    await t.db.transaction().execute((trx) => enqueue(trx, kind, { job: 'orphaned' }, { availableAt: t0 }));
    // A worker claims the row and dies without finishing it.
    const taken = await claim(t.db, [kind], { now: t0, workerId: 'a worker that died' });
    expect(taken.map((m) => m.attempts)).toEqual([1]);
    const { processor, seen } = recorder(kind);
    expect((await runOutboxOnce(t.db, { processors: [processor], log: silentLog, now: at(t0, LEASE_MS - 1) })).claimed).toBe(0);
    expect(await runOutboxOnce(t.db, { processors: [processor], log: silentLog, now: at(t0, LEASE_MS) })).toMatchObject({ claimed: 1, done: 1 });
    expect(seen).toHaveLength(1);
    expect(await rowOf(t.db, kind)).toMatchObject({ status: 'done', attempts: 2 });
  });

  it('leaves a row to the worker that took it over when the first worker finishes after its lease lapsed', async () => {
    const kind = uniqueKind();
    const t0 = new Date(Date.now() - 60 * SECOND);
    await t.db.transaction().execute((trx) => enqueue(trx, kind, { job: 'slow' }, { availableAt: t0 }));
    let finish!: () => void;
    const stalled = new Promise<void>((r) => { finish = r; });
    let started!: () => void;
    const isStarted = new Promise<void>((r) => { started = r; });
    const stuck: OutboxProcessor = { name: 'stuck', kinds: [kind], async handle() { started(); await stalled; throw new Error('gave up late'); } };
    const first = runOutboxOnce(t.db, { processors: [stuck], log: silentLog, now: t0, workerId: 'first' });
    await isStarted;
    // The first worker's lease lapses (it is stuck); another worker takes the row over.
    const taken = await claim(t.db, [kind], { now: at(t0, LEASE_MS), workerId: 'second' });
    expect(taken.map((m) => m.attempts)).toEqual([2]);
    finish();
    expect(await first).toMatchObject({ claimed: 1, failed: 1 });
    // The first worker's late failure does not release the second worker's claim or schedule a retry.
    expect(await rowOf(t.db, kind)).toMatchObject({ status: 'pending', attempts: 2, locked_by: 'second', last_error: null });
  });

  it('delivers each row once to workers running at the same time', async () => {
    const kind = uniqueKind();
    const t0 = new Date(Date.now() - 60 * SECOND);
    await t.db.transaction().execute(async (trx) => {
      for (let i = 0; i < 30; i++) await enqueue(trx, kind, { i }, { availableAt: t0 });
    });
    // On the server each worker has its own pool, as separate processes would.
    const other = t.d.engine === 'postgres' ? await openDb({ databaseUrl: serverUrlOf(t.d) }) : t.d;
    try {
      const byWorker = new Map<string, number[]>();
      const worker = (name: string, db: Kysely<Database>) => {
        const processor: OutboxProcessor = {
          name, kinds: [kind],
          async handle(m) {
            byWorker.set(name, [...(byWorker.get(name) ?? []), (m.payload as { i: number }).i]);
            await new Promise((r) => setTimeout(r, 5));
          },
        };
        return (async () => {
          while ((await runOutboxOnce(db, { processors: [processor], log: silentLog, limit: 3, workerId: name })).claimed > 0) { /* until none is left */ }
        })();
      };
      await Promise.all([worker('one', t.db), worker('two', other.db), worker('three', t.db)]);
      const all = [...byWorker.values()].flat().sort((a, b) => a - b);
      expect(all).toEqual(Array.from({ length: 30 }, (_, i) => i));
      expect((await t.db.selectFrom('outbox').select('status').where('kind', '=', kind).execute()).every((r) => r.status === 'done')).toBe(true);
      if (t.d.engine === 'postgres') expect(byWorker.size).toBeGreaterThan(1);
    } finally {
      if (other !== t.d) await other.close();
    }
  });

  if (TEST_ENGINE === 'postgres') {
    it('skips a row another process holds locked instead of waiting for it (FOR UPDATE SKIP LOCKED)', async () => {
      const kind = uniqueKind();
      const t0 = new Date(Date.now() - 60 * SECOND);
      await t.db.transaction().execute(async (trx) => {
        await enqueue(trx, kind, { i: 1 }, { availableAt: t0 });
        await enqueue(trx, kind, { i: 2 }, { availableAt: t0 });
      });
      const ids = (await t.db.selectFrom('outbox').select('id').where('kind', '=', kind).orderBy('id').execute()).map((r) => r.id);
      const other = await openDb({ databaseUrl: serverUrlOf(t.d) });
      try {
        let release!: () => void;
        const held = new Promise<void>((r) => { release = r; });
        let locked!: () => void;
        const isLocked = new Promise<void>((r) => { locked = r; });
        // Another process is in the middle of claiming the first row.
        const holder = other.db.transaction().execute(async (trx) => {
          await sql`SELECT id FROM outbox WHERE id = ${ids[0]} FOR UPDATE`.execute(trx);
          locked();
          await held;
        });
        await isLocked;
        const { processor, seen } = recorder(kind);
        const result = await runOutboxOnce(t.db, { processors: [processor], log: silentLog, limit: 2 });
        expect(result).toMatchObject({ claimed: 1, done: 1 });
        expect(seen.map((m) => m.id)).toEqual([ids[1]]);
        release();
        await holder;
        expect(await runOutboxOnce(t.db, { processors: [processor], log: silentLog, limit: 2 })).toMatchObject({ claimed: 1, done: 1 });
        expect(seen.map((m) => m.id)).toEqual([ids[1], ids[0]]);
      } finally {
        await other.close();
      }
    });
  }

  it('wakes the running worker when a row commits', async () => {
    const kind = uniqueKind();
    const { processor, seen } = recorder(kind);
    // A long poll: only the notification at commit can make the worker run within the test's time.
    const worker = await startOutboxWorker(t.d, { processors: [processor], log: silentLog, pollMs: 600_000 });
    try {
      await new Promise((r) => setTimeout(r, 200));
      await t.db.transaction().execute((trx) => enqueue(trx, kind, { woken: true }));
      for (let i = 0; i < 200 && seen.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      expect(seen.map((m) => m.payload)).toEqual([{ woken: true }]);
    } finally {
      await worker.stop();
    }
  });

  it('wakes only the lanes that handle the kinds a commit announces; an announcement naming no kind wakes every lane', async () => {
    const a = recorder(uniqueKind());
    const b = recorder(uniqueKind());
    const [kindA, kindB] = [a.processor.kinds[0]!, b.processor.kinds[0]!];
    // A database of its own: another file's announcement naming no kind would wake every lane.
    const iso = await openIsolatedTestDb('jigsaw_outbox_lanes');
    const d = iso.d;
    const worker = await startOutboxWorker(d, { processors: [a.processor, b.processor], log: silentLog, pollMs: 600_000 });
    const until = async (done: () => boolean) => { for (let i = 0; i < 200 && !done(); i++) await new Promise((r) => setTimeout(r, 25)); };
    try {
      await new Promise((r) => setTimeout(r, 200));
      // A row of kind B written without an announcement: only a wake-up of B's lane (or its poll) finds it.
      await d.db.insertInto('outbox').values({ kind: kindB, payload: JSON.stringify({ quiet: true }) }).execute();
      await d.db.transaction().execute((trx) => enqueue(trx, kindA, { first: true }));
      await until(() => a.seen.length === 1);
      expect(a.seen.map((m) => m.payload)).toEqual([{ first: true }]);
      await new Promise((r) => setTimeout(r, 300));
      expect(b.seen).toEqual([]);
      await d.db.transaction().execute((trx) => enqueue(trx, kindB, { second: true }));
      await until(() => b.seen.length === 2);
      expect(b.seen.map((m) => m.payload)).toEqual([{ quiet: true }, { second: true }]);
      // An announcement that names no kind (a trigger's) wakes every lane.
      await d.db.insertInto('outbox').values({ kind: kindA, payload: JSON.stringify({ third: true }) }).execute();
      await sql`SELECT pg_notify(${OUTBOX_CHANNEL}, '')`.execute(d.db);
      await until(() => a.seen.length === 2);
      expect(a.seen.map((m) => m.payload)).toEqual([{ first: true }, { third: true }]);
    } finally {
      await worker.stop();
      await iso.drop();
    }
  });

  it('finds work no one announced by one poll for every lane, and wakes only the lanes with work due', async () => {
    const a = recorder(uniqueKind());
    const b = recorder(uniqueKind());
    const [kindA, kindB] = [a.processor.kinds[0]!, b.processor.kinds[0]!];
    const iso = await openIsolatedTestDb('jigsaw_outbox_poll');
    const d = iso.d;
    await d.db.insertInto('outbox').values({ kind: kindB, payload: JSON.stringify({ unannounced: true }) }).execute();
    // Due later: the poll leaves it until then.
    await d.db.insertInto('outbox').values({ kind: kindA, payload: JSON.stringify({ later: true }), available_at: new Date(Date.now() + 1_500) }).execute();
    expect(await dueKinds(d.db, [kindA, kindB])).toEqual([kindB]);
    const worker = await startOutboxWorker(d, { processors: [a.processor, b.processor], log: silentLog, pollMs: 100 });
    try {
      for (let i = 0; i < 200 && b.seen.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      expect(b.seen.map((m) => m.payload)).toEqual([{ unannounced: true }]);
      expect(a.seen).toEqual([]);
      for (let i = 0; i < 200 && a.seen.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      expect(a.seen.map((m) => m.payload)).toEqual([{ later: true }]);
      expect(await dueKinds(d.db, [kindA, kindB])).toEqual([]);
    } finally {
      await worker.stop();
      await iso.drop();
    }
  });

  it('gathers rows committed in quick succession into one pass when the processor asks to', async () => {
    const kind = uniqueKind();
    const passes: unknown[][] = [];
    const processor: OutboxProcessor = {
      name: 'gathering', kinds: [kind], gatherMs: 400, batchSize: 50,
      async handle(message) { passes.push([message.payload]); },
      async handleMany(messages) { passes.push(messages.map((m) => m.payload)); },
    };
    const iso = await openIsolatedTestDb('jigsaw_outbox_gather');
    const worker = await startOutboxWorker(iso.d, { processors: [processor], log: silentLog, pollMs: 600_000 });
    try {
      await new Promise((r) => setTimeout(r, 200));
      for (const n of [1, 2, 3]) await iso.d.db.transaction().execute((trx) => enqueue(trx, kind, { n }));
      for (let i = 0; i < 200 && passes.flat().length < 3; i++) await new Promise((r) => setTimeout(r, 25));
      // Three commits, one pass: the lane waited before claiming.
      expect(passes).toEqual([[{ n: 1 }, { n: 2 }, { n: 3 }]]);
    } finally {
      await worker.stop();
      await iso.drop();
    }
  });

  it('announces the kinds queued, each once, and nothing to narrow when they would not fit a notification', () => {
    expect(announcedKinds(['rules.entry', 'alerts.raise', 'rules.entry'])).toBe('alerts.raise,rules.entry');
    expect(kindsAnnounced('alerts.raise,rules.entry')).toEqual(new Set(['alerts.raise', 'rules.entry']));
    expect(kindsAnnounced('')).toBeNull();
    expect(announcedKinds(Array.from({ length: 2_000 }, (_, i) => `kind.number.${i}`))).toBe('');
  });

  it('runs each processor in its own lane, so long work of one kind does not hold up another', async () => {
    const slowKind = uniqueKind();
    const fastKind = uniqueKind();
    let release!: () => void;
    const blocked = new Promise<void>((r) => { release = r; });
    let slowStarted = false;
    let slowDone = false;
    const slow: OutboxProcessor = { name: 'slow', kinds: [slowKind], async handle() { slowStarted = true; await blocked; slowDone = true; } };
    const fast = recorder(fastKind);
    const worker = await startOutboxWorker(t.d, { processors: [slow, fast.processor], log: silentLog, pollMs: 600_000 });
    try {
      await t.db.transaction().execute((trx) => enqueue(trx, slowKind, {}));
      for (let i = 0; i < 200 && !slowStarted; i++) await new Promise((r) => setTimeout(r, 25));
      expect(slowStarted).toBe(true);
      await t.db.transaction().execute((trx) => enqueue(trx, fastKind, { quick: true }));
      for (let i = 0; i < 200 && fast.seen.length === 0; i++) await new Promise((r) => setTimeout(r, 25));
      expect(fast.seen.map((m) => m.payload)).toEqual([{ quick: true }]);
      expect(slowDone).toBe(false);
    } finally {
      release();
      await worker.stop();
    }
    expect(slowDone).toBe(true);
    expect((await rowOf(t.db, slowKind)).status).toBe('done');
  });
});

describe(`entries and the rules processor on ${TEST_ENGINE}`, () => {
  let iso: Awaited<ReturnType<typeof openIsolatedTestDb>>;
  beforeAll(async () => {
    iso = await openIsolatedTestDb('jigsaw_outbox_rules');
  });
  afterAll(async () => {
    await iso.drop();
  });

  it('queues the rules with the entry, answers before they run, and raises one consideration however often the row is delivered', async () => {
    const db = iso.d.db;
    const police = await makeOrg(db, 'police', 'Outboxvale');
    const officer = await makeUser(db, { organisationId: police.id });
    const child = await makePerson(db, { dob: '2012-02-02' });
    await involve(db, { personId: child.id, organisationId: police.id, userId: officer.id });
    const actor: Actor = { kind: 'user', userId: officer.id, name: officer.name, email: officer.email, organisationId: police.id, organisationName: police.name, teamId: null, roles: ['practitioner'], partnershipId: '00000000-0000-4000-8000-000000000000' };
    const entry = await db.transaction().execute((trx) => appendEntry(trx, actor, {
      personId: child.id, eventTypeCode: 'witness_to_serious_violence', occurredAt: new Date(Date.now() - 3 * 86_400_000), occurredPrecision: 'date',
      summary: 'Synthetic: saw a serious assault', sourceSystem: 'TestSystem',
    }, { via: 'form', route: 'TEST', requestId: 'test' }));

    // Committed with the entry: the outbox row, the access-log row; no consideration yet.
    const queued = await db.selectFrom('outbox').selectAll().where('kind', '=', ENTRIES_RECORDED).execute();
    expect(queued).toHaveLength(1);
    expect(queued[0]).toMatchObject({ status: 'pending', payload: { eventIds: [entry.id], personIds: [child.id] } });
    const logged = await db.selectFrom('access_log').select(['action', 'person_id']).where(sql<string>`detail->>'eventId'`, '=', entry.id).execute();
    expect(logged).toEqual([{ action: 'event.record', person_id: child.id }]);
    const considerations = () => db.selectFrom('consideration').select(['id', 'matched_event_ids']).where('person_id', '=', child.id).execute();
    expect(await considerations()).toEqual([]);

    await drainOutbox(db);
    const first = await considerations();
    expect(first.length).toBeGreaterThan(0);
    expect(first.every((c) => c.matched_event_ids.includes(entry.id))).toBe(true);

    // Delivered again (a worker died after the rules ran, before marking the row done): nothing more is raised.
    await db.updateTable('outbox').set({ status: 'pending', done_at: null }).where('id', '=', queued[0]!.id).execute();
    expect(await runOutboxOnce(db, { processors: [rulesProcessor], log: silentLog })).toMatchObject({ claimed: 1, done: 1 });
    expect(await considerations()).toEqual(first);
  });

  it('answers an API write once the entry has committed; the rules follow from the outbox', async () => {
    const db = iso.d.db;
    const school = await makeOrg(db, 'school', 'Outboxvale');
    const child = await makePerson(db, { dob: '2011-04-04' });
    await involve(db, { personId: child.id, organisationId: school.id });
    const { key } = await createApiKey(db, school.id, 'Outbox test MIS');
    const app = await buildTestApp(iso.d);
    try {
      const res = await app.inject({
        method: 'POST', url: `/api/v1/people/${child.id}/events`, headers: { authorization: `Bearer ${key}` },
        payload: { eventTypeCode: 'witness_to_serious_violence', occurredAt: new Date(Date.now() - 86_400_000).toISOString().slice(0, 10), occurredPrecision: 'date', summary: 'Synthetic: saw a stabbing', sourceSystem: 'MIS' },
      });
      expect(res.statusCode).toBe(201);
      const { id } = res.json<{ id: string }>();
      const rows = await db.selectFrom('outbox').select(['status', 'payload']).where('kind', '=', ENTRIES_RECORDED).execute();
      expect(rows.filter((r) => (r.payload as { eventIds: string[] }).eventIds.includes(id))).toEqual([{ status: 'pending', payload: { eventIds: [id], personIds: [child.id] } }]);
      const raised = () => db.selectFrom('consideration').select('matched_event_ids').where('person_id', '=', child.id).execute();
      expect(await raised()).toEqual([]);
      await drainOutbox(db);
      const after = await raised();
      expect(after.length).toBeGreaterThan(0);
      expect(after.every((c) => c.matched_event_ids.includes(id))).toBe(true);
    } finally {
      await app.close();
    }
  });
});
