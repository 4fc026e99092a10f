// `npx tsx bench/intake.ts`: imports every DfE sample file, then imports them all again, and prints
// `name: value unit` lines (records per second, and whether the counts reconcile and the second pass
// changed nothing). PGlite in a new data directory on disk (as `jigsaw serve` runs it: an in-memory PGlite copies a
// growing table file whole each time it grows, which users never wait for); also a scratch database on the
// PostgreSQL server when DATABASE_URL is set.
// Then the server's responsiveness during an import: a 5,000-record upload runs through the outbox worker (as
// `jigsaw serve` runs it) while a client pings /health over a real socket every 20 ms; the longest wait is
// `intake.<engine>.health_max_wait_during_5000_import` (target: under 200 ms). BENCH_INTAKE=responsiveness runs that part alone.
// Then a borough's first load (bench/intake-records.ts: 100,000 interchange records, BENCH_INTAKE_RECORDS) sent to
// POST /api/v1/intake over a real socket and imported by the outbox worker, with identity resolution, entries and
// access-log rows, while /health is pinged every 20 ms: `first import 100k (pglite|server): N records/s` (targets: 500
// on PGlite, 2,000 on the server) and the longest /health wait during it. BENCH_INTAKE=first-import runs that part alone.
import { createReadStream, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { basename, join } from 'node:path';
import { sql } from 'kysely';
import { openDb, type Db } from '../src/db/client.js';
import { migrateToLatest } from '../src/db/migrate.js';
import type { IntakeFormat } from '../src/intake/types.js';
import { importBatch } from '../src/server/modules/intake/commands/import-batch.js';
import { runOutboxUntilIdle } from '../src/server/outbox/outbox.js';
import { outboxProcessors } from '../src/server/outbox/processors.js';
import { startOutboxWorker } from '../src/server/outbox/worker.js';
import { buildApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { queueUpload } from '../src/server/modules/intake/intake.processor.js';
import type { BatchReport } from '../src/server/modules/intake/intake.report.js';
import { policeRecord, toJsonl } from '../test/intake-helpers.js';
import { createApiKey } from '../src/server/modules/api/api-key.js';
import { firstLoadRecords } from './intake-records.js';
import { createLogger } from '../src/server/logging.js';
import { percentile, print, type Line } from './report.js';
import { sharedDataDir } from '../test/shared-data.js';
import { createScratchDatabase } from '../src/db/scratch.js';

const DIR = `${sharedDataDir()}/dfe-samples/`;
const BATCHES: [string, IntakeFormat, string[]][] = [
  ['cin_fake', 'cin-xml', [`${DIR}fake_CIN_data.xml`]],
  ['cin_2022', 'cin-xml', [`${DIR}cin-2022.xml`]],
  ['cin_2024', 'cin-xml', [`${DIR}CIN_Census_2024.xml`]],
  ['ssda903', 'ssda903', readdirSync(`${DIR}ssda903`).sort().map((f) => `${DIR}ssda903/${f}`)],
  ['ssda903_2020_episodes', 'ssda903', [`${DIR}SSDA903_2020_episodes.csv`]],
];

async function pass(d: Db, organisationId: string, label: string, pass: string): Promise<Line[]> {
  const lines: Line[] = [];
  for (const [name, format, paths] of BATCHES) {
    const started = performance.now();
    const report = await importBatch(d.db, {
      organisationId, format, via: 'cli', actor: null, route: 'bench', maxBytes: 100 * 1024 * 1024, log: createLogger('warn'),
      sources: paths.map((p) => ({ name: basename(p), bytes: createReadStream(p) })),
    });
    // The rate includes the early identification rules on the new entries, run from the outbox.
    await runOutboxUntilIdle(d.db, { processors: outboxProcessors(), log: { info: () => {}, warn: console.warn, error: console.error } });
    const seconds = (performance.now() - started) / 1000;
    const prefix = `intake.${label}.${pass}.${name}`;
    lines.push(
      { name: `${prefix}.received`, value: report.received, unit: 'records' },
      { name: `${prefix}.accepted`, value: report.accepted, unit: 'records' },
      { name: `${prefix}.rejected`, value: report.rejected, unit: 'records' },
      { name: `${prefix}.unchanged`, value: report.outcomes.unchanged, unit: 'records' },
      { name: `${prefix}.reconciled`, value: report.reconciled ? 1 : 0, unit: 'bool' },
      { name: `${prefix}.rate`, value: report.received / seconds, unit: 'records/s' },
    );
  }
  return lines;
}

const RESPONSIVE_RECORDS = 5_000;

/** A 5,000-record upload imported by the outbox worker while /health is pinged every 20 ms over a socket. */
async function responsiveness(d: Db, label: string): Promise<Line[]> {
  const org = await d.db.insertInto('organisation').values({ name: 'Bench police', kind: 'police', borough: 'Benchborough' })
    .returning('id').executeTakeFirstOrThrow();
  const app = await buildApp({ db: d, config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' }), logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const worker = await startOutboxWorker(d, { processors: outboxProcessors(), log: { info: () => {}, warn: console.warn, error: console.error } });
  try {
    const text = toJsonl(Array.from({ length: RESPONSIVE_RECORDS }, (_, i) => policeRecord(org.id, `BENCH-${i}`)));
    const waits: number[] = [];
    // The baseline: /health with nothing else running.
    for (let i = 0; i < 50; i++) {
      const due = performance.now();
      await (await fetch(`${base}/health`)).json();
      waits.push(performance.now() - due);
      await sleep(20);
    }
    const idle = percentile(waits, 99);
    waits.length = 0;
    const started = performance.now();
    const batchId = await d.db.transaction().execute((trx) => queueUpload(trx, {
      request: { organisationId: org.id, format: 'jsonl', via: 'upload', actor: null, route: 'bench', requestId: null, maxBytes: 100 * 1024 * 1024, bytesTotal: text.length },
      files: [{ name: 'bench.jsonl', data: Buffer.from(text) }],
    }));
    let importing = true;
    const pings = (async () => {
      while (importing) {
        // A ping's wait runs from when it was due, so a timer the import held up counts too.
        const due = performance.now();
        const res = await fetch(`${base}/health`);
        if (res.status !== 200) throw new Error(`/health answered ${res.status}`);
        await res.json();
        waits.push(performance.now() - due);
        await sleep(20);
      }
    })();
    try {
      while ((await d.db.selectFrom('intake_batch').select('status').where('id', '=', batchId).executeTakeFirstOrThrow()).status === 'running') await sleep(100);
    } finally {
      importing = false;
      await pings;
    }
    const seconds = (performance.now() - started) / 1000;
    const batch = await d.db.selectFrom('intake_batch').select(['status', 'report']).where('id', '=', batchId).executeTakeFirstOrThrow();
    const accepted = (batch.report as { accepted?: number } | null)?.accepted ?? 0;
    const prefix = `intake.${label}`;
    return [
      { name: `${prefix}.health_max_wait_during_5000_import`, value: Math.max(...waits), unit: 'ms' },
      { name: `${prefix}.health_p99_wait_during_5000_import`, value: percentile(waits, 99), unit: 'ms' },
      { name: `${prefix}.health_p99_wait_idle`, value: idle, unit: 'ms' },
      { name: `${prefix}.health_pings_during_5000_import`, value: waits.length, unit: 'requests' },
      { name: `${prefix}.import_5000_accepted`, value: accepted, unit: 'records' },
      { name: `${prefix}.import_5000_rate`, value: RESPONSIVE_RECORDS / seconds, unit: 'records/s' },
    ];
  } finally {
    await worker.stop();
    await app.close();
  }
}

const FIRST_LOAD = Number(process.env.BENCH_INTAKE_RECORDS ?? 100_000);

/**
 * A first load sent as one JSON Lines body to POST /api/v1/intake (as an agency's system sends it), imported by
 * the outbox worker while /health is pinged every 20 ms over a socket; timed from the request to the batch's end.
 */
async function firstImport(d: Db, label: string): Promise<Line[]> {
  const org = await d.db.insertInto('organisation').values({ name: 'Bench children\'s services (first load)', kind: 'childrens_social_care', borough: 'Benchborough' })
    .returning('id').executeTakeFirstOrThrow();
  const key = await createApiKey(d.db, org.id, 'Bench case management system');
  const body = `${firstLoadRecords(org.id, FIRST_LOAD).join('\n')}\n`;
  const app = await buildApp({ db: d, config: loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', INTAKE_MAX_MB: '500' }), logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const worker = await startOutboxWorker(d, { processors: outboxProcessors(), log: { info: () => {}, warn: console.warn, error: console.error } });
  const waits: number[] = [];
  let importing = true;
  const pings = (async () => {
    while (importing) {
      const due = performance.now();
      const res = await fetch(`${base}/health`);
      if (res.status !== 200) throw new Error(`/health answered ${res.status}`);
      await res.json();
      waits.push(performance.now() - due);
      await sleep(20);
    }
  })();
  try {
    const started = performance.now();
    const res = await fetch(`${base}/api/v1/intake`, { method: 'POST', headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/x-ndjson' }, body });
    if (res.status !== 202) throw new Error(`POST /api/v1/intake answered ${res.status}: ${await res.text()}`);
    const { batchId } = (await res.json()) as { batchId: string };
    let batch: { status: string; report: unknown };
    while ((batch = await d.db.selectFrom('intake_batch').select(['status', 'report']).where('id', '=', batchId).executeTakeFirstOrThrow()).status !== 'completed' && batch.status !== 'failed') await sleep(250);
    const seconds = (performance.now() - started) / 1000;
    const report = batch.report as BatchReport;
    const people = await d.db.selectFrom('source_record').select((eb) => [eb.fn.count<string>('source_record.id').as('sources'), eb.fn.count<string>('source_record.person_id').distinct().as('people')])
      .where('organisation_id', '=', org.id).executeTakeFirstOrThrow();
    const reviews = await d.db.selectFrom('identity_review_item').innerJoin('source_record', 'source_record.id', 'identity_review_item.source_record_ref')
      .select((eb) => eb.fn.countAll<string>().as('n')).where('source_record.organisation_id', '=', org.id).executeTakeFirstOrThrow();
    const logged = await d.db.selectFrom('access_log').select((eb) => eb.fn.countAll<string>().as('n')).where('action', 'in', ['event.record', 'event.correct'])
      .where(sql`detail->>'batchId'`, '=', batchId).executeTakeFirstOrThrow();
    const name = `first import ${FIRST_LOAD % 1000 === 0 ? `${FIRST_LOAD / 1000}k` : FIRST_LOAD} (${label === 'postgres' ? 'server' : label})`;
    return [
      { name, value: FIRST_LOAD / seconds, unit: 'records/s' },
      { name: `${name} longest /health wait`, value: Math.max(...waits), unit: 'ms' },
      { name: `${name} /health p99 wait`, value: percentile(waits, 99), unit: 'ms' },
      { name: `${name} seconds`, value: seconds, unit: 's' },
      { name: `${name} accepted`, value: report.accepted, unit: 'records' },
      { name: `${name} people`, value: Number(people.people), unit: 'people' },
      { name: `${name} source records`, value: Number(people.sources), unit: 'records' },
      { name: `${name} sent to review`, value: Number(reviews.n), unit: 'records' },
      { name: `${name} entry access-log rows`, value: Number(logged.n), unit: 'rows' },
    ];
  } finally {
    importing = false;
    await pings;
    await worker.stop();
    await app.close();
  }
}

async function onEngine(label: string, d: Db): Promise<void> {
  await migrateToLatest(d.db);
  const org = await d.db.insertInto('organisation').values({ name: 'Bench borough children\'s services', kind: 'childrens_social_care', borough: 'Benchborough' })
    .returning('id').executeTakeFirstOrThrow();
  // BENCH_INTAKE=responsiveness runs only the /health measurement; first-import only the first load.
  const only = process.env.BENCH_INTAKE;
  if (!only) {
    print(await pass(d, org.id, label, 'first'));
    print(await pass(d, org.id, label, 'again'));
  }
  if (!only || only === 'responsiveness') print(await responsiveness(d, label));
  if (!only || only === 'first-import') print(await firstImport(d, label));
}

// BENCH_PGLITE=0 with DATABASE_URL runs on the server only.
if (process.env.BENCH_PGLITE !== '0' || !process.env.DATABASE_URL) {
  const dataDir = mkdtempSync(join(tmpdir(), 'jigsaw-bench-intake-'));
  const embedded = await openDb({ dataDir });
  try {
    await onEngine('pglite', embedded);
  } finally {
    await embedded.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
if (process.env.DATABASE_URL) {
  const scratch = await createScratchDatabase(process.env.DATABASE_URL, 'jigsaw_bench_intake');
  const d = await openDb({ databaseUrl: scratch.url });
  try {
    await onEngine('postgres', d);
  } finally {
    await d.close();
    await scratch.drop();
  }
}
