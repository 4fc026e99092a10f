// `npm run bench:network`: a critical-moment cohort and a child's network over a graph of 1,000,000 edges.
//
// A world of BENCH_NETWORK_PEOPLE people (100,000 unless set) is loaded into the product's own tables
// with INSERT ... SELECT generate_series: BENCH_NETWORK_EDGES relationships (1,000,000 unless set;
// friends, associates, classmates, co-accused, siblings, rivals; a tenth of them from an entry, some of
// those restricted), 100 schools and 200 youth centres with every person enrolled at one school and a
// third attending a youth centre, and an entry naming two people for every tenth edge. Then 20 homicides
// are recorded through the chronology's writer and the outbox's incident work (linking, the cohort as the
// partnership, welfare checks and their alerts). A social worker who is the lead professional of the
// 20 victims signs in over a real socket and opens, in turn, each incident's cohort page
// (`cohort p95 (1M edges): N ms`, request to last byte; target under 500 ms) and each victim's network
// to two steps (`network view p95: N ms`), BENCH_NETWORK_SAMPLES times each (60 unless set).
// PGlite in memory; also a scratch database on the PostgreSQL server when DATABASE_URL is set.
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { openDb, type Db } from '../src/db/client.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createScratchDatabase } from '../src/db/scratch.js';
import { buildApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { hashPassword } from '../src/server/modules/auth/password.js';
import { appendEntries } from '../src/server/modules/chronology/commands/append-entry.js';
import { incidentsFromEntries } from '../src/server/modules/networks/incidents.commands.js';
import { DEMO_PASSWORD } from '../src/synthetic/rates.js';
import { percentile, print } from './report.js';

const PEOPLE = Number(process.env.BENCH_NETWORK_PEOPLE ?? 100_000);
const EDGES = Number(process.env.BENCH_NETWORK_EDGES ?? 1_000_000);
const SAMPLES = Number(process.env.BENCH_NETWORK_SAMPLES ?? 60);
const INCIDENTS = 20;
const CHUNK = 250_000;

async function signIn(base: string, email: string): Promise<{ cookie: string }> {
  const page = await fetch(`${base}/sign-in`);
  const pre = page.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('jigsaw_signin='));
  const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  const res = await fetch(`${base}/sign-in`, {
    method: 'POST', redirect: 'manual', headers: { cookie: pre ?? '', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email, password: DEMO_PASSWORD, _csrf: token ?? '' }).toString(),
  });
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('jigsaw_session='));
  if (res.status !== 303 || !cookie) throw new Error(`sign-in as ${email} answered ${res.status}`);
  return { cookie };
}

