// `npm run bench:dashboards`: how long the partnership's dashboards take to reach a partnership lead.
//
// One synthetic borough of BENCH_DASHBOARD_CHILDREN children (60,000 unless set) is seeded through the
// seed code's chunked writer, then the partnership's structured records are filled in bulk: a missing
// episode record and return home interview for each missing entry of the last year, a plan with three
// actions (some overdue) for every 20th child, a consideration for every 10th, an offer of help for every
// 15th, and an alert for every 10th; and a population baseline. The partnership lead signs in over a real
// socket and opens the dashboards (all eight tiles) and the cohort's tile (trend and the three
// breakdowns) in turn, BENCH_DASHBOARD_SAMPLES times each (20 unless set): `dashboard p95 (60,000
// children): N ms` is the time from the request to the last byte of the dashboards page. Target: under
// 1 s on the server. PGlite in memory; also a scratch database on the PostgreSQL server when
// DATABASE_URL is set.
import type { AddressInfo } from 'node:net';
import { sql } from 'kysely';
import { openDb, type Db } from '../src/db/client.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { createScratchDatabase } from '../src/db/scratch.js';
import { buildApp } from '../src/server/app.js';
import { loadConfig } from '../src/server/config.js';
import { DEMO_PASSWORD } from '../src/synthetic/rates.js';
import { seedBorough } from '../src/synthetic/seed.js';
import { percentile, print } from './report.js';

const CHILDREN = Number(process.env.BENCH_DASHBOARD_CHILDREN ?? 60_000);
const SAMPLES = Number(process.env.BENCH_DASHBOARD_SAMPLES ?? 20);

/** Signs in through the form as a person would, over the socket; returns the session cookie. */
async function signIn(base: string, email: string): Promise<string> {
  const page = await fetch(`${base}/sign-in`);
  const pre = page.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('jigsaw_signin='));
  const token = /name="_csrf" value="([^"]+)"/.exec(await page.text())?.[1];
  const res = await fetch(`${base}/sign-in`, {
    method: 'POST', redirect: 'manual', headers: { cookie: pre ?? '', 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email, password: DEMO_PASSWORD, _csrf: token ?? '' }).toString(),
  });
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]!).find((c) => c.startsWith('jigsaw_session='));
  if (res.status !== 303 || !cookie || /two-factor/.test(res.headers.get('location') ?? '')) throw new Error(`sign-in as ${email} answered ${res.status}`);
  return cookie;
}

