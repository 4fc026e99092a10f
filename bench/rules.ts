// `npx tsx bench/rules.ts`: the early identification rules at borough scale. Prints `name: value unit` lines:
// the full pass over a synthetic borough (default 60,000 children and 5,000,000 events) and the time from an
// event being recorded to its consideration existing, p50/p95, under a steady stream of events.
// On the PostgreSQL server (DATABASE_URL) it works in a scratch database, jigsaw_bench_rules, created and
// dropped here; without DATABASE_URL it runs on in-memory PGlite at a smaller default size.
import { sql } from 'kysely';
import { performance } from 'node:perf_hooks';
import { openDb, type Db } from '../src/db/client.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { codesUsed } from '../src/domain/rules/rule-language.js';
import type { Actor } from '../src/server/actor.js';
import { appendEntry } from '../src/server/modules/chronology/commands/append-entry.js';
import { loadActiveRules } from '../src/server/modules/considerations/rules.queries.js';
import { runFullPass } from '../src/server/modules/considerations/run-rules.js';
import { outboxProcessors } from '../src/server/outbox/processors.js';
import { startOutboxWorker } from '../src/server/outbox/worker.js';
import { percentile, print as printFigures, type Line } from './report.js';
import { createScratchDatabase } from '../src/db/scratch.js';

// Counts print as whole numbers; timings with the shared precision.
const print = (lines: Line[]) => {
  for (const l of lines) {
    if (['children', 'events', 'considerations'].includes(l.unit)) console.log(`${l.name}: ${Math.round(l.value)} ${l.unit}`);
    else printFigures([l]);
  }
};

const server = Boolean(process.env.DATABASE_URL);
const CHILDREN = Number(process.env.BENCH_RULES_CHILDREN ?? (server ? 60_000 : 5_000));
const EVENTS = Number(process.env.BENCH_RULES_EVENTS ?? (server ? 5_000_000 : 400_000));
const STREAM = Number(process.env.BENCH_RULES_STREAM ?? 400);
const RATE = Number(process.env.BENCH_RULES_RATE ?? 20); // events per second
const CHUNK = 1_000_000;
const label = server ? 'postgres' : 'pglite';

const log = (msg: string) => process.stderr.write(`# ${msg}\n`);