/** Loads the world into the product's tables; returns the organisations and the time it took. */
async function load(d: Db): Promise<{ csc: string; police: string; seconds: number }> {
  const started = performance.now();
  const org = async (kind: string) => (await d.db.insertInto('organisation').values({ name: `Bench ${kind}`, kind, borough: 'Benchmoor' }).returning('id').executeTakeFirstOrThrow()).id;
  const csc = await org('childrens_social_care');
  const police = await org('police');
  const youth = await org('youth_centre');
  const school = await org('school');
  // People, numbered, with a name and a date of birth (ages 11 to 18).
  await sql`CREATE UNLOGGED TABLE bench_person (n int PRIMARY KEY, id uuid NOT NULL)`.execute(d.db);
  await sql`INSERT INTO bench_person SELECT g, gen_random_uuid() FROM generate_series(0, ${sql.lit(PEOPLE - 1)}) g`.execute(d.db);
  await sql`INSERT INTO person (id, date_of_birth, sex, ethnicity) SELECT id, DATE '2008-09-01' + (n % 2555), CASE WHEN n % 2 = 0 THEN 'male' ELSE 'female' END, 'WBRI' FROM bench_person`.execute(d.db);
  await sql`INSERT INTO person_name (person_id, kind, given_names, family_name) SELECT id, 'legal', 'Bench' || n, 'Child' || (n % 997) FROM bench_person`.execute(d.db);
  await sql`INSERT INTO person_address (person_id, line1, borough, valid_from) SELECT id, n || ' Synthetic Road', 'Benchmoor', DATE '2020-01-01' FROM bench_person`.execute(d.db);
  console.log(`# people loaded: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  // Places: 100 schools, 200 youth centres; everyone at a school, a third at a youth centre.
  await sql`CREATE UNLOGGED TABLE bench_place (n int PRIMARY KEY, id uuid NOT NULL, kind text NOT NULL)`.execute(d.db);
  await sql`INSERT INTO bench_place SELECT g, gen_random_uuid(), CASE WHEN g < 100 THEN 'school' ELSE 'youth_centre' END FROM generate_series(0, 299) g`.execute(d.db);
  await sql`INSERT INTO place (id, kind, name, borough, recorded_by_organisation_id) SELECT id, kind, 'Bench ' || kind || ' ' || n, 'Benchmoor', ${youth}::uuid FROM bench_place`.execute(d.db);
  await sql`INSERT INTO person_place (person_id, place_id, kind, recorded_by_organisation_id, valid_from)
    SELECT p.id, s.id, 'enrolled', ${school}::uuid, DATE '2020-09-01' FROM bench_person p JOIN bench_place s ON s.n = p.n % 100`.execute(d.db);
  await sql`INSERT INTO person_place (person_id, place_id, kind, recorded_by_organisation_id, valid_from)
    SELECT p.id, y.id, 'attends', ${youth}::uuid, DATE '2024-01-01' FROM bench_person p JOIN bench_place y ON y.n = 100 + (p.n * 7) % 200 WHERE p.n % 3 = 0`.execute(d.db);
  // Entries naming two people, for a tenth of the edges: recorded by the police, one in twenty restricted.
  const type = await d.db.selectFrom('event_type').select(['code', 'vocabulary_version']).where('code', '=', 'seen_with_peers_of_concern').executeTakeFirstOrThrow();
  const entries = Math.floor(EDGES / 10);
  await sql`CREATE UNLOGGED TABLE bench_event (n int PRIMARY KEY, id uuid NOT NULL)`.execute(d.db);
  await sql`INSERT INTO bench_event SELECT g, gen_random_uuid() FROM generate_series(0, ${sql.lit(entries - 1)}) g`.execute(d.db);
  for (let from = 0; from < entries; from += CHUNK) {
    await sql`INSERT INTO event (id, event_type_code, vocabulary_version, occurred_at, occurred_precision, recorded_via, organisation_id, source_system, source_record_id, summary, sensitivity, reliability)
      SELECT id, ${type.code}, ${type.vocabulary_version}, now() - make_interval(days => n % 700), 'time', 'synthetic', ${police}::uuid, 'BenchSystem', 'bench-' || n,
        'Synthetic: seen together', CASE WHEN n % 20 = 0 THEN 'restricted' ELSE 'standard' END, 'reported'
      FROM bench_event WHERE n >= ${sql.lit(from)} AND n < ${sql.lit(from + CHUNK)}`.execute(d.db);
    await sql`INSERT INTO event_restriction (event_id, contact, reason) SELECT id, 'the police intelligence unit', NULL FROM bench_event WHERE n >= ${sql.lit(from)} AND n < ${sql.lit(from + CHUNK)} AND n % 20 = 0`.execute(d.db);
  }
  console.log(`# places and entries loaded: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  // Edges: each person's neighbours lie near them in the numbering (friend groups), with long links
  // between groups; edge i from person i mod N. The kinds cycle; every tenth edge comes from an entry.
  const kinds = ['friend', 'friend', 'friend', 'associate', 'associate', 'classmate', 'co_accused', 'sibling', 'rival', 'friend'];
  for (let from = 0; from < EDGES; from += CHUNK) {
    await sql`INSERT INTO person_relationship (person_id, related_person_id, kind, source_event_id, recorded_by_organisation_id, grading, sensitivity)
      SELECT a.id, b.id, (${sql.val(kinds)}::text[])[1 + (g / ${sql.lit(PEOPLE)}) % 10], e.id, ${youth}::uuid, CASE WHEN g % 3 = 0 THEN '2B' END, 'standard'
      FROM generate_series(${sql.lit(from)}, ${sql.lit(Math.min(EDGES, from + CHUNK) - 1)}) g
      JOIN bench_person a ON a.n = g % ${sql.lit(PEOPLE)}
      JOIN bench_person b ON b.n = (g % ${sql.lit(PEOPLE)} + 1 + CASE WHEN (g / ${sql.lit(PEOPLE)}) % 5 = 4 THEN ((g::bigint * 7919) % ${sql.lit(PEOPLE - 1)})::int ELSE (g / ${sql.lit(PEOPLE)}) * 3 + 1 END) % ${sql.lit(PEOPLE)}
      LEFT JOIN bench_event e ON g % 10 = 0 AND e.n = g / 10`.execute(d.db);
  }
  await sql`INSERT INTO event_person (event_id, person_id, role)
    SELECT r.source_event_id, r.person_id, 'subject' FROM person_relationship r WHERE r.source_event_id IS NOT NULL
    UNION ALL SELECT r.source_event_id, r.related_person_id, 'associate' FROM person_relationship r WHERE r.source_event_id IS NOT NULL`.execute(d.db);
  console.log(`# edges loaded: ${((performance.now() - started) / 1000).toFixed(0)} s`);
  await sql`ANALYZE`.execute(d.db);
  return { csc, police, seconds: (performance.now() - started) / 1000 };
}

async function run(d: Db, label: string): Promise<void> {
  await migrateToLatest(d.db);
  const { csc, police, seconds } = await load(d);
  const edges = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM person_relationship`.execute(d.db)).rows[0]!.n);
  // The reader: a social worker, lead professional of the 20 victims.
  const email = 'bench.worker@benchmoor.jigsaw.test';
  const worker = await d.db.insertInto('app_user').values({ email, name: 'Bench Worker', organisation_id: csc, roles: ['practitioner'], password_hash: await hashPassword(DEMO_PASSWORD), job_title: 'Social worker' })
    .returning('id').executeTakeFirstOrThrow();
  const victims = (await sql<{ id: string }>`SELECT id FROM bench_person WHERE n % ${sql.lit(Math.floor(PEOPLE / INCIDENTS))} = 17 ORDER BY n LIMIT ${sql.lit(INCIDENTS)}`.execute(d.db)).rows.map((r) => r.id);
  await d.db.insertInto('involvement').values(victims.map((v) => ({ person_id: v, organisation_id: csc, user_id: worker.id, role: 'lead_professional', started_on: '2024-01-01' }))).execute();
  // The homicides, through the chronology's writer and the outbox's incident work.
  const homicide = await d.db.selectFrom('event_type').select(['code', 'vocabulary_version']).where('code', '=', 'homicide').executeTakeFirstOrThrow();
  const respondStarted = performance.now();
  const written = await d.db.transaction().execute((trx) => appendEntries(trx, victims.map((v, i) => ({
    organisationId: police, eventTypeCode: homicide.code, vocabularyVersion: homicide.vocabulary_version, occurredAt: new Date(Date.now() - (i + 1) * 3_600_000),
    occurredPrecision: 'time' as const, recordedByUserId: null, apiKeyId: null, recordedVia: 'api' as const, sourceSystem: 'BenchPolice', sourceRecordId: `homicide-${i}`,
    summary: 'Synthetic: fatal stabbing', narrative: null, place: null, factorCodes: [], sensitivity: 'standard' as const, reliability: 'confirmed' as const,
    supersedes: null, correctionReason: null, people: [{ personId: v, role: 'victim' }], audit: null,
  }))));
  await incidentsFromEntries(d.db, written.map((w) => w.id));
  const respondSeconds = (performance.now() - respondStarted) / 1000;
  const incidents = (await d.db.selectFrom('incident_entry').select('incident_id').where('event_id', 'in', written.map((w) => w.id)).execute()).map((r) => r.incident_id);
  const checks = Number((await sql<{ n: string }>`SELECT count(*) AS n FROM welfare_check`.execute(d.db)).rows[0]!.n);

  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
  const app = await buildApp({ db: d, config, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  try {
    const { cookie } = await signIn(base, email);
    const time = async (path: string, expect: string) => {
      const started = performance.now();
      const res = await fetch(`${base}${path}`, { headers: { cookie } });
      const body = await res.text();
      if (res.status !== 200 || !body.includes(expect)) throw new Error(`${path} answered ${res.status}`);
      return { ms: performance.now() - started, rows: (body.match(/<tr class="govuk-table__row">/g) ?? []).length };
    };
    await time(`/incidents/${incidents[0]}`, 'The affected children');
    await time(`/people/${victims[0]}/network?steps=2`, 'Network');
    const cohort: number[] = [];
    const network: number[] = [];
    let cohortRows = 0;
    let networkRows = 0;
    for (let i = 0; i < SAMPLES; i++) {
      const c = await time(`/incidents/${incidents[i % incidents.length]}`, 'The affected children');
      cohort.push(c.ms);
      cohortRows += c.rows;
      const n = await time(`/people/${victims[i % victims.length]}/network?steps=2`, 'Network');
      network.push(n.ms);
      networkRows += n.rows;
    }
    console.log(`# ${label}: ${PEOPLE} people, ${edges} edges, ${EDGES / 10} entries naming two people, loaded in ${seconds.toFixed(0)} s; ${incidents.length} homicides answered in ${respondSeconds.toFixed(1)} s with ${checks} welfare checks`);
    console.log(`# ${label}: ${SAMPLES} samples each; about ${Math.round(cohortRows / SAMPLES)} table rows per cohort page and ${Math.round(networkRows / SAMPLES)} per network page`);
    console.log(`cohort p95 (1M edges): ${Math.round(percentile(cohort, 95))} ms`);
    console.log(`network view p95: ${Math.round(percentile(network, 95))} ms`);
    print([
      { name: `network.${label}.cohort_p50`, value: percentile(cohort, 50), unit: 'ms' },
      { name: `network.${label}.network_view_p50`, value: percentile(network, 50), unit: 'ms' },
      { name: `network.${label}.load_seconds`, value: seconds, unit: 's' },
    ]);
  } finally {
    await app.close();
  }
}

// BENCH_NETWORK_ENGINE=pglite|postgres runs one engine only.
const only = process.env.BENCH_NETWORK_ENGINE;
console.log('# npm run bench:network');
if (only !== 'postgres') {
  const d = await openDb({ memory: true });
  try { await run(d, 'pglite'); } finally { await d.close(); }
}
if (only === 'pglite') {
  // the server's figures were not asked for
} else if (process.env.DATABASE_URL) {
  const scratch = await createScratchDatabase(process.env.DATABASE_URL, 'jigsaw_bench_network');
  const d = await openDb({ databaseUrl: scratch.url });
  try { await run(d, 'postgres'); } finally { await d.close(); await scratch.drop(); }
} else {
  console.log('# DATABASE_URL is not set: the PostgreSQL server figures are skipped');
}
