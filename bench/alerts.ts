// `npm run bench:alerts`: alert latency under a steady stream of significant events, on each engine.
//
// A borough with 10,000 involved practitioners (and 20,000 children, each with three of them involved,
// plus the police). The police system records 50 arrests a second for 30 seconds through the API over a
// real socket (POST /api/v1/people/:id/events), while the server's outbox worker (as `jigsaw serve` runs
// it, with its SMTP configuration) turns them into alerts and emails them to a local SMTP server.
//
// - `alert latency p50|p95`: from the API answering 201 (the entry has committed) until the entry's
//   alerts are visible in the alert table to a reader polling every 10 ms (what the recipient's
//   alerts page would show). Target: p95 under 1 s.
// - `email handoff p95`: from the entry being recorded (its recorded_at) until the SMTP server accepted
//   the alert's email (the alert's emailed_at). Target: under 5 s.
// PGlite in a data directory; also a scratch database on the PostgreSQL server when DATABASE_URL is set.
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql } from 'kysely';
import { openDb, type Db } from '../src/db/client.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createScratchDatabase } from '../src/db/scratch.js';
import { buildApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { closeMailTransports } from '../src/server/email/mailer.js';
import { createApiKey } from '../src/server/modules/api/api-key.js';
import { outboxProcessors } from '../src/server/outbox/processors.js';
import { startOutboxWorker } from '../src/server/outbox/worker.js';
import { startSmtpCapture } from '../test/smtp-capture.js';
import { percentile, print, type Line } from './report.js';

const PRACTITIONERS = 10_000;
const CHILDREN = 20_000;
const WORKERS_PER_CHILD = 3;
const RATE = 50;
const SECONDS = Number(process.env.BENCH_ALERT_SECONDS ?? 30);
const BOROUGH = 'Alertbury';

/** The borough: organisations, 10,000 practitioners, 20,000 children each with an address and three involved workers. */
async function buildBorough(d: Db): Promise<{ policeId: string; children: string[] }> {
  const kinds = ['childrens_social_care', 'youth_justice', 'school', 'community_health', 'early_help', 'youth_centre', 'housing', 'targeted_youth_support'];
  const orgs = await d.db.insertInto('organisation').values(kinds.map((k) => ({ name: `Alertbury ${k}`, kind: k, borough: BOROUGH }))).returning('id').execute();
  const police = await d.db.insertInto('organisation').values({ name: 'Alertbury police', kind: 'police', borough: 'Elsewhere' }).returning('id').executeTakeFirstOrThrow();
  await sql`
    INSERT INTO app_user (email, name, organisation_id, roles, password_hash, job_title)
    SELECT 'worker' || g || '@alertbury.example.test', 'Worker ' || g, (${sql.val(orgs.map((o) => o.id))}::uuid[])[1 + g % ${orgs.length}],
      ARRAY['practitioner'], NULL, 'Practitioner'
    FROM generate_series(1, ${PRACTITIONERS}) g`.execute(d.db);
  await sql`
    INSERT INTO person (date_of_birth, sex, ethnicity) SELECT DATE '2009-01-01' + (g % 1500), CASE WHEN g % 2 = 0 THEN 'male' ELSE 'female' END, NULL FROM generate_series(1, ${CHILDREN}) g`.execute(d.db);
  await sql`
    INSERT INTO person_address (person_id, line1, borough, valid_from) SELECT id, 'Synthetic Street', ${BOROUGH}, DATE '2020-01-01' FROM person`.execute(d.db);
  // Each child: three practitioners (spread evenly), and the police (an organisation-level involvement, so its system may record).
  await sql`
    WITH c AS (SELECT id, row_number() OVER (ORDER BY id) AS n FROM person),
         u AS (SELECT id, organisation_id, row_number() OVER (ORDER BY id) AS n FROM app_user)
    INSERT INTO involvement (person_id, organisation_id, user_id, role, started_on)
    SELECT c.id, u.organisation_id, u.id, 'key_worker', DATE '2024-01-01'
    FROM c CROSS JOIN generate_series(0, ${WORKERS_PER_CHILD - 1}) k
    JOIN u ON u.n = 1 + ((c.n * ${WORKERS_PER_CHILD} + k) % ${PRACTITIONERS})`.execute(d.db);
  await sql`INSERT INTO involvement (person_id, organisation_id, role, started_on) SELECT id, ${police.id}, 'other', DATE '2024-01-01' FROM person`.execute(d.db);
  await sql`ANALYZE`.execute(d.db);
  const children = (await d.db.selectFrom('person').select('id').orderBy('id').execute()).map((p) => p.id);
  return { policeId: police.id, children };
}

async function run(d: Db, label: string): Promise<Line[]> {
  const { policeId, children } = await buildBorough(d);
  const { key } = await createApiKey(d.db, policeId, 'Bench police system');
  const smtp = await startSmtpCapture();
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent', SMTP_URL: smtp.url, PUBLIC_BASE_URL: 'https://jigsaw.example.test' });
  const app = await buildApp({ db: d, config, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const worker = await startOutboxWorker(d, { processors: outboxProcessors(config), log: { info: () => {}, warn: () => {}, error: console.error } });
  const committedAt = new Map<string, number>();
  const latencies: number[] = [];
  let stopPolling = false;
  let deadline = Infinity;
  let failures = 0;
  // The reader: which of the committed entries have their alerts, every 10 ms.
  const poller = (async () => {
    while (!stopPolling || committedAt.size > 0) {
      const waiting = [...committedAt.keys()];
      if (waiting.length > 0) {
        const seen = await sql<{ event_id: string }>`SELECT DISTINCT event_id FROM alert WHERE event_id = ANY(${sql.val(waiting)}::uuid[])`.execute(d.db);
        const now = performance.now();
        for (const r of seen.rows) {
          const t0 = committedAt.get(r.event_id);
          if (t0 !== undefined) { latencies.push(now - t0); committedAt.delete(r.event_id); }
        }
      }
      if (stopPolling && performance.now() > deadline) break;
      await sleep(10);
    }
  })();
  try {
    const total = RATE * SECONDS;
    const started = performance.now();
    const inFlight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const child = children[(i * 7919) % children.length]!;
      inFlight.push((async () => {
        const res = await fetch(`${base}/api/v1/people/${child}/events`, {
          method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
          body: JSON.stringify({
            eventTypeCode: 'arrest', occurredAt: new Date(Date.now() - 3_600_000).toISOString(), occurredPrecision: 'time',
            summary: 'Synthetic: arrested after a disturbance', sourceSystem: 'BenchPoliceSystem', sourceRecordId: `bench-${label}-${i}`,
          }),
        });
        const t = performance.now();
        if (res.status !== 201) { failures++; await res.text(); return; }
        const { id } = (await res.json()) as { id: string };
        committedAt.set(id, t);
      })());
    }
    await Promise.all(inFlight);
    const sent = performance.now() - started;
    deadline = performance.now() + 60_000;
    stopPolling = true;
    await poller;
    // Email: wait until every alert has been handed to the SMTP server (or a minute has passed).
    const alerts = Number((await d.db.selectFrom('alert').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n);
    for (let i = 0; i < 600; i++) {
      const left = Number((await d.db.selectFrom('alert').select((eb) => eb.fn.countAll<string>().as('n')).where('emailed_at', 'is', null).executeTakeFirstOrThrow()).n);
      if (left === 0) break;
      await sleep(100);
    }
    const handoff = (await sql<{ ms: number }>`
      SELECT extract(epoch FROM (a.emailed_at - e.recorded_at)) * 1000 AS ms FROM alert a JOIN event e ON e.id = a.event_id WHERE a.emailed_at IS NOT NULL`.execute(d.db)).rows.map((r) => Number(r.ms));
    const prefix = `alerts.${label}`;
    return [
      { name: `${prefix}.events_sent`, value: total - failures, unit: 'events' },
      { name: `${prefix}.events_failed`, value: failures, unit: 'events' },
      { name: `${prefix}.send_rate`, value: (total - failures) / (sent / 1000), unit: 'events/s' },
      { name: `${prefix}.alerts`, value: alerts, unit: 'alerts' },
      { name: `${prefix}.entries_never_alerted`, value: committedAt.size, unit: 'entries' },
      { name: `alert latency p50 (${label})`, value: percentile(latencies, 50), unit: 'ms' },
      { name: `alert latency p95 (${label})`, value: percentile(latencies, 95), unit: 'ms' },
      { name: `alert latency max (${label})`, value: Math.max(...latencies), unit: 'ms' },
      { name: `email handoff p50 (${label})`, value: percentile(handoff, 50), unit: 'ms' },
      { name: `email handoff p95 (${label})`, value: percentile(handoff, 95), unit: 'ms' },
      { name: `${prefix}.emails_captured`, value: smtp.messages.length, unit: 'emails' },
      { name: `${prefix}.in_app_p95_vs_target_1000ms`, value: percentile(latencies, 95) / 1000, unit: 'ratio' },
      { name: `${prefix}.email_p95_vs_target_5000ms`, value: percentile(handoff, 95) / 5000, unit: 'ratio' },
    ];
  } finally {
    stopPolling = true;
    deadline = 0;
    await poller.catch(() => {});
    await worker.stop();
    await app.close();
    closeMailTransports();
    await smtp.close();
  }
}

const lines: Line[] = [];
{
  const dir = mkdtempSync(join(tmpdir(), 'jigsaw-bench-alerts-'));
  const d = await openDb({ dataDir: dir });
  try {
    await migrateToLatest(d.db);
    lines.push(...(await run(d, 'pglite')));
  } finally {
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
if (process.env.DATABASE_URL) {
  const scratch = await createScratchDatabase(process.env.DATABASE_URL, 'jigsaw_bench_alerts', { force: true });
  const d = await openDb({ databaseUrl: scratch.url });
  try {
    await migrateToLatest(d.db);
    lines.push(...(await run(d, 'server')));
  } finally {
    await d.close();
    await scratch.drop();
  }
}
print(lines);