// Event ids ascend with the series so the bulk load appends to the primary-key index instead of
// scattering across it; everything the rules read is unaffected by the choice of id.
/** Builds the synthetic borough with set-based SQL: organisations, users, children, addresses, lead professionals, events. */
async function generate(d: Db): Promise<{ userId: string; orgId: string }> {
  const kinds = ['police', 'school', 'school', 'school', 'gp', 'acute_hospital', 'childrens_social_care', 'early_help', 'youth_justice', 'housing', 'voluntary_sector', 'camhs'];
  // The first organisation makes the borough's partnership, which starts with the default rules.
  await d.rawQuery(`INSERT INTO organisation (id, name, kind, borough) SELECT md5('o' || i)::uuid, 'Bench agency ' || i, k, 'Benchborough' FROM unnest($1::text[]) WITH ORDINALITY AS x(k, i)`, [kinds]);
  const rules = await loadActiveRules(d.db);
  const watched = new Set(rules.flatMap((r) => [...codesUsed(r.definition).eventTypes]));
  const watchedFactors = new Set(rules.flatMap((r) => codesUsed(r.definition).factors));
  const types = await d.db.selectFrom('event_type').select(['code', 'implies_factors']).execute();
  // Most of what agencies record is routine; about one entry in seven is of a kind the rules look at.
  const routine = types.filter((t) => !watched.has(t.code) && !t.implies_factors.some((f) => watchedFactors.has(f))).map((t) => t.code);
  const all = types.map((t) => t.code);

  await d.rawQuery(`INSERT INTO app_user (id, email, name, organisation_id, roles) SELECT md5('u' || i)::uuid, 'bench-' || i || '@bench.jigsaw.test', 'Bench User ' || i, md5('o' || (1 + i % $1))::uuid, '{practitioner}' FROM generate_series(1, 300) i`, [kinds.length]);
  log(`children: ${CHILDREN}`);
  await d.rawQuery(`
    INSERT INTO person (id, date_of_birth, sex, ethnicity)
    SELECT md5('p' || i)::uuid, (current_date - (730 + floor(random() * 5500))::int),
      (ARRAY['female', 'male', 'male', 'female', 'not_known'])[1 + floor(random() * 5)::int],
      (ARRAY['WBRI', 'WBRI', 'WOTH', 'MWBC', 'MWBA', 'AIND', 'APKN', 'ABAN', 'BCRB', 'BAFR', 'BAFR', 'OOTH', 'NOBT'])[1 + floor(random() * 13)::int]
    FROM generate_series(0, $1 - 1) i`, [CHILDREN]);
  await d.rawQuery(`INSERT INTO person_name (person_id, kind, given_names, family_name) SELECT md5('p' || i)::uuid, 'legal', 'Benchchild', 'Number' || i FROM generate_series(0, $1 - 1) i`, [CHILDREN]);
  await d.rawQuery(`INSERT INTO person_address (person_id, line1, borough, valid_from) SELECT md5('p' || i)::uuid, i || ' Bench Road', 'Benchborough', '2020-01-01' FROM generate_series(0, $1 - 1) i`, [CHILDREN]);
  // A third of children have a lead professional; the rest go to the early help front door.
  await d.rawQuery(`
    INSERT INTO involvement (person_id, organisation_id, user_id, role, started_on)
    SELECT md5('p' || i)::uuid, u.organisation_id, u.id, 'lead_professional', '2024-01-01'
    FROM generate_series(0, $1 - 1) i JOIN app_user u ON u.id = md5('u' || (1 + i % 300))::uuid WHERE i % 3 = 0`, [CHILDREN]);
  for (let start = 1; start <= EVENTS; start += CHUNK) {
    const end = Math.min(EVENTS, start + CHUNK - 1);
    const t0 = performance.now();
    // Data made correct by construction; foreign-key triggers are skipped for this bulk load only (SET LOCAL).
    await d.db.transaction().execute(async (trx) => {
      if (server) await sql`SET LOCAL session_replication_role = replica`.execute(trx);
      await sql`
        INSERT INTO event (id, event_type_code, vocabulary_version, occurred_at, occurred_precision, recorded_at, recorded_via, organisation_id, source_system, source_record_id, summary, factor_codes)
        SELECT lpad(to_hex(g), 32, '0')::uuid,
          CASE WHEN random() < 0.85 THEN (${sql.val(routine)}::text[])[1 + floor(random() * ${routine.length})::int] ELSE (${sql.val(all)}::text[])[1 + floor(random() * ${all.length})::int] END,
          '1', o.at, 'date', o.at, 'synthetic', md5('o' || (1 + g % ${kinds.length}))::uuid, 'BenchSystem', 'B' || g, 'Synthetic benchmark entry', '{}'
        -- g in the lateral keeps random() per row rather than once for the statement.
        FROM generate_series(${start}::int, ${end}::int) g, LATERAL (SELECT now() - random() * interval '6 years' - interval '1 day' + g * interval '0 seconds' AS at) o`.execute(trx);
      await sql`
        INSERT INTO event_person (event_id, person_id, role)
        SELECT lpad(to_hex(g), 32, '0')::uuid, md5('p' || (g % ${CHILDREN}))::uuid, 'subject' FROM generate_series(${start}::int, ${end}::int) g`.execute(trx);
    });
    log(`events ${end.toLocaleString('en-GB')} of ${EVENTS.toLocaleString('en-GB')} (${((performance.now() - t0) / 1000).toFixed(1)} s for this chunk)`);
  }
  await d.rawQuery('ANALYZE');
  return { userId: (await d.rawQuery(`SELECT md5('u1')::uuid AS id`)).rows.map((r) => (r as { id: string }).id)[0]!, orgId: (await d.rawQuery(`SELECT md5('o2')::uuid AS id`)).rows.map((r) => (r as { id: string }).id)[0]! };
}