/** The partnership's structured records, in bulk (what pages and processors would have written over a year). */
async function fillIn(d: Db, partnershipId: string, userId: string): Promise<void> {
  const kids = sql`(SELECT person_id, row_number() OVER (ORDER BY person_id) AS n FROM person_partnership WHERE partnership_id = ${partnershipId}
    AND person_id IN (SELECT person_id FROM event_person WHERE role = 'subject'))`;
  await sql`INSERT INTO missing_episode (person_id, event_id, organisation_id, source, reported_missing_at, returned_at, returned_precision, created_at)
    SELECT ep.person_id, e.id, e.organisation_id, 'import', e.occurred_at, e.occurred_at + interval '20 hours', 'time', e.recorded_at
    FROM event e JOIN event_person ep ON ep.event_id = e.id AND ep.role = 'subject'
    WHERE e.event_type_code = 'missing_episode' AND e.occurred_at > now() - interval '13 months'
    ON CONFLICT (event_id) DO NOTHING`.execute(d.db);
  await sql`INSERT INTO return_interview (episode_id, person_id, due_at, completed_at, completed_by_kind)
    SELECT m.id, m.person_id, m.returned_at + interval '72 hours',
      CASE WHEN abs(hashtext(m.id::text)) % 3 = 0 THEN NULL ELSE m.returned_at + (abs(hashtext(m.id::text)) % 120) * interval '1 hour' END,
      CASE WHEN abs(hashtext(m.id::text)) % 3 = 0 THEN NULL ELSE 'allocated_worker' END
    FROM missing_episode m ON CONFLICT DO NOTHING`.execute(d.db);
  await sql`INSERT INTO risk_plan (person_id, organisation_id, created_by_user_id, worries, goals, next_review_on, review_every_weeks, created_at)
    SELECT k.person_id, u.organisation_id, u.id, 'Synthetic worries', 'Synthetic goals', current_date + 14, 6, now() - interval '90 days'
    FROM ${kids} k, app_user u WHERE u.id = ${userId} AND k.n % 20 = 0`.execute(d.db);
  await sql`INSERT INTO plan_action (plan_id, kind, description, owner_user_id, owner_organisation_id, due_on, created_by_user_id, created_at)
    SELECT p.id, 'supportive', 'Synthetic action', o.id, o.organisation_id, current_date + (s * 20 - 45), p.created_by_user_id, p.created_at
    FROM risk_plan p CROSS JOIN generate_series(1, 3) s
    CROSS JOIN LATERAL (SELECT u.id, u.organisation_id FROM app_user u WHERE u.partnership_id = ${partnershipId} AND 'practitioner' = ANY(u.roles)
      ORDER BY hashtext(u.id::text || p.id::text || s) LIMIT 1) o`.execute(d.db);
  await sql`INSERT INTO consideration (person_id, rule_version_id, evidence_key, matched_event_ids, explanation, recipient_kind, created_via, created_at)
    SELECT k.person_id, (SELECT v.id FROM rule_version v JOIN rule r ON r.id = v.rule_id WHERE r.partnership_id = ${partnershipId} LIMIT 1),
      'bench-' || k.n, ARRAY[(SELECT ep.event_id FROM event_person ep WHERE ep.person_id = k.person_id LIMIT 1)], 'Synthetic', 'unrouted', 'full_pass',
      now() - (k.n % 300) * interval '1 day'
    FROM ${kids} k WHERE k.n % 10 = 0 ON CONFLICT DO NOTHING`.execute(d.db);
  await sql`INSERT INTO consideration_decision (consideration_id, decision, service, decided_by_user_id, organisation_id, decided_at)
    SELECT c.id, 'offer_of_help', 'Synthetic service', u.id, u.organisation_id, c.created_at + interval '3 days'
    FROM consideration c, app_user u WHERE u.id = ${userId} AND c.evidence_key LIKE 'bench-%' AND abs(hashtext(c.id::text)) % 2 = 0`.execute(d.db);
  await sql`INSERT INTO offer_of_help (person_id, service_name, organisation_id, created_by_user_id, offered_on, mode, response, barrier, own_words, responded_at)
    SELECT k.person_id, 'Synthetic service', u.organisation_id, u.id, current_date - (k.n % 300)::int, 'face_to_face',
      (ARRAY['accepted', 'declined', 'not_taken_up'])[1 + k.n % 3], CASE WHEN k.n % 3 = 0 THEN NULL ELSE (ARRAY['awareness', 'accessibility', 'acceptability'])[1 + k.n % 4 % 3] END,
      CASE WHEN k.n % 3 = 0 THEN NULL ELSE 'Synthetic words' END, now() - (k.n % 300) * interval '1 day' + interval '1 day'
    FROM ${kids} k, app_user u WHERE u.id = ${userId} AND k.n % 15 = 0`.execute(d.db);
  await sql`INSERT INTO alert (recipient_user_id, person_id, event_id, partnership_id, kind, reasons, created_at, acknowledged_at)
    SELECT ${userId}, k.person_id, (SELECT ep.event_id FROM event_person ep WHERE ep.person_id = k.person_id ORDER BY ep.event_id LIMIT 1), ${partnershipId}, 'significant_entry', ARRAY['synthetic'],
      now() - (k.n % 300) * interval '1 day', CASE WHEN k.n % 4 = 0 THEN NULL ELSE now() - (k.n % 300) * interval '1 day' + (k.n % 50) * interval '1 hour' END
    FROM ${kids} k WHERE k.n % 10 = 0 ON CONFLICT DO NOTHING`.execute(d.db);
  const baseline = [['sex', 'female', 29000], ['sex', 'male', 31000], ['age_band', '0 to 4', 14000], ['age_band', '5 to 9', 15000], ['age_band', '10 to 14', 16000], ['age_band', '15 to 17', 15000],
    ['ethnicity_group', 'White', 30000], ['ethnicity_group', 'Mixed or multiple ethnic groups', 6000], ['ethnicity_group', 'Asian or Asian British', 11000],
    ['ethnicity_group', 'Black, Black British, Caribbean or African', 10000], ['ethnicity_group', 'Other ethnic group', 2000], ['ethnicity_group', 'Not known or refused', 1000]] as const;
  await d.db.insertInto('population_baseline').values(baseline.map(([dimension, category, children]) => ({ partnership_id: partnershipId, dimension, category, children, source: 'Synthetic bench baseline', updated_by_user_id: userId }))).execute();
  await sql`ANALYZE`.execute(d.db);
}

async function run(d: Db, label: string): Promise<void> {
  await migrateToLatest(d.db);
  const started = performance.now();
  const seeded = await seedBorough(d.db, { children: CHILDREN, seed: 16, chunkSize: 2000 });
  const seedSeconds = (performance.now() - started) / 1000;
  const lead = await d.db.selectFrom('app_user').select(['id', 'email', 'partnership_id']).where(sql<boolean>`'partnership_lead' = ANY(roles)`)
    .where('email', 'like', 'lead@%').orderBy('email').executeTakeFirstOrThrow();
  // A reused scratch database (BENCH_DASHBOARD_REUSE=1) is seeded and filled in once.
  if (!(await d.db.selectFrom('population_baseline').select('dimension').where('partnership_id', '=', lead.partnership_id).executeTakeFirst())) await fillIn(d, lead.partnership_id, lead.id);
  const config = loadConfig({ NODE_ENV: 'test', LOG_LEVEL: 'silent' });
  const app = await buildApp({ db: d, config, logger: false });
  await app.listen({ host: '127.0.0.1', port: 0 });
  const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  try {
    const cookie = await signIn(base, lead.email);
    const open = async (path: string, marker: string) => {
      const t0 = performance.now();
      const res = await fetch(`${base}${path}`, { headers: { cookie } });
      const body = await res.text();
      if (res.status !== 200 || !body.includes(marker)) throw new Error(`${path} answered ${res.status}`);
      return performance.now() - t0;
    };
    await open('/oversight', 'Partnership dashboards');
    await open('/oversight/tiles/cohort', 'Disproportionality');
    const page: number[] = [];
    const tile: number[] = [];
    for (let i = 0; i < SAMPLES; i++) {
      page.push(await open('/oversight', 'Partnership dashboards'));
      tile.push(await open('/oversight/tiles/cohort', 'Disproportionality'));
    }
    const counts = await sql<{ events: number; episodes: number; actions: number }>`SELECT (SELECT count(*)::int FROM event) AS events, (SELECT count(*)::int FROM missing_episode) AS episodes, (SELECT count(*)::int FROM plan_action) AS actions`.execute(d.db);
    const c = counts.rows[0]!;
    // A reused database was seeded by an earlier run with the same size.
    const children = seeded.skipped ? CHILDREN : seeded.children;
    console.log(`# ${label}: ${children} children (${c.events} entries) ${seeded.skipped ? 'seeded by an earlier run' : `seeded in ${Math.round(seedSeconds)} s`}; ${c.episodes} missing episodes, ${c.actions} plan actions; ${SAMPLES} samples each`);
    const n = children.toLocaleString('en-GB');
    console.log(`dashboard p95 (${n} children): ${Math.round(percentile(page, 95))} ms`);
    console.log(`dashboard tile with trend and breakdowns p95 (${n} children): ${Math.round(percentile(tile, 95))} ms`);
    print([
      { name: `dashboards.${label}.page_p50`, value: percentile(page, 50), unit: 'ms' },
      { name: `dashboards.${label}.cohort_tile_p50`, value: percentile(tile, 50), unit: 'ms' },
      ...(seeded.skipped ? [] : [{ name: `dashboards.${label}.seed_children_per_second`, value: seeded.children / seedSeconds, unit: 'children/s' }]),
    ]);
  } finally {
    await app.close();
  }
}

console.log('# npm run bench:dashboards');
if (process.env.BENCH_DASHBOARD_ENGINES !== 'postgres') {
  const d = await openDb({ memory: true });
  try { await run(d, 'pglite'); } finally { await d.close(); }
}
if (process.env.DATABASE_URL) {
  const reuse = process.env.BENCH_DASHBOARD_REUSE === '1';
  const scratch = await createScratchDatabase(process.env.DATABASE_URL, 'jigsaw_bench_dashboards', { reuse, keep: reuse });
  const d = await openDb({ databaseUrl: scratch.url });
  try { await run(d, 'postgres'); } finally { await d.close(); await scratch.drop(); }
} else {
  console.log('# DATABASE_URL is not set: the PostgreSQL server figures are skipped');
}