let reuse = false;

/** The user and organisation of a borough generated by an earlier run (considerations from earlier measurements are cleared first). */
async function existingBorough(d: Db): Promise<{ userId: string; orgId: string }> {
  log('reusing the borough from an earlier run');
  await d.db.transaction().execute(async (trx) => {
    await sql`ALTER TABLE consideration DISABLE TRIGGER consideration_append_only`.execute(trx);
    await sql`DELETE FROM consideration`.execute(trx);
    await sql`ALTER TABLE consideration ENABLE TRIGGER consideration_append_only`.execute(trx);
  });
  const row = (await d.rawQuery(`SELECT md5('u1')::uuid AS u, md5('o2')::uuid AS o`)).rows[0] as { u: string; o: string };
  return { userId: row.u, orgId: row.o };
}

/** Records a steady stream of critical-moment events and measures, for each, the time until its consideration exists. */
async function stream(d: Db, who: { userId: string; orgId: string }): Promise<number[]> {
  const org = await d.db.selectFrom('app_user').select(['organisation_id', 'partnership_id']).where('id', '=', who.userId).executeTakeFirstOrThrow();
  const actor: Actor = { kind: 'user', userId: who.userId, name: 'Bench User', email: 'bench-1@bench.jigsaw.test', organisationId: org.organisation_id, organisationName: 'Bench', teamId: null, roles: ['practitioner'], partnershipId: org.partnership_id };
  // Children with no consideration yet from the critical-moment rule, so each new event raises exactly one.
  const children = await d.rawQuery(`
    SELECT p.id FROM person p WHERE NOT EXISTS (
      SELECT 1 FROM consideration c JOIN rule_version v ON v.id = c.rule_version_id JOIN rule r ON r.id = v.rule_id
      WHERE c.person_id = p.id AND r.code = 'violent_bereavement_or_witness')
    AND p.date_of_birth > current_date - 6000 ORDER BY p.id LIMIT $1`, [STREAM]);
  const ids = children.rows.map((r) => (r as { id: string }).id);
  const latencies: number[] = [];
  const pending: Promise<void>[] = [];
  const started = performance.now();
  for (const [i, personId] of ids.entries()) {
    // Open loop: each event starts on schedule whether or not earlier ones have finished.
    const due = started + (i * 1000) / RATE;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push((async () => {
      const t0 = performance.now();
      const e = await d.db.transaction().execute((trx) => appendEntry(trx, actor, {
        personId, eventTypeCode: 'witness_to_serious_violence', occurredAt: new Date(Date.now() - 3_600_000), occurredPrecision: 'time',
        summary: 'Synthetic benchmark: witnessed a serious assault', sourceSystem: 'BenchSystem',
      }, { via: 'api', route: 'bench', requestId: `bench-${i}` }));
      // The rules run in the outbox worker after the commit: wait for the consideration to appear.
      for (let tries = 0; ; tries++) {
        const found = await d.rawQuery('SELECT 1 FROM consideration WHERE person_id = $1 AND $2 = ANY(matched_event_ids)', [personId, e.id]);
        if (found.rows.length > 0) break;
        if (tries > 6000) throw new Error('no consideration was raised for a benchmark event');
        await new Promise((r) => setTimeout(r, 5));
      }
      latencies.push(performance.now() - t0);
    })());
  }
  await Promise.all(pending);
  return latencies;
}

async function run(d: Db): Promise<void> {
  await migrateToLatest(d.db);
  const t0 = performance.now();
  const who = reuse ? await existingBorough(d) : await generate(d);
  const genSeconds = (performance.now() - t0) / 1000;
  const total = Number(((await d.rawQuery('SELECT count(*) AS n FROM event')).rows[0] as { n: number }).n);
  const lines: Line[] = [
    { name: `rules.${label}.children`, value: CHILDREN, unit: 'children' },
    { name: `rules.${label}.events`, value: total, unit: 'events' },
    ...(reuse ? [] : [{ name: `rules.${label}.generate`, value: genSeconds, unit: 's' }]),
  ];
  print(lines);
  log('full pass');
  const first = await runFullPass(d.db);
  const again = await runFullPass(d.db);
  print([
    { name: `rules.${label}.full_pass`, value: first.durationMs / 1000, unit: 's' },
    { name: `rules.${label}.full_pass.events_read`, value: first.eventsRead, unit: 'events' },
    { name: `rules.${label}.full_pass.children_with_relevant_events`, value: first.children, unit: 'children' },
    { name: `rules.${label}.full_pass.considerations_created`, value: first.created, unit: 'considerations' },
    { name: `rules.${label}.full_pass_again`, value: again.durationMs / 1000, unit: 's' },
    { name: `rules.${label}.full_pass_again.considerations_created`, value: again.created, unit: 'considerations' },
  ]);
  // The starter rules look back at most a year, so the pass above reads only recent, relevant entries. To show
  // the cost of reading every entry, add a rule that looks at every event type over six years (and cannot match).
  const everything = (await d.db.selectFrom('event_type').select('code').execute()).map((t) => t.code);
  await sql`
    WITH r AS (
      INSERT INTO rule (partnership_id, code) SELECT partnership_id, 'bench_every_event' FROM partnership_area WHERE borough = 'Benchborough'
      ON CONFLICT (partnership_id, code) DO UPDATE SET active = true RETURNING id)
    INSERT INTO rule_version (rule_id, version, name, rationale, definition, change_reason)
    SELECT id, (SELECT coalesce(max(version), 0) + 1 FROM rule_version WHERE rule_id = r.id), 'Benchmark: every event', 'Reads every entry', ${JSON.stringify({ kind: 'escalation', match: { eventTypes: everything }, windowDays: 1100, atLeast: 200 })}::jsonb, 'Benchmark' FROM r`.execute(d.db);
  const every = await runFullPass(d.db);
  await sql`UPDATE rule SET active = false WHERE code = 'bench_every_event'`.execute(d.db);
  print([
    { name: `rules.${label}.full_pass_every_event`, value: every.durationMs / 1000, unit: 's' },
    { name: `rules.${label}.full_pass_every_event.events_read`, value: every.eventsRead, unit: 'events' },
  ]);
  log(`steady stream: ${STREAM} events at ${RATE} per second`);
  const worker = await startOutboxWorker(d, { processors: outboxProcessors(), log: { info: () => {}, warn: console.warn, error: console.error } });
  const latencies = await stream(d, who).finally(() => worker.stop());
  print([
    { name: `rules.${label}.event_to_consideration.p50`, value: percentile(latencies, 50), unit: 'ms' },
    { name: `rules.${label}.event_to_consideration.p95`, value: percentile(latencies, 95), unit: 'ms' },
    { name: `rules.${label}.event_to_consideration.max`, value: Math.max(...latencies), unit: 'ms' },
    { name: `rules.${label}.stream_rate`, value: RATE, unit: 'events/s' },
  ]);
}

console.log(`# Early identification rules (${CHILDREN} children, ${EVENTS} events)`);
if (server) {
  // BENCH_RULES_REUSE=1 measures again on a borough kept by an interrupted or BENCH_RULES_KEEP=1 run.
  const scratch = await createScratchDatabase(process.env.DATABASE_URL!, 'jigsaw_bench_rules', {
    reuse: process.env.BENCH_RULES_REUSE === '1', keep: process.env.BENCH_RULES_KEEP === '1',
  });
  reuse = scratch.reused;
  const d = await openDb({ databaseUrl: scratch.url });
  try {
    await run(d);
  } finally {
    await d.close();
    await scratch.drop();
  }
} else {
  console.log('# DATABASE_URL is not set: running on in-memory PGlite at a smaller size');
  const d = await openDb({ memory: true });
  try {
    await run(d);
  } finally {
    await d.close();
  }
}
